// What the fleet's rotator does with each answer to a rotation POST it sent in a $batch: the
// decision table, pure (engine/fleet/rotateInBatches.ts does the I/O). Per inner answer:
//   204 / 200           → requested, at the answer's Date (Graph's clock; ours if it has none)
//   429 / 503           → Intune did not act: send again after Graph's wait, by the one retry
//                         rule and within its budget (graph/retryPolicy.ts); past it, give up.
//                         A 429 pauses every send for as long as Graph asked, even a wait we
//                         will not make.
//   500 / 502 / 504     → outcome unknown (the retry policy's rule): look at the device first
//   404                 → skipped: the device is gone
//   403                 → error for this device when the app holds the permission (Intune's
//                         scope tags keep the device out of its reach); otherwise as 401
//   401, anything else  → error; 401 (and a 403 that is the app's) stops the run: every other
//                         device would fail the same way
import {
  decideRetry,
  type BudgetRefusal,
  type RetryConfig,
  type RetryDecision,
} from "../../graph/retryPolicy";
import { graphTimeOf } from "../evidence";

export interface AnswerContext {
  /** When the batch was sent (ISO 8601, this machine's clock). */
  sentAt: string;
  /** The app holds the rotation permission, so a 403 concerns one device (plan/permissions.ts). */
  forbiddenIsPerDevice: boolean;
  /** Sends of this device so far, this one included. */
  attempts: number;
  /** Time the device has used of its retry budget. */
  elapsedMs: number;
  config: RetryConfig;
  now: number;
}

export type AnswerAction =
  /** Graph accepted the rotation. `localTime`: the answer had no Date, `at` is ours. */
  | { kind: "requested"; at: string; localTime: boolean }
  | { kind: "skipped"; detail: "notFound" }
  /** Send again after `delayMs`; `pauseMs`: pause every send that long (a 429). */
  | {
      kind: "retry";
      delayMs: number;
      pauseMs?: number;
      detail: "TooManyRequests" | "ServiceUnavailable";
    }
  /** No more sends for this device in this run. */
  | { kind: "giveUp"; pauseMs?: number; budget?: BudgetRefusal }
  /** Graph may have acted: read the device before sending again. */
  | { kind: "check" }
  /** An error record; `stop`: send nothing more in this run. */
  | { kind: "error"; stop: boolean };

export function answerAction(
  answer: { status: number; headers?: Record<string, string> },
  c: AnswerContext,
): AnswerAction {
  const { status } = answer;
  if (status === 204 || status === 200) {
    // $batch sub-response headers come lower-cased (graph/batch.ts).
    const graphTime = graphTimeOf(answer.headers?.date);
    return { kind: "requested", at: graphTime ?? c.sentAt, localTime: !graphTime };
  }
  if (status === 404) return { kind: "skipped", detail: "notFound" };
  const decision: RetryDecision = decideRetry({
    idempotent: false,
    failure: { kind: "status", status, ...(answer.headers ? { headers: answer.headers } : {}) },
    retriesSoFar: c.attempts - 1,
    elapsedMs: c.elapsedMs,
    config: c.config,
    now: c.now,
  });
  if (decision.retry) {
    return {
      kind: "retry",
      delayMs: decision.delayMs,
      ...(status === 429 ? { pauseMs: decision.delayMs } : {}),
      detail: status === 429 ? "TooManyRequests" : "ServiceUnavailable",
    };
  }
  if (decision.reason === "outcome-unknown") return { kind: "check" };
  if (decision.reason === "budget-exhausted") {
    return {
      kind: "giveUp",
      budget: decision.budget,
      ...(status === 429 ? { pauseMs: decision.budget.waitMs } : {}),
    };
  }
  if (decision.reason === "retries-exhausted") return { kind: "giveUp" };
  return { kind: "error", stop: status === 401 || (status === 403 && !c.forbiddenIsPerDevice) };
}

/** A whole $batch request that failed (its answer lost, or refused as a whole). */
export type BatchFailureAction =
  | { kind: "check" }
  | {
      kind: "fail";
      /** 429 / 503: the devices give up (unverified where an earlier answer was lost). */
      giveUp: boolean;
      stop: boolean;
      pauseMs?: number;
    };

export function batchFailureAction(failure: {
  outcomeUnknown: boolean;
  status?: number | undefined;
  retryAfterSeconds?: number | undefined;
}): BatchFailureAction {
  if (failure.outcomeUnknown) return { kind: "check" };
  const { status } = failure;
  // A whole-batch 429 or 503 here outlived the client's retries (same rule, same budget).
  const throttle = status === 429 || status === 503;
  return {
    kind: "fail",
    giveUp: throttle,
    stop: status === 401 || status === 403,
    ...(status === 429 && failure.retryAfterSeconds !== undefined
      ? { pauseMs: failure.retryAfterSeconds * 1000 }
      : {}),
  };
}

/**
 * A device that will not be sent again in this run (out of attempts or budget): a lost answer
 * stays unverified, for the next run to settle by reading the device; anything else is an error.
 */
export function endOfSends(unknownSince: string | undefined): "unverified" | "error" {
  return unknownSince ? "unverified" : "error";
}

/** A failed send: again while attempts are left, else the end of sends. */
export function afterFailedSend(
  attempts: number,
  maxAttempts: number,
  unknownSince: string | undefined,
): "again" | "unverified" | "error" {
  return attempts < maxAttempts ? "again" : endOfSends(unknownSince);
}
