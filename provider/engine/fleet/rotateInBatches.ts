// Sends rotation POSTs for many devices as $batch requests of up to 20, paced to Intune's
// per-app POST limit. What each inner answer means (requested, send again, look at the device,
// skip, error, stop) is the pure table in plan/fleet/batchAnswer.ts; this file does the I/O:
// pacing, sending, the throttle pause, reading devices after a lost answer. A 429 or 503 wait
// past a device's budget (or a throttle pause that long) fails the device now. A whole batch
// whose answer was lost is treated as unknown for each of its devices.
import type { DeviceCollection, ManagedDevice } from "../../graph/types";
import { graphErrorFromBatchResponse, type GraphClient, type GraphError } from "../../graph";
import { devicePath } from "../../graph/ids";
import { withDeadline } from "../../graph/deadline";
import { spentMs, waitExceedsBudget, type BudgetRefusal } from "../../graph/retryPolicy";
import { latestRotationResult } from "../../plan/actionResult";
import { landedAfterLostAnswer } from "../../plan/evidence";
import {
  afterFailedSend,
  answerAction,
  batchFailureAction,
  endOfSends,
} from "../../plan/fleet/batchAnswer";
import { ROTATE_PERMISSION } from "../../plan/permissions";
import type { DeviceRecord } from "../../plan/fleet/record";
import { rotationSent } from "../checkRead";
import { isOutcomeUnknown } from "../errorKinds";
import { isDevice, lookupDevices, type BatchGraph } from "./batchedLookup";
import { notSentForPause } from "./batchedGets";
import { JobFeed } from "./jobFeed";
import type { WindowPacer } from "./windowPacer";

export interface RotationJob {
  id: string;
  collection: DeviceCollection;
  /** tokenHash of the token this rotation is for. */
  token: string;
  /** The rotation result's startDateTime before we sent anything: proof of a later one. */
  priorStart?: string;
}

export interface RotateOptions {
  /** Intune's POST limit. */
  pacer: WindowPacer;
  /** Intune's request limit, for the device reads after a lost answer. */
  readPacer?: WindowPacer;
  /** Sends per device before giving up with an error record (429s, 503s, unknowns). */
  maxAttempts: number;
  /** Batches in flight at once; pacing, not this, sets the rate. */
  concurrency: number;
  /** Wait this long after an answer is lost (from the failure, not the send) before reading the device (see lostAnswerGraceMs). */
  lostAnswerGraceMs: number;
  /** A 403 concerns its device only: the app holds the permission (see plan/permissions.ts). */
  forbiddenIsPerDevice: boolean;
  /** Called when an accepting answer had no Date header, so its record holds this machine's time. */
  onLocalTime?: () => void;
  /** Each device once, when its outcome for this run is known; `error` explains an error record. */
  onRecord: (id: string, record: DeviceRecord, error?: Error) => void;
}

interface Pending extends RotationJob {
  attempts: number;
  notBefore: number;
  /** When the device's first request left: its retry budget runs from there. */
  firstSentAt?: number;
  /** Set when an earlier send's outcome is unknown: check before sending again. */
  unknownSince?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Rotates the jobs of `source` as they come: a list, or a feed the fleet's reader fills while
 * the first rotations are already going out. On a permission or credential failure the feed
 * is stopped, so the reader stops reading devices that could not be rotated anyway.
 */
export async function rotateInBatches(
  graph: Pick<GraphClient, "batch" | "retryConfig">,
  source: readonly RotationJob[] | JobFeed<RotationJob>,
  o: RotateOptions,
): Promise<void> {
  const feed = source instanceof JobFeed ? source : JobFeed.of(source);
  const queue: Pending[] = [];
  // Take from the feed only what the next few batches need, so the feed's size tells the
  // reader how far ahead of the rotations it is.
  const refill = () => {
    const want = 20 * o.concurrency - queue.length;
    if (want > 0) for (const j of feed.take(want)) queue.push({ ...j, attempts: 0, notBefore: 0 });
  };
  let inFlight = 0;
  let stopped: GraphError | Error | undefined;
  // Why the rest is not sent: the app's problem, not the message of the device that showed it.
  const stop = (err: GraphError) => {
    stopped ??= notSentBecause(err);
  };
  const finished = new Set<Promise<void>>();

  const settle = (
    job: Pending,
    record: Omit<DeviceRecord, "token"> & { token?: string },
    error?: Error,
  ) => o.onRecord(job.id, { token: job.token, ...record }, error);
  const policy = graph.retryConfig();
  const spent = (job: Pending, at: number) => spentMs(job.firstSentAt ?? at, at, policy);
  /** No more sends for this device in this run (throttled or failing past the retry budget). */
  const unverified = (job: Pending) =>
    settle(job, { status: "unverified", at: job.unknownSince!, detail: job.priorStart ?? "-" });
  const giveUp = (job: Pending, err: GraphError) => {
    if (endOfSends(job.unknownSince) === "unverified") unverified(job);
    else settle(job, { status: "error", at: now(), token: "-", detail: err.code }, err);
  };
  const retryLater = (job: Pending, delayMs: number, detail: string) => {
    const next = afterFailedSend(job.attempts, o.maxAttempts, job.unknownSince);
    if (next === "again") {
      job.notBefore = Date.now() + delayMs;
      queue.push(job);
    } else if (next === "unverified") unverified(job);
    else settle(job, { status: "error", at: now(), token: "-", detail });
  };

  const sendBatch = async (batch: Pending[]) => {
    const sentAt = now();
    let answers;
    // A single resource's read of one of these devices from before now must not stand in later.
    const voidReads = () => batch.forEach((j) => rotationSent(j.id));
    voidReads();
    // The batch request's own retries end where the budget of its oldest device does.
    const deadline = Math.min(...batch.map((j) => j.firstSentAt! + policy.budgetMs));
    try {
      // Inside the try: a request that cannot even be built still gives its pacer places back.
      answers = await withDeadline(deadline, () =>
        graph.batch(
          batch.map((j, i) => ({
            id: String(i),
            method: "POST" as const,
            url: `${devicePath(j.collection, j.id)}/rotateBitLockerKeys`,
          })),
        ),
      );
    } catch (e) {
      o.pacer.answeredAt(batch.length, Date.now());
      voidReads();
      const err = e as GraphError;
      const action = batchFailureAction({
        outcomeUnknown: isOutcomeUnknown(e),
        status: err.status,
        retryAfterSeconds: err.retryAfterSeconds,
      });
      if (action.kind === "check") {
        for (const j of batch) j.unknownSince ??= sentAt;
        // The grace counts from the failure: after a timeout, the send is long past.
        await recheck(
          graph,
          batch,
          retryLater,
          settle,
          Date.now() + o.lostAnswerGraceMs,
          o.readPacer,
        );
        return;
      }
      if (action.stop) stop(err);
      // Graph's wait holds every send, and these devices are done for this run.
      if (action.pauseMs !== undefined) o.pacer.throttled(action.pauseMs, Date.now());
      for (const j of batch) {
        if (action.giveUp) giveUp(j, err);
        else
          settle(j, { status: "error", at: sentAt, token: "-", detail: err.code ?? "Error" }, err);
      }
      return;
    }
    o.pacer.answeredAt(batch.length, Date.now());
    voidReads();
    const unknown: Pending[] = [];
    answers.forEach((a, i) => {
      const job = batch[i]!;
      const at = Date.now();
      const action = answerAction(a, {
        sentAt,
        forbiddenIsPerDevice: o.forbiddenIsPerDevice,
        attempts: job.attempts,
        elapsedMs: spent(job, at),
        config: policy,
        now: at,
      });
      const error = (budget?: BudgetRefusal) =>
        graphErrorFromBatchResponse(a, {
          operation: "rotateBitLockerKeys",
          deviceId: job.id,
          ...(budget ? { budget } : {}),
        });
      switch (action.kind) {
        case "requested":
          if (action.localTime) o.onLocalTime?.();
          settle(job, { status: "requested", at: action.at });
          break;
        case "skipped":
          settle(job, { status: "skipped", at: sentAt, detail: action.detail });
          break;
        case "retry":
          if (action.pauseMs !== undefined) o.pacer.throttled(action.pauseMs, at);
          retryLater(job, action.delayMs, action.detail);
          break;
        case "giveUp":
          if (action.pauseMs !== undefined) o.pacer.throttled(action.pauseMs, at);
          giveUp(job, error(action.budget));
          break;
        case "check":
          job.unknownSince ??= sentAt;
          unknown.push(job);
          break;
        case "error": {
          const err = error();
          if (action.stop) stop(err);
          settle(
            job,
            { status: "error", at: sentAt, token: "-", detail: err.code ?? String(a.status) },
            err,
          );
        }
      }
    });
    if (unknown.length > 0)
      await recheck(
        graph,
        unknown,
        retryLater,
        settle,
        Date.now() + o.lostAnswerGraceMs,
        o.readPacer,
      );
  };

  for (;;) {
    refill();
    if (stopped) {
      // Permission or credential trouble: sending more would only fail the same way.
      feed.stop(stopped);
      for (const j of [...queue.splice(0), ...feed.take(feed.size)])
        settle(
          { ...j, attempts: 0, notBefore: 0 },
          { status: "error", at: now(), token: "-", detail: "NotSent" },
          stopped,
        );
    }
    if (queue.length === 0 && inFlight === 0 && feed.done) break;
    const t = Date.now();
    // A 429's pause longer than what a device's budget has left is not waited out: the device
    // fails now; a pause longer than a whole budget stops the run (every device would fail).
    const pause = o.pacer.pausedFor(t);
    if (pause > 0 && !stopped) {
      const fresh = waitExceedsBudget(pause, 0, policy);
      if (fresh) stopped = pauseError(fresh);
      for (const job of [...queue]) {
        const budget = waitExceedsBudget(pause, spent(job, t), policy);
        if (!budget) continue;
        queue.splice(queue.indexOf(job), 1);
        giveUp(job, pauseError(budget, job.id));
      }
      if (stopped) continue;
    }
    const ready = queue.filter((j) => j.notBefore <= t);
    if (ready.length === 0 || inFlight >= o.concurrency) {
      const soonest = queue.length > 0 ? Math.min(...queue.map((j) => j.notBefore)) : t + 1000;
      await Promise.race([
        ...finished,
        feed.changed(),
        sleep(Math.max(10, Math.min(1000, soonest - t))),
      ]);
      continue;
    }
    const { n, waitMs } = o.pacer.next(Math.min(20, ready.length), t);
    if (waitMs > 0) {
      await Promise.race([...finished, sleep(waitMs)]);
      continue;
    }
    const batch = ready.slice(0, n);
    for (const j of batch) {
      queue.splice(queue.indexOf(j), 1);
      j.attempts++;
      j.firstSentAt ??= t;
    }
    o.pacer.sent(batch.length); // given back in sendBatch, whatever happens there
    inFlight++;
    const p: Promise<void> = sendBatch(batch).finally(() => {
      inFlight--;
      finished.delete(p);
    });
    finished.add(p);
  }
}

/**
 * Devices whose rotation answer was lost: read them, record those where Intune started a
 * rotation after our send, and queue the rest to be sent again.
 */
async function recheck(
  graph: BatchGraph,
  jobs: Pending[],
  retryLater: (job: Pending, delayMs: number, detail: string) => void,
  settle: (job: Pending, record: Omit<DeviceRecord, "token"> & { token?: string }) => void,
  readNotBefore: number,
  pacer: WindowPacer | undefined,
): Promise<void> {
  // A request still in Graph's hands may land after an immediate read: give it time.
  await sleep(readNotBefore - Date.now());
  const seen = await lookupDevices(
    graph,
    jobs.map((j) => j.id),
    { concurrency: 1, ...(pacer ? { pacer } : {}) },
  );
  for (const job of jobs) {
    const device = seen.get(job.id);
    if (isDevice(device)) {
      const landedAt = landedAfterLostAnswer(job.priorStart, device);
      if (landedAt) {
        settle(job, { status: "requested", at: landedAt });
      } else {
        // Intune did not act on it: sending again is safe, and records its own time.
        delete job.unknownSince;
        retryLater(job, 0, "OutcomeUnknown");
      }
    } else {
      // Could not look: keep it unverified so the next run settles it before resending.
      settle(job, { status: "unverified", at: job.unknownSince!, detail: job.priorStart ?? "-" });
    }
  }
}

/** A device not sent (again) because Intune's throttle pause outlasts its retry budget. */
function pauseError(budget: BudgetRefusal, deviceId?: string): GraphError {
  return graphErrorFromBatchResponse(notSentForPause(), {
    operation: "rotateBitLockerKeys",
    ...(deviceId ? { deviceId } : {}),
    budget,
  });
}

/** The job for a device read before the run. */
export function jobFor(
  device: ManagedDevice,
  collection: DeviceCollection,
  token: string,
): RotationJob {
  const prior = latestRotationResult(device)?.startDateTime;
  return { id: device.id, collection, token, ...(prior ? { priorStart: prior } : {}) };
}

/** What the devices not sent are recorded with: the app's problem, named once. */
function notSentBecause(err: GraphError): Error {
  const what =
    err.status === 403
      ? `the app lacks ${ROTATE_PERMISSION} (its access token does not carry it), so Intune refuses every device; grant it (application permission, admin consent) and run \`pulumi up\` again`
      : "Graph refused the credential; fix it and run `pulumi up` again";
  return new Error(`not sent: ${what}. First refusal: ${err.message}`);
}

function now(): string {
  return new Date().toISOString();
}
