// What a fleet does with one device it has just read, before any key-cap check: record it
// without sending (gone, already rotated since its old record, a lost answer that did land,
// a prerequisite unmet) or send it. Pure: the device facts and the old record in, a decision
// out.
import type { ManagedDevice } from "../../graph/types";
import { landedAfterLostAnswer, rotationAfter, wholeSeconds, type RecordTime } from "../evidence";
import { unmetPrerequisites } from "../prerequisites";
import type { DeviceRecord } from "./record";

export interface ReadDevice {
  /** The device as read, or undefined when Graph answered 404. */
  device: ManagedDevice | undefined;
  /** tokenHash of the token this run wants for the device. */
  token: string;
  /** When the decision is made (ISO 8601). */
  at: string;
  /**
   * The time of the device's old record, when the plan rotates a device that has one: a
   * rotation the device shows after it was accepted by a run whose state was never saved (or
   * sent by someone else), and is recorded instead of sent again (see plan/evidence.ts).
   */
  since?: RecordTime | undefined;
  /** The token itself (not its hash): a token naming a moment wants a rotation after it. */
  tokenText?: string | undefined;
  /** The old record, when it is an unverified request for this token (a lost answer). */
  lostAnswer?: DeviceRecord | undefined;
}

export type Decision =
  | { send: false; record: DeviceRecord; why: "notFound" | "evidence" | "landed" | "prerequisite" }
  | { send: true };

export function classifyReadDevice(r: ReadDevice): Decision {
  const { device, token, at } = r;
  if (!device)
    return {
      send: false,
      why: "notFound",
      record: { status: "skipped", at, token, detail: "notFound" },
    };
  const after = rotationAfter(device, r.since, r.tokenText);
  if (after) {
    // Graph accepted a rotation since the old record: do not send another. Its own start
    // time (Graph's clock) is the record's, so the next run compares like with like.
    return {
      send: false,
      why: "evidence",
      record: { status: "requested", at: wholeSeconds(after.startDateTime), token },
    };
  }
  if (r.lostAnswer) {
    // The last run lost this answer; its detail holds the rotation start seen before it.
    const priorStart =
      r.lostAnswer.detail && r.lostAnswer.detail !== "-" ? r.lostAnswer.detail : undefined;
    const landedAt = landedAfterLostAnswer(priorStart, device);
    if (landedAt)
      return { send: false, why: "landed", record: { status: "requested", at: landedAt, token } };
  }
  const unmet = unmetPrerequisites(device);
  if (unmet.length > 0)
    return {
      send: false,
      why: "prerequisite",
      record: { status: "skipped", at, token, detail: unmet[0]!.code },
    };
  return { send: true };
}

/**
 * The time an old record holds for the evidence rule. `graphClock`: the state's records are on
 * Graph's clock (recordsOnGraphClock). An unverified record's time is this machine's send
 * time, whatever the state: it gets the wide margin.
 */
export function recordTime(
  old: DeviceRecord | undefined,
  graphClock: boolean,
): RecordTime | undefined {
  if (!old) return undefined;
  return { at: old.at, graphClock: graphClock && old.status !== "unverified" };
}

/**
 * The record a device keeps after this run. A lost answer from an earlier run stays unverified
 * when this run ended in an error for it (not read, not sent, refused): only a read of the
 * device may settle it, against the rotation it showed before that lost request. Replacing it
 * with the error would send the device again next time without looking, and rotate it twice if
 * the lost request had landed.
 */
export function keepLostAnswer(lost: DeviceRecord | undefined, next: DeviceRecord): DeviceRecord {
  return lost?.status === "unverified" && next.status === "error" ? lost : next;
}
