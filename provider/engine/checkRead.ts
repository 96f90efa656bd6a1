// The device read made by check (for the key-cap guard), handed to the create/update that
// follows, so a rotation reads the device once instead of twice.
//
// Pulumi calls check, then diff, then create/update for a resource, in this process and
// within milliseconds. The read is handed over under strict terms, because create/update take
// the prerequisites and the prior rotation result (the proof a lost answer is settled
// against) from it:
// - single use: the next create/update for the device takes it (or drops it), nothing else;
// - fresh: at most CHECK_READ_MAX_AGE_MS old, measured from when the GET was sent;
// - same Graph client: a reconfigured engine reads again;
// - never across a rotation: a rotation request for the device sent (or in flight) since the
//   GET was sent voids it, so a read from before a rotation is never taken for one after it.
import type { ManagedDevice } from "../graph/types";
import type { DeviceGraph } from "./deviceGraph";

/** How old a read made by check may be when create/update take it. */
export const CHECK_READ_MAX_AGE_MS = 10_000;

interface CheckRead {
  id: string;
  graph: DeviceGraph;
  device: ManagedDevice;
  /** performance.now() when the GET was sent. */
  sentAt: number;
  /** The device's rotation epoch when the GET was sent. */
  epoch: number;
}

export interface StartedRead {
  id: string;
  sentAt: number;
  epoch: number;
}

const checkReads = new Map<string, CheckRead>();
/** Per device: bumped when a rotation request is sent and again when it is answered. */
const rotationEpochs = new Map<string, number>();

const deviceKey = (id: string) => id.toLowerCase();
const epochOf = (id: string) => rotationEpochs.get(deviceKey(id)) ?? 0;

/** The device's rotation epoch now: a read taken at one epoch is void at any other. */
export function rotationEpoch(id: string): number {
  return epochOf(id);
}

/** A rotation request for the device is about to leave, or was answered: reads before it are void. */
export function rotationSent(id: string): void {
  rotationEpochs.set(deviceKey(id), epochOf(id) + 1);
}

export function forgetCheckRead(id: string): void {
  checkReads.delete(deviceKey(id));
}

/** Call just before check's GET. */
export function startCheckRead(id: string): StartedRead {
  return { id, sentAt: performance.now(), epoch: epochOf(id) };
}

/** Keeps check's read for the create/update that follows. */
export function keepCheckRead(
  started: StartedRead,
  graph: DeviceGraph,
  device: ManagedDevice,
): void {
  // Drop what has expired, so previews of many devices do not pile reads up.
  const now = performance.now();
  for (const [k, r] of checkReads) if (now - r.sentAt > CHECK_READ_MAX_AGE_MS) checkReads.delete(k);
  checkReads.set(deviceKey(started.id), { ...started, graph, device });
}

/** The read check made of this device, if it may stand in for a new one; dropped either way. */
function takeCheckRead(graph: DeviceGraph, id: string): ManagedDevice | undefined {
  const key = deviceKey(id);
  const read = checkReads.get(key);
  checkReads.delete(key);
  if (!read || read.graph !== graph || read.epoch !== epochOf(id)) return undefined;
  if (performance.now() - read.sentAt > CHECK_READ_MAX_AGE_MS) return undefined;
  return read.device;
}

/** The device, from check's read when it may stand in, otherwise from Graph. */
export async function readDevice(graph: DeviceGraph, id: string): Promise<ManagedDevice> {
  return takeCheckRead(graph, id) ?? graph.getManagedDevice(id);
}
