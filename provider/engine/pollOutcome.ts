// The one wait-for-outcome loop, for one device (followOutcome.ts) and a fleet
// (fleetProvider.ts): read, stop once waiting cannot change the answer, else sleep the poll
// interval, until the wait the user allowed is over. Reads retry only within that wait.
import { withDeadline } from "../graph/deadline";

export type PollEnd<T> =
  | { kind: "settled"; value: T }
  /** The next poll would end past the deadline: the last value read. */
  | { kind: "timeout"; value: T }
  /** A read failed (or outlived the deadline): the caller says what to follow up. */
  | { kind: "failed"; error: Error };

export interface PollOptions<T> {
  timeoutSeconds: number;
  pollIntervalSeconds: number;
  read: () => Promise<T>;
  settled: (value: T) => boolean;
  /** The clock and the wait between polls (tests may pass their own). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function pollOutcome<T>(o: PollOptions<T>): Promise<PollEnd<T>> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? realSleep;
  const deadline = now() + o.timeoutSeconds * 1000;
  const intervalMs = o.pollIntervalSeconds * 1000;
  for (;;) {
    let value: T;
    try {
      value = await withDeadline(deadline, o.read);
    } catch (e) {
      return { kind: "failed", error: e as Error };
    }
    if (o.settled(value)) return { kind: "settled", value };
    if (now() + intervalMs > deadline) return { kind: "timeout", value };
    await sleep(intervalMs);
  }
}
