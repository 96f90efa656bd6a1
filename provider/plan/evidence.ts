// The evidence rule: before sending a rotation for a new token, look at the device read anyway.
// If it shows a rotation that started after the time the OLD state holds for it, a run whose
// state was never saved (killed, cancelled, on a runner that is gone) or someone else already
// rotated it: record that rotation, send nothing. It needs no memory outside the state, so a
// re-run on a fresh runner repeats nothing Graph accepted.
//
// Clocks. The device's startDateTime is on Graph's (Intune's) clock. So are the record times
// this package writes for a rotation: the `Date` header of the answer that accepted it (see
// graphTimeOf). Our own earlier rotation therefore started before the Date of its answer,
// which Graph writes in whole seconds: it is within a second of the record, never more. A
// rotation sent by a later run starts at least the length of that run's start-up later.
// SAME_CLOCK_MARGIN_MS sits between the two, with a second for Graph's front door and
// Intune's servers keeping slightly different time. Records from before this rule (state
// version 1) hold this machine's time: for them the margin is CLOCK_SKEW_MS, so a machine
// whose clock is behind Graph's never mistakes its own rotation for evidence.
import type { DeviceActionResult, ManagedDevice } from "../graph/types";
import { CLOCK_SKEW_MS, latestRotationResult, rotationStartedSince } from "./actionResult";

/** Margin between a record time on Graph's clock and a rotation that counts as after it. */
export const SAME_CLOCK_MARGIN_MS = 2_000;

/** The time an old record holds, and whose clock it is on. */
export interface RecordTime {
  /** ISO 8601. */
  at: string;
  /** True when `at` is on Graph's clock (state written with this rule). */
  graphClock: boolean;
}

function evidenceMarginMs(graphClock: boolean): number {
  return graphClock ? SAME_CLOCK_MARGIN_MS : CLOCK_SKEW_MS;
}

/**
 * The rotation the device shows that started after the old record (by an interrupted run of
 * this program, or anyone else), or undefined. Its state does not matter: Graph accepted it.
 */
export function rotationAfter(
  device: ManagedDevice,
  since: RecordTime | undefined,
  token?: string,
): DeviceActionResult | undefined {
  if (!since) return undefined;
  const latest = latestRotationResult(device);
  if (!latest) return undefined;
  const started = Date.parse(latest.startDateTime);
  const floor = Date.parse(since.at);
  if (Number.isNaN(started) || Number.isNaN(floor)) return undefined;
  if (started < floor + evidenceMarginMs(since.graphClock)) return undefined;
  // A token that names a moment (a key read at that time, an incident) asks for a rotation
  // after it: one that started before, by anyone, left the disclosed key valid.
  const named = token === undefined ? undefined : tokenMoment(token);
  return named !== undefined && started <= named ? undefined : latest;
}

/**
 * The moment a token names, in ms, when it holds an ISO 8601 date-time with a time zone
 * (`read 2026-11-28T10:00:00Z`, as `disclosureTokens` writes); the latest if several.
 */
export function tokenMoment(token: string): number | undefined {
  const re = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/g;
  let latest: number | undefined;
  for (const m of token.matchAll(re)) {
    const t = Date.parse(m[0]);
    if (!Number.isNaN(t) && (latest === undefined || t > latest)) latest = t;
  }
  return latest;
}

/**
 * The one lost-answer check: after a rotation POST whose answer was lost, did Intune start a
 * rotation? Compares the device's latest rotation start with the one seen before the POST
 * (`priorStart`; none seen: any rotation is proof), so no clock comparison is needed. Returns
 * the record time for it (its start, Graph's clock, standing for the lost answer's Date), or
 * undefined when Intune did not act and sending again is safe.
 */
export function landedAfterLostAnswer(
  priorStart: string | undefined,
  device: ManagedDevice,
): string | undefined {
  const landed = rotationStartedSince(priorStart, device) && latestRotationResult(device);
  return landed ? wholeSeconds(landed.startDateTime) : undefined;
}

/** An ISO time cut to whole seconds (never later than `iso`): the form records keep. */
export function wholeSeconds(iso: string): string {
  return new Date(Math.floor(Date.parse(iso) / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** Graph's time from an HTTP `Date` header, as ISO 8601; undefined when absent or unreadable. */
export function graphTimeOf(dateHeader: string | undefined): string | undefined {
  if (!dateHeader) return undefined;
  const t = Date.parse(dateHeader);
  return Number.isNaN(t) ? undefined : wholeSeconds(new Date(t).toISOString());
}
