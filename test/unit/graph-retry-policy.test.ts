import assert from "node:assert/strict";
import { parseRetryAfterMs } from "../../provider/graph/retry-after";
import {
  backoffMs,
  decideRetry,
  type AttemptFailure,
  type RetryConfig,
  type RetryDecision,
} from "../../provider/graph/retry-policy";

const config: RetryConfig = {
  maxRetries: 3,
  budgetMs: 60_000,
  minDelayMs: 1_000,
  maxDelayMs: 8_000,
};
const half = () => 0.5;

function decide(
  idempotent: boolean,
  failure: AttemptFailure,
  extra: Partial<{ retriesSoFar: number; elapsedMs: number }> = {},
): RetryDecision {
  return decideRetry({
    idempotent,
    failure,
    retriesSoFar: 0,
    elapsedMs: 0,
    config,
    random: half,
    ...extra,
  });
}

const status = (s: number, retryAfterMs?: number): AttemptFailure =>
  retryAfterMs === undefined
    ? { kind: "status", status: s }
    : { kind: "status", status: s, retryAfterMs };
const transport = (
  code: string,
  requestWritten: boolean,
  responseStarted = false,
): AttemptFailure => ({
  kind: "transport",
  code,
  requestWritten,
  responseStarted,
});

describe("graph: retry decision, GET vs POST", () => {
  const table: [string, boolean, AttemptFailure, "retry" | RetryDecision["retry"] | string][] = [
    // GET (idempotent): the SDK set 429/503/504 and connection errors.
    ["GET 429", true, status(429), "retry"],
    ["GET 503", true, status(503), "retry"],
    ["GET 504", true, status(504), "retry"],
    ["GET 500", true, status(500), "not-retryable"],
    ["GET 404", true, status(404), "not-retryable"],
    ["GET reset after sending", true, transport("ECONNRESET", true), "retry"],
    ["GET headers timeout", true, transport("UND_ERR_HEADERS_TIMEOUT", true), "retry"],
    ["GET TLS failure", true, transport("DEPTH_ZERO_SELF_SIGNED_CERT", false), "not-retryable"],
    ["GET body broken mid-way", true, transport("UND_ERR_SOCKET", true, true), "not-retryable"],
    // POST (not idempotent): only when Graph certainly did not act.
    ["POST 429", false, status(429), "retry"],
    ["POST 503", false, status(503), "retry"],
    ["POST 504", false, status(504), "outcome-unknown"],
    ["POST 502", false, status(502), "outcome-unknown"],
    ["POST 500", false, status(500), "outcome-unknown"],
    ["POST 400", false, status(400), "not-retryable"],
    ["POST 403", false, status(403), "not-retryable"],
    ["POST refused (never written)", false, transport("ECONNREFUSED", false), "retry"],
    ["POST DNS failure", false, transport("ENOTFOUND", false), "retry"],
    [
      "POST dead keep-alive socket before writing",
      false,
      transport("UND_ERR_SOCKET", false),
      "retry",
    ],
    ["POST reset after writing", false, transport("ECONNRESET", true), "outcome-unknown"],
    [
      "POST socket closed after writing",
      false,
      transport("UND_ERR_SOCKET", true),
      "outcome-unknown",
    ],
    [
      "POST timeout after writing",
      false,
      transport("UND_ERR_HEADERS_TIMEOUT", true),
      "outcome-unknown",
    ],
    [
      "POST body broken after headers",
      false,
      transport("UND_ERR_SOCKET", true, true),
      "outcome-unknown",
    ],
    [
      "POST unknown error before writing",
      false,
      transport("ERR_SOMETHING", false),
      "not-retryable",
    ],
  ];
  for (const [name, idempotent, failure, expected] of table) {
    it(`${name} → ${expected}`, () => {
      const d = decide(idempotent, failure);
      assert.equal(d.retry ? "retry" : d.reason, expected);
    });
  }
});

describe("graph: retry limits and delays", () => {
  it("honours Retry-After over backoff", () => {
    assert.deepEqual(decide(true, status(429, 2128)), { retry: true, delayMs: 2128 });
    assert.deepEqual(decide(false, status(429, 0)), { retry: true, delayMs: 0 });
  });
  it("backs off exponentially with jitter when there is no Retry-After", () => {
    assert.deepEqual(decide(true, status(503), { retriesSoFar: 0 }), { retry: true, delayMs: 750 });
    assert.deepEqual(decide(true, status(503), { retriesSoFar: 2 }), {
      retry: true,
      delayMs: 3000,
    });
  });
  it("stops after maxRetries", () => {
    assert.deepEqual(decide(true, status(429, 10), { retriesSoFar: 3 }), {
      retry: false,
      reason: "retries-exhausted",
    });
  });
  it("gives up at once when the wait would overrun the budget", () => {
    assert.deepEqual(decide(false, status(429, 30_000), { elapsedMs: 40_000 }), {
      retry: false,
      reason: "budget-exhausted",
    });
    assert.deepEqual(decide(false, status(429, 20_000), { elapsedMs: 40_000 }), {
      retry: true,
      delayMs: 20_000,
    });
  });
  it("outcome-unknown wins over the limits (it is never retried)", () => {
    assert.deepEqual(decide(false, status(504), { retriesSoFar: 99 }), {
      retry: false,
      reason: "outcome-unknown",
    });
  });
  it("backoff stays within [exp/2, exp] and is capped", () => {
    for (let n = 0; n < 10; n++) {
      const exp = Math.min(config.maxDelayMs, config.minDelayMs * 2 ** n);
      assert.equal(
        backoffMs(n, config, () => 0),
        exp / 2,
      );
      assert.ok(backoffMs(n, config, () => 0.999999) <= exp);
    }
    assert.equal(
      backoffMs(20, config, () => 0.999999),
      8000,
    );
  });
});

describe("graph: parseRetryAfterMs", () => {
  const now = Date.parse("2026-11-27T09:00:00Z");
  const cases: [string | string[] | undefined, number | undefined][] = [
    ["2", 2000],
    ["2.128", 2128],
    ["0", 0],
    [" 3 ", 3000],
    [["1.5", "9"], 1500],
    ["Fri, 27 Nov 2026 09:00:07 GMT", 7000],
    ["Fri, 27 Nov 2026 08:59:00 GMT", 0],
    ["-1", undefined],
    ["soon", undefined],
    ["", undefined],
    [undefined, undefined],
  ];
  for (const [value, expected] of cases) {
    it(`${JSON.stringify(value)} → ${expected}`, () =>
      assert.equal(parseRetryAfterMs(value, now), expected));
  }
});
