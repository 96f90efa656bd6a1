// The device reads a fleet's preview made (in check or diff), handed to the create/update that
// follows in the same process, so an `up` that rotates reads each device once, not twice.
//
// The run takes from these reads the prerequisites and the proof of an earlier rotation, so
// they are handed over under the same terms as a single device's check read (checkRead.ts):
// - keyed by what was planned: the fleet's label, the devices to read in plan order and each
//   one's desired token; a run that plans anything else reads every device itself;
// - single use: the next run of the fleet takes them (or drops them), nothing else;
// - fresh: a read stands in only while at most PREVIEW_READ_MAX_AGE_MS old, measured from when
//   the first of the preview's GETs was sent, checked when the run uses it (not when it takes
//   the set), since a large fleet's run reaches its last devices later;
// - same Graph client: a reconfigured engine reads again;
// - never across a rotation: a rotation request for the device sent (or answered) since the
//   preview's GETs were sent voids that device's read, also when sent by another resource of
//   the same process while this run goes on;
// - bounded memory: at most MAX_KEPT_PREVIEWS fleets' reads are kept, expired ones are dropped;
// - never across processes: plain memory of the provider process; and never across another
//   run of the same fleet on this machine that ended since the preview's GETs were sent (a
//   cancelled `up` that went on, runLock.ts): its rotations bump no epoch of this process.
// Not for a lost answer's device: previewReads.ts does not keep it, the run reads it itself.
import { createHash } from "node:crypto";
import type { ManagedDevice } from "../../graph/types";
import { rotationEpoch } from "../checkRead";
import { isDevice, type LookupResult } from "./batchedLookup";

/** How old a preview read may be when the run uses it. */
export const PREVIEW_READ_MAX_AGE_MS = 10_000;
/** Fleets whose preview reads are kept at once (each up to its fleet's size). */
export const MAX_KEPT_PREVIEWS = 4;

interface Kept {
  graph: object;
  /** performance.now() when the first GET was sent. */
  sentAt: number;
  /** Date.now() then: comparable with another process's clock readings. */
  wallSentAt: number;
  devices: Map<string, { device: ManagedDevice; epoch: number }>;
}

const kept = new Map<string, Kept>();

/** What was planned: label, devices to read (in order) and the token each would rotate to. */
export function planKey(label: string, ids: readonly string[], tokens: readonly string[]): string {
  return createHash("sha256")
    .update(JSON.stringify([label, ids, tokens]), "utf8")
    .digest("hex");
}

export interface StartedPreviewReads {
  sentAt: number;
  wallSentAt: number;
  epochs: Map<string, number>;
}

/** Call just before the preview's GETs. */
export function startPreviewReads(ids: readonly string[]): StartedPreviewReads {
  return {
    sentAt: performance.now(),
    wallSentAt: Date.now(),
    epochs: new Map(ids.map((id) => [id, rotationEpoch(id)])),
  };
}

/** Keeps the preview's device reads for the run of the same plan that follows. */
export function keepPreviewReads(
  key: string,
  started: StartedPreviewReads,
  graph: object,
  seen: ReadonlyMap<string, LookupResult>,
): void {
  const now = performance.now();
  for (const [k, r] of kept) if (now - r.sentAt > PREVIEW_READ_MAX_AGE_MS) kept.delete(k);
  kept.delete(key);
  // A preview that took longer than the bound (a large fleet at Intune's pace) keeps nothing:
  // none of it could stand in, and 100,000 reads hold ~140 MB.
  if (now - started.sentAt > PREVIEW_READ_MAX_AGE_MS) return;
  // Only device answers: an error or a 404 is read again by the run.
  const devices = new Map<string, { device: ManagedDevice; epoch: number }>();
  for (const [id, found] of seen) {
    const epoch = started.epochs.get(id);
    if (isDevice(found) && epoch !== undefined) devices.set(id, { device: found, epoch });
  }
  kept.set(key, { graph, sentAt: started.sentAt, wallSentAt: started.wallSentAt, devices });
  while (kept.size > MAX_KEPT_PREVIEWS) kept.delete(kept.keys().next().value!);
}

/** The preview reads a run can use, device by device, while they may stand in for a new read. */
export interface HandedReads {
  /** The preview's read of the device, if it may stand in for one now; single use. */
  take(id: string): ManagedDevice | undefined;
}

const NONE: HandedReads = { take: () => undefined };

/**
 * The reads kept for this plan, taken out (single use), or none. `otherRunEnded`: when
 * (Date.now()) a run of this fleet last ended on this machine (runLock.ts lastRunEnded).
 */
export function takePreviewReads(key: string, graph: object, otherRunEnded = 0): HandedReads {
  const reads = kept.get(key);
  kept.delete(key);
  if (!reads || reads.graph !== graph || otherRunEnded >= reads.wallSentAt) return NONE;
  return {
    take(id) {
      const r = reads.devices.get(id);
      reads.devices.delete(id);
      if (!r || r.epoch !== rotationEpoch(id)) return undefined;
      if (performance.now() - reads.sentAt > PREVIEW_READ_MAX_AGE_MS) return undefined;
      return r.device;
    },
  };
}
