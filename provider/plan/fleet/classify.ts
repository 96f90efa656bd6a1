// What a fleet does with one device it has just read, before any key-cap check: record it
// without sending (gone, already rotated by an interrupted run, a lost answer that did land,
// a prerequisite unmet) or send it. Pure: the device facts, the journal entry and the old
// record in, a decision out.
import type { ManagedDevice } from "../../graph/types";
import { CLOCK_SKEW_MS, latestRotationResult, rotationStartedSince } from "../actionResult";
import { unmetPrerequisites } from "../prerequisites";
import type { DeviceRecord } from "./record";

export interface ReadDevice {
  /** The device as read, or undefined when Graph answered 404. */
  device: ManagedDevice | undefined;
  /** tokenHash of the token this run wants for the device. */
  token: string;
  /** When the decision is made (ISO 8601). */
  at: string;
  /** This machine's journal: an interrupted run sent token `t` at `at`. */
  journaled?: { t: string; at: string } | undefined;
  /** The old record, when it is an unverified request for this token (a lost answer). */
  lostAnswer?: DeviceRecord | undefined;
}

export type Decision =
  | { send: false; record: DeviceRecord; why: "notFound" | "journal" | "landed" | "prerequisite" }
  | { send: true };

export function classifyReadDevice(r: ReadDevice): Decision {
  const { device, token, at } = r;
  if (!device)
    return {
      send: false,
      why: "notFound",
      record: { status: "skipped", at, token, detail: "notFound" },
    };
  if (r.journaled && r.journaled.t === token && rotatedAtOrAfter(device, r.journaled.at)) {
    // We sent it, and the device shows a rotation since: do not send it again.
    return {
      send: false,
      why: "journal",
      record: { status: "requested", at: r.journaled.at, token },
    };
  }
  if (r.lostAnswer) {
    // The last run lost this answer; its detail holds the rotation start seen before it.
    const priorStart =
      r.lostAnswer.detail && r.lostAnswer.detail !== "-" ? r.lostAnswer.detail : undefined;
    if (rotationStartedSince(priorStart, device))
      return {
        send: false,
        why: "landed",
        record: { status: "requested", at: r.lostAnswer.at, token },
      };
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

/** Does the device show a rotation that started at or after `at` (allowing for clock skew)? */
export function rotatedAtOrAfter(device: ManagedDevice, at: string): boolean {
  const latest = latestRotationResult(device);
  return latest !== undefined && Date.parse(latest.startDateTime) >= Date.parse(at) - CLOCK_SKEW_MS;
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
