// When to try a Graph request again, and after how long: the one decision for every answer,
// top-level requests (interceptors/retry.ts) and the inner requests of a $batch (the fleet's
// reads and rotations) alike: one status list, one jitter, one budget. Pure, so the rule that
// matters most is unit-tested: a request that is not idempotent (the rotation POST) is retried
// only when Graph certainly did not act on it; and no wait is started that would end past the
// budget (a Retry-After of an hour fails the request at once instead of holding the run).
import { retryAfterMs, type HeaderBag } from "./retryAfter";

export interface RetryConfig {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Total time a request may take, waits included. */
  budgetMs: number;
  /** First backoff when Graph gives no Retry-After. */
  minDelayMs: number;
  /** Cap of one backoff. */
  maxDelayMs: number;
}

/** The defaults, here only: settings (bitlocker:maxRetries, retryBudgetSeconds) start from them. */
export const DEFAULT_RETRY_CONFIG: RetryConfig = {
  maxRetries: 5,
  budgetMs: 180_000,
  minDelayMs: 1_000,
  maxDelayMs: 30_000,
};

/** What went wrong with one attempt. */
export type AttemptFailure =
  | {
      kind: "status";
      status: number;
      /** The answer's headers (Retry-After and its ms variants are read from them). */
      headers?: HeaderBag;
    }
  | {
      kind: "transport";
      /** Node / undici error code (ECONNREFUSED, UND_ERR_SOCKET, UND_ERR_HEADERS_TIMEOUT…). */
      code: string | undefined;
      /** undici reported the whole request written to the socket (onRequestSent). */
      requestWritten: boolean;
      /** Response headers had arrived before the failure. */
      responseStarted: boolean;
    };

type NoRetryReason =
  | "not-retryable"
  | "retries-exhausted"
  | "budget-exhausted"
  /** Not idempotent, and Graph may have acted: the caller must check before re-sending. */
  | "outcome-unknown";

/** Why a retry was refused for time: the wait needed, and what was left of the budget. */
export interface BudgetRefusal {
  waitMs: number;
  leftMs: number;
  budgetMs: number;
  /** The wait is Graph's (Retry-After), not our backoff. */
  askedByGraph: boolean;
}

export type RetryDecision =
  | { retry: true; delayMs: number }
  | { retry: false; reason: Exclude<NoRetryReason, "budget-exhausted"> }
  | { retry: false; reason: "budget-exhausted"; budget: BudgetRefusal };

export interface RetryInput {
  /** GET (and a $batch of GETs) is idempotent; the rotation POST is not. */
  idempotent: boolean;
  failure: AttemptFailure;
  /** Retries already made for this request. */
  retriesSoFar: number;
  /** Time since the first attempt started. */
  elapsedMs: number;
  config: RetryConfig;
  /** 0 ≤ random < 1, for jitter. */
  random?: () => number;
  /** The clock, for a Retry-After given as an HTTP date. */
  now?: number;
}

/** Statuses that say "Graph did not do it; try later" — safe for any method. */
const NOT_ACTED_STATUSES = new Set([429, 503]);
/** Statuses where a gateway or Graph may have acted before failing. */
const MAYBE_ACTED_STATUSES = new Set([500, 502, 504]);
/** Statuses an idempotent request retries (Microsoft's SDK retry handler set). */
const IDEMPOTENT_RETRY_STATUSES = new Set([429, 503, 504]);

/** Connection-level failures worth another attempt. */
const RETRYABLE_TRANSPORT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETDOWN",
  "ENETUNREACH",
  "EHOSTDOWN",
  "EHOSTUNREACH",
  "EPIPE",
  "ETIMEDOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/** Exponential backoff with "equal jitter": half fixed, half random, capped. */
export function backoffMs(retriesSoFar: number, config: RetryConfig, random = Math.random): number {
  const exp = Math.min(config.maxDelayMs, config.minDelayMs * 2 ** retriesSoFar);
  return Math.round(exp / 2 + (exp / 2) * random());
}

/**
 * The one "outcome unknown" rule: a request that is not idempotent may have been acted on by
 * Graph when a gateway answered 500/502/504, or when the connection failed after the request
 * was written (or after the answer began). The caller must look before sending it again.
 */
export function mayHaveActed(idempotent: boolean, failure: AttemptFailure): boolean {
  if (idempotent) return false;
  if (failure.kind === "status") return MAYBE_ACTED_STATUSES.has(failure.status);
  return failure.requestWritten || failure.responseStarted;
}

function classify(input: RetryInput): "retry" | "not-retryable" | "outcome-unknown" {
  const { failure, idempotent } = input;
  if (mayHaveActed(idempotent, failure)) return "outcome-unknown";
  if (failure.kind === "status") {
    const retryable = idempotent ? IDEMPOTENT_RETRY_STATUSES : NOT_ACTED_STATUSES;
    return retryable.has(failure.status) ? "retry" : "not-retryable";
  }
  // A broken body after the headers: re-sending would not mend this response.
  if (failure.responseStarted) return "not-retryable";
  // Not written yet (refused, DNS, TLS handshake, a dead keep-alive socket): Graph never saw it.
  return failure.code !== undefined && RETRYABLE_TRANSPORT_CODES.has(failure.code)
    ? "retry"
    : "not-retryable";
}

export function decideRetry(input: RetryInput): RetryDecision {
  const verdict = classify(input);
  if (verdict !== "retry") return { retry: false, reason: verdict };
  const { config, failure } = input;
  if (input.retriesSoFar >= config.maxRetries) return { retry: false, reason: "retries-exhausted" };
  const asked = failure.kind === "status" ? retryAfterMs(failure.headers, input.now) : undefined;
  const delayMs = asked ?? backoffMs(input.retriesSoFar, config, input.random);
  // Waiting past the budget only delays the same failure (and holds the run): give up now.
  const leftMs = config.budgetMs - input.elapsedMs;
  if (delayMs > leftMs) {
    return {
      retry: false,
      reason: "budget-exhausted",
      budget: {
        waitMs: delayMs,
        leftMs: Math.max(0, leftMs),
        budgetMs: config.budgetMs,
        askedByGraph: asked !== undefined,
      },
    };
  }
  return { retry: true, delayMs };
}

/**
 * Time a request first sent at `startedAt` has used of its budget at `now`, counting an
 * operation's deadline (graph/deadline.ts) as the budget's end when it comes first.
 */
export function spentMs(
  startedAt: number,
  now: number,
  config: Pick<RetryConfig, "budgetMs">,
  deadline?: number,
): number {
  const end = Math.min(startedAt + config.budgetMs, deadline ?? Infinity);
  return config.budgetMs - (end - now);
}

/**
 * A wait the caller must make for another reason (a throttle pause shared by many requests),
 * within the same budget: undefined when it fits, else the refusal to report.
 */
export function waitExceedsBudget(
  waitMs: number,
  elapsedMs: number,
  config: Pick<RetryConfig, "budgetMs">,
): BudgetRefusal | undefined {
  const leftMs = config.budgetMs - elapsedMs;
  return waitMs > leftMs
    ? { waitMs, leftMs: Math.max(0, leftMs), budgetMs: config.budgetMs, askedByGraph: true }
    : undefined;
}
