// What a fleet run does to each device, decided from the old state and the new inputs only:
// rotate each device exactly once per token; rotate devices added later; forget removed
// ones; settle lost answers before resending; touch nothing else.
import { isUnknown } from "../inputs";
import { desiredToken, type FleetInputs } from "./inputs";
import {
  parseRecord,
  SENT,
  settlesToken,
  tokenHash,
  type DeviceRecord,
  type FleetDeviceStatus,
} from "./record";

/**
 * 2: every rotation record's time is on Graph's clock (plan/evidence.ts). 1: some may hold the
 * clock of the machine that wrote them (written before the evidence rule, or an answer without
 * a Date header).
 */
export const FLEET_STATE_VERSION = 2;

export interface FleetState extends Omit<FleetInputs, "managedDeviceIds"> {
  stateVersion: number;
  /** Device id → record line (see record.ts). */
  devices: Record<string, string>;
  counts: Partial<Record<FleetDeviceStatus, number>>;
  lastRun?: FleetRunSummary;
}

export interface FleetRunSummary {
  at: string;
  rotated: number;
  adopted: number;
  skipped: number;
  errors: number;
  unchanged: number;
  forgotten: number;
}

export interface FleetPlan {
  /** Send a rotation request. */
  rotate: string[];
  /** Record without rotating (rotateOnCreate: false for a device new to the fleet). */
  adopt: string[];
  /** An unverified request for the current token: look at the device before resending. */
  settle: string[];
  unchanged: string[];
  /** In the old state, no longer in the inputs: dropped from state, no Graph call. */
  forget: string[];
}

export function planFleet(olds: Partial<FleetState> | undefined, news: FleetInputs): FleetPlan {
  const plan: FleetPlan = { rotate: [], adopt: [], settle: [], unchanged: [], forget: [] };
  const records = olds?.devices ?? {};
  const wanted = new Set(news.managedDeviceIds);
  for (const id of news.managedDeviceIds) {
    const line = records[id];
    const record = line === undefined ? undefined : parseRecord(line);
    const hash = tokenHash(desiredToken(news, id));
    if (!record) {
      (news.rotateOnCreate ? plan.rotate : plan.adopt).push(id);
    } else if (record.token === hash && record.status === "unverified") {
      plan.settle.push(id);
    } else if (record.token === hash && settlesToken(record)) {
      plan.unchanged.push(id);
    } else {
      plan.rotate.push(id);
    }
  }
  for (const id of Object.keys(records)) if (!wanted.has(id)) plan.forget.push(id);
  return plan;
}

const SETTINGS: (keyof FleetInputs & keyof FleetState)[] = [
  "rotationToken",
  "rotateOnCreate",
  "endpoint",
  "waitFor",
  "waitTimeoutSeconds",
  "pollIntervalSeconds",
  "reason",
];

export interface FleetDiff {
  changes: boolean;
  /** Undefined while inputs are unknown (preview of a program whose ids come from outputs). */
  plan?: FleetPlan;
}

/** Compares old OUTPUTS with new inputs; never `__provider`. A fleet is never replaced. */
export function diffFleet(olds: Partial<FleetState>, news: FleetInputs): FleetDiff {
  const unknown =
    isUnknown(news.managedDeviceIds) ||
    (Array.isArray(news.managedDeviceIds) && news.managedDeviceIds.some(isUnknown)) ||
    isUnknown(news.rotationToken) ||
    isUnknown(news.deviceTokens) ||
    Object.values(news.deviceTokens ?? {}).some(isUnknown);
  if (unknown) return { changes: true };
  const plan = planFleet(olds, news);
  const work = plan.rotate.length + plan.adopt.length + plan.settle.length + plan.forget.length;
  const settings = SETTINGS.some((k) => (olds[k] ?? null) !== (news[k] ?? null));
  const tokens =
    JSON.stringify(olds.deviceTokens ?? {}) !== JSON.stringify(news.deviceTokens ?? {});
  return { changes: work > 0 || settings || tokens, plan };
}

/** Status counts over all records. */
export function countStatuses(
  devices: Record<string, string>,
): Partial<Record<FleetDeviceStatus, number>> {
  const counts: Partial<Record<FleetDeviceStatus, number>> = {};
  for (const line of Object.values(devices)) {
    const s = parseRecord(line)?.status;
    if (s) counts[s] = (counts[s] ?? 0) + 1;
  }
  return counts;
}

/** Are the old records' times on Graph's clock (see FLEET_STATE_VERSION)? */
export function recordsOnGraphClock(olds: Partial<FleetState> | undefined): boolean {
  return (olds?.stateVersion ?? 1) >= FLEET_STATE_VERSION;
}

/**
 * The state after a run: the new records where the run produced one, the old ones where it
 * did not, forgotten devices gone. Pure, so a partial run's state is computed the same way.
 * `localTimes`: some record of this run holds this machine's time (an answer had no Date).
 */
export function stateAfterRun(
  olds: Partial<FleetState> | undefined,
  news: FleetInputs,
  plan: FleetPlan,
  results: ReadonlyMap<string, DeviceRecord>,
  at: string,
  formatted: (r: DeviceRecord) => string,
  localTimes = false,
): FleetState {
  const devices: Record<string, string> = {};
  const previous = olds?.devices ?? {};
  let carriedLocal = false;
  for (const id of news.managedDeviceIds) {
    const r = results.get(id);
    const line = r ? formatted(r) : previous[id];
    if (line !== undefined) devices[id] = line;
    if (!r && line !== undefined && !recordsOnGraphClock(olds)) carriedLocal = true;
  }
  // Version 2 only when no record kept may hold a local time: one such record, taken for Graph's
  // time, could make the device's own rotation look like evidence and skip the next token.
  const stateVersion = carriedLocal || localTimes ? 1 : FLEET_STATE_VERSION;
  const tally = (s: readonly FleetDeviceStatus[]) =>
    [...results.values()].filter((r) => s.includes(r.status)).length;
  const lastRun: FleetRunSummary = {
    at,
    rotated: tally(SENT),
    adopted: tally(["adopted"]),
    skipped: tally(["skipped"]),
    errors: tally(["error", "unverified"]),
    unchanged: plan.unchanged.length,
    forgotten: plan.forget.length,
  };
  // The outputs hold the settings, not the id list: the keys of `devices` already name every
  // device (state stays small), and diff compares the new ids with those keys.
  const {
    __provider: _p,
    managedDeviceIds: _ids,
    ...settings
  } = news as FleetInputs & { __provider?: unknown };
  return { ...settings, stateVersion, devices, counts: countStatuses(devices), lastRun };
}

export type { DeviceRecord };
