// Sends rotation POSTs for many devices as $batch requests of up to 20, paced to Intune's
// per-app POST limit. Each inner answer is handled on its own:
//   204                 → requested
//   429 / 503           → Intune did not act: wait (Retry-After) and send again, by the
//                         client's rule and within its budget (graph/retryPolicy.ts); a wait
//                         past the budget (or a throttle pause that long) fails the device now
//   500 / 502 / 504     → outcome unknown: look at the device before sending again
//   404                 → skipped (the device is gone)
//   400                 → error (Graph refuses this device)
//   403                 → error for this device when the app holds the permission (Intune's
//                         scope tags keep this device out of its reach); otherwise as 401
//   401                 → error, and stop: every other device would fail the same way
// A whole batch whose answer was lost is treated as unknown for each of its devices.
import type { DeviceCollection, ManagedDevice } from "../../graph/types";
import { graphErrorFromBatchResponse, type GraphClient, type GraphError } from "../../graph";
import { devicePath } from "../../graph/ids";
import { withDeadline } from "../../graph/deadline";
import {
  decideRetry,
  spentMs,
  waitExceedsBudget,
  type BudgetRefusal,
} from "../../graph/retryPolicy";
import { latestRotationResult, rotationStartedSince } from "../../plan/actionResult";
import { graphTimeOf, wholeSeconds } from "../../plan/evidence";
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
  const giveUp = (job: Pending, err: GraphError) => {
    if (job.unknownSince)
      settle(job, { status: "unverified", at: job.unknownSince, detail: job.priorStart ?? "-" });
    else settle(job, { status: "error", at: now(), token: "-", detail: err.code }, err);
  };
  const retryLater = (job: Pending, delayMs: number, detail: string) => {
    if (job.attempts < o.maxAttempts) {
      job.notBefore = Date.now() + delayMs;
      queue.push(job);
    } else if (job.unknownSince) {
      settle(job, { status: "unverified", at: job.unknownSince, detail: job.priorStart ?? "-" });
    } else {
      settle(job, { status: "error", at: now(), token: "-", detail });
    }
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
      if (isOutcomeUnknown(e)) {
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
      const err = e as GraphError;
      if (err.status === 401 || err.status === 403) stop(err);
      // A whole-batch 429 or 503 here outlived the client's retries (same rule, same budget):
      // Graph's wait holds every send, and these devices are done for this run.
      if (err.status === 429 && err.retryAfterSeconds !== undefined)
        o.pacer.throttled(err.retryAfterSeconds * 1000, Date.now());
      for (const j of batch) {
        if (err.status === 429 || err.status === 503) giveUp(j, err);
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
      if (a.status === 204 || a.status === 200) {
        // Graph's clock (the answer's Date), so the evidence rule compares like with like.
        const graphTime = graphTimeOf(a.headers?.date);
        if (!graphTime) o.onLocalTime?.();
        settle(job, { status: "requested", at: graphTime ?? sentAt });
      } else if (a.status === 429 || a.status === 503) {
        const at = Date.now();
        const decision = decideRetry({
          idempotent: false,
          failure: {
            kind: "status",
            status: a.status,
            ...(a.headers ? { headers: a.headers } : {}),
          },
          retriesSoFar: job.attempts - 1,
          elapsedMs: spent(job, at),
          config: policy,
          now: at,
        });
        const budget =
          !decision.retry && decision.reason === "budget-exhausted" ? decision.budget : undefined;
        // A 429 pauses every send for as long as Graph asked, even a wait we will not make.
        const pause = decision.retry ? decision.delayMs : budget?.waitMs;
        if (a.status === 429 && pause !== undefined) o.pacer.throttled(pause, at);
        if (decision.retry)
          retryLater(
            job,
            decision.delayMs,
            a.status === 429 ? "TooManyRequests" : "ServiceUnavailable",
          );
        else
          giveUp(
            job,
            graphErrorFromBatchResponse(a, {
              operation: "rotateBitLockerKeys",
              deviceId: job.id,
              ...(budget ? { budget } : {}),
            }),
          );
      } else if (a.status === 500 || a.status === 502 || a.status === 504) {
        job.unknownSince ??= sentAt;
        unknown.push(job);
      } else if (a.status === 404) {
        settle(job, { status: "skipped", at: sentAt, detail: "notFound" });
      } else {
        const err = graphErrorFromBatchResponse(a, {
          operation: "rotateBitLockerKeys",
          deviceId: job.id,
        });
        if (a.status === 401 || (a.status === 403 && !o.forbiddenIsPerDevice)) stop(err);
        settle(
          job,
          { status: "error", at: sentAt, token: "-", detail: err.code ?? String(a.status) },
          err,
        );
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
      const landed = rotationStartedSince(job.priorStart, device) && latestRotationResult(device);
      if (landed) {
        // Its own start time (Graph's clock) stands for the lost answer's Date.
        settle(job, { status: "requested", at: wholeSeconds(landed.startDateTime) });
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
