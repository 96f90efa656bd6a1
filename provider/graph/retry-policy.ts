// When to try a Graph request again, and after how long. Pure, so the rule that matters most
// is unit-tested: a request that is not idempotent (the rotation POST) is retried only when
// Graph certainly did not act on it.

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

export const DEFAULT_RETRY_CONFIG: RetryConfig = {
  maxRetries: 5,
  budgetMs: 180_000,
  minDelayMs: 1_000,
  maxDelayMs: 30_000,
};

/** What went wrong with one attempt. */
export type AttemptFailure =
  | { kind: "status"; status: number; retryAfterMs?: number }
  | {
      kind: "transport";
      /** Node / undici error code (ECONNREFUSED, UND_ERR_SOCKET, UND_ERR_HEADERS_TIMEOUT…). */
      code: string | undefined;
      /** undici reported the whole request written to the socket (onRequestSent). */
      requestWritten: boolean;
      /** Response headers had arrived before the failure. */
      responseStarted: boolean;
    };

export type NoRetryReason =
  | "not-retryable"
  | "retries-exhausted"
  | "budget-exhausted"
  /** Not idempotent, and Graph may have acted: the caller must check before re-sending. */
  | "outcome-unknown";

export type RetryDecision =
  { retry: true; delayMs: number } | { retry: false; reason: NoRetryReason };

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

function classify(input: RetryInput): "retry" | "not-retryable" | "outcome-unknown" {
  const { failure, idempotent } = input;
  if (failure.kind === "status") {
    if (idempotent)
      return IDEMPOTENT_RETRY_STATUSES.has(failure.status) ? "retry" : "not-retryable";
    if (NOT_ACTED_STATUSES.has(failure.status)) return "retry";
    return MAYBE_ACTED_STATUSES.has(failure.status) ? "outcome-unknown" : "not-retryable";
  }
  // A broken body after the headers: re-sending would not mend this response.
  if (failure.responseStarted) return idempotent ? "not-retryable" : "outcome-unknown";
  if (!idempotent && failure.requestWritten) return "outcome-unknown";
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
  const retryAfter = failure.kind === "status" ? failure.retryAfterMs : undefined;
  const delayMs = retryAfter ?? backoffMs(input.retriesSoFar, config, input.random);
  // Waiting past the budget only delays the same failure; give up now and say why.
  if (input.elapsedMs + delayMs > config.budgetMs)
    return { retry: false, reason: "budget-exhausted" };
  return { retry: true, delayMs };
}
