import assert from "node:assert/strict";
import { parseRetryAfterMs, retryAfterMs } from "../../provider/graph/retryAfter";
import {
  backoffMs,
  decideRetry,
  mayHaveActed,
  spentMs,
  waitExceedsBudget,
  type AttemptFailure,
  type RetryConfig,
  type RetryDecision,
} from "../../provider/graph/retryPolicy";

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

/** An answer, with `Retry-After` in seconds when a wait (ms) is given. */
const status = (s: number, waitMs?: number): AttemptFailure =>
  waitMs === undefined
    ? { kind: "status", status: s }
    : { kind: "status", status: s, headers: { "retry-after": String(waitMs / 1000) } };
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
  it("gives up at once when the wait would overrun the budget, saying by how much", () => {
    assert.deepEqual(decide(false, status(429, 30_000), { elapsedMs: 40_000 }), {
      retry: false,
      reason: "budget-exhausted",
      budget: { waitMs: 30_000, leftMs: 20_000, budgetMs: 60_000, askedByGraph: true },
    });
    assert.deepEqual(decide(false, status(429, 20_000), { elapsedMs: 40_000 }), {
      retry: true,
      delayMs: 20_000,
    });
  });
  it("budget edges: a wait ending exactly at the budget is made; 1 ms more is not", () => {
    assert.deepEqual(decide(true, status(429, 10_000), { elapsedMs: 50_000 }), {
      retry: true,
      delayMs: 10_000,
    });
    const over = decide(true, status(429, 10_001), { elapsedMs: 50_000 });
    assert.equal(over.retry ? "retry" : over.reason, "budget-exhausted");
    // Already past the budget (a slow last attempt): nothing left, even for a 0 s wait…
    const late = decide(true, status(503, 1), { elapsedMs: 60_001 });
    assert.ok(!late.retry && late.reason === "budget-exhausted" && late.budget.leftMs === 0);
    // …except a wait of nothing at the very edge.
    assert.deepEqual(decide(true, status(429, 0), { elapsedMs: 60_000 }), {
      retry: true,
      delayMs: 0,
    });
  });
  it("a Retry-After of an hour is refused at once, never waited for", () => {
    const d = decide(false, status(429, 3_600_000));
    assert.ok(!d.retry && d.reason === "budget-exhausted");
    assert.equal(d.budget.waitMs, 3_600_000);
    assert.equal(d.budget.leftMs, 60_000);
  });
  it("a backoff that would overrun the budget is refused too (not Graph's wait)", () => {
    const d = decide(true, status(503), { retriesSoFar: 2, elapsedMs: 58_000 });
    assert.ok(!d.retry && d.reason === "budget-exhausted");
    assert.equal(d.budget.askedByGraph, false);
    assert.equal(d.budget.waitMs, 3000);
  });
  it("an operation's deadline ends the budget early, never late", () => {
    // First sent at 1 000, now 11 000: 10 s of the 60 s budget spent…
    assert.equal(spentMs(1_000, 11_000, config), 10_000);
    // …but a deadline at 16 000 leaves 5 s, as if 55 s were spent.
    assert.equal(spentMs(1_000, 11_000, config, 16_000), 55_000);
    // A deadline after the budget's own end changes nothing.
    assert.equal(spentMs(1_000, 11_000, config, 999_999), 10_000);
    const d = decide(true, status(429, 6_000), {
      elapsedMs: spentMs(1_000, 11_000, config, 16_000),
    });
    assert.ok(!d.retry && d.reason === "budget-exhausted" && d.budget.leftMs === 5_000);
  });
  it("a shared wait (throttle pause) is held to the same budget", () => {
    assert.equal(waitExceedsBudget(10_000, 50_000, config), undefined);
    assert.deepEqual(waitExceedsBudget(10_001, 50_000, config), {
      waitMs: 10_001,
      leftMs: 10_000,
      budgetMs: 60_000,
      askedByGraph: true,
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

describe("graph: the wait Graph asks for, from any header form", () => {
  const now = Date.parse("2026-11-27T09:00:00Z");
  const cases: [
    string,
    Record<string, string | string[] | undefined> | undefined,
    number | undefined,
  ][] = [
    ["Retry-After seconds", { "retry-after": "3" }, 3000],
    ["Retry-After fractional", { "retry-after": "2.128" }, 2128],
    ["Retry-After HTTP date", { "retry-after": "Fri, 27 Nov 2026 09:00:07 GMT" }, 7000],
    ["Retry-After date in the past", { "retry-after": "Fri, 27 Nov 2026 08:00:00 GMT" }, 0],
    ["retry-after-ms", { "retry-after-ms": "1500" }, 1500],
    ["x-ms-retry-after-ms", { "x-ms-retry-after-ms": "250" }, 250],
    // core-rest-pipeline's order: the ms headers first.
    ["retry-after-ms before Retry-After", { "retry-after": "9", "retry-after-ms": "100" }, 100],
    ["retry-after-ms before x-ms-", { "x-ms-retry-after-ms": "7", "retry-after-ms": "100" }, 100],
    ["x-ms- before Retry-After", { "retry-after": "9", "x-ms-retry-after-ms": "7" }, 7],
    // $batch sub-responses keep Graph's spelling.
    ["inner Retry-After, Graph's case", { "Retry-After": "3600" }, 3_600_000],
    ["inner Retry-After-Ms", { "Retry-After-Ms": "42" }, 42],
    ["unreadable ms header falls through", { "retry-after-ms": "soon", "retry-after": "1" }, 1000],
    ["none", {}, undefined],
    ["no headers", undefined, undefined],
  ];
  for (const [name, headers, expected] of cases) {
    it(`${name} → ${expected}`, () => assert.equal(retryAfterMs(headers, now), expected));
  }
  it("decideRetry reads each form (top-level or inner answers alike)", () => {
    for (const headers of [
      { "retry-after": "2" },
      { "Retry-After": "2" },
      { "retry-after-ms": "2000" },
      { "x-ms-retry-after-ms": "2000" },
      { "retry-after": "Fri, 27 Nov 2026 09:00:02 GMT" },
    ]) {
      assert.deepEqual(
        decideRetry({
          idempotent: false,
          failure: { kind: "status", status: 429, headers },
          retriesSoFar: 0,
          elapsedMs: 0,
          config,
          now,
        }),
        { retry: true, delayMs: 2000 },
        JSON.stringify(headers),
      );
    }
  });
});

describe("graph: the one outcome-unknown rule", () => {
  it("only a request that is not idempotent, after Graph may have seen it", () => {
    assert.equal(mayHaveActed(false, status(504)), true);
    assert.equal(mayHaveActed(false, status(500)), true);
    assert.equal(mayHaveActed(false, status(429)), false);
    assert.equal(mayHaveActed(true, status(504)), false);
    assert.equal(mayHaveActed(false, transport("ECONNRESET", true)), true);
    assert.equal(mayHaveActed(false, transport("UND_ERR_SOCKET", false, true)), true);
    assert.equal(mayHaveActed(false, transport("ECONNREFUSED", false)), false);
    assert.equal(mayHaveActed(true, transport("ECONNRESET", true, true)), false);
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
