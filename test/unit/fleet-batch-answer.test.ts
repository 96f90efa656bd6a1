// The fleet's decision for each answer to a rotation POST sent in a $batch (pure table).
import assert from "node:assert/strict";
import { DEFAULT_RETRY_CONFIG } from "../../provider/graph/retryPolicy";
import {
  afterFailedSend,
  answerAction,
  batchFailureAction,
  endOfSends,
  type AnswerContext,
} from "../../provider/plan/fleet/batchAnswer";

const SENT_AT = "2026-11-27T10:00:00.500Z";
const ctx = (over: Partial<AnswerContext> = {}): AnswerContext => ({
  sentAt: SENT_AT,
  forbiddenIsPerDevice: true,
  attempts: 1,
  elapsedMs: 0,
  config: DEFAULT_RETRY_CONFIG,
  now: 0,
  ...over,
});

describe("plan: what the fleet does with each answer to a rotation it sent in a $batch", () => {
  it("204 (or 200): requested, at the answer's Date on Graph's clock", () => {
    const date = { date: "Fri, 27 Nov 2026 10:00:01 GMT" };
    for (const status of [204, 200])
      assert.deepEqual(answerAction({ status, headers: date }, ctx()), {
        kind: "requested",
        at: "2026-11-27T10:00:01Z",
        localTime: false,
      });
  });
  it("204 without a Date: requested at our send time, and says the time is ours", () => {
    assert.deepEqual(answerAction({ status: 204 }, ctx()), {
      kind: "requested",
      at: SENT_AT,
      localTime: true,
    });
  });
  it("404: skipped, the device is gone", () => {
    assert.deepEqual(answerAction({ status: 404 }, ctx()), { kind: "skipped", detail: "notFound" });
  });
  it("500, 502, 504: outcome unknown, look before sending again (never resent blind)", () => {
    for (const status of [500, 502, 504])
      assert.deepEqual(answerAction({ status }, ctx()), { kind: "check" }, String(status));
  });
  it("429: send again after Graph's wait, and pause every send as long", () => {
    const a = answerAction({ status: 429, headers: { "retry-after": "7" } }, ctx());
    assert.deepEqual(a, { kind: "retry", delayMs: 7000, pauseMs: 7000, detail: "TooManyRequests" });
  });
  it("503: send again after Graph's wait; no pause for the others", () => {
    const a = answerAction({ status: 503, headers: { "retry-after": "2" } }, ctx());
    assert.deepEqual(a, { kind: "retry", delayMs: 2000, detail: "ServiceUnavailable" });
  });
  it("a 429 wait past the budget: give up now, still pausing every send for Graph's wait", () => {
    const a = answerAction(
      { status: 429, headers: { "retry-after": "3600" } },
      ctx({ elapsedMs: 10_000 }),
    );
    assert.deepEqual(a, {
      kind: "giveUp",
      pauseMs: 3_600_000,
      budget: { waitMs: 3_600_000, leftMs: 170_000, budgetMs: 180_000, askedByGraph: true },
    });
    const b = answerAction({ status: 503, headers: { "retry-after": "3600" } }, ctx());
    assert.equal(b.kind, "giveUp");
    assert.equal("pauseMs" in b, false);
  });
  it("a 429 after the last retry: give up, without a pause", () => {
    const a = answerAction(
      { status: 429, headers: { "retry-after": "1" } },
      ctx({ attempts: DEFAULT_RETRY_CONFIG.maxRetries + 1 }),
    );
    assert.deepEqual(a, { kind: "giveUp" });
    const last = answerAction(
      { status: 429, headers: { "retry-after": "1" } },
      ctx({ attempts: DEFAULT_RETRY_CONFIG.maxRetries }),
    );
    assert.equal(last.kind, "retry");
  });
  it("403 with the permission held: an error for this device only", () => {
    assert.deepEqual(answerAction({ status: 403 }, ctx()), { kind: "error", stop: false });
  });
  it("403 without it, and 401: an error that stops the run (every device would fail alike)", () => {
    assert.deepEqual(answerAction({ status: 403 }, ctx({ forbiddenIsPerDevice: false })), {
      kind: "error",
      stop: true,
    });
    assert.deepEqual(answerAction({ status: 401 }, ctx()), { kind: "error", stop: true });
  });
  it("400 and other refusals: an error for this device, the run goes on", () => {
    for (const status of [400, 409, 501])
      assert.deepEqual(answerAction({ status }, ctx({ forbiddenIsPerDevice: false })), {
        kind: "error",
        stop: false,
      });
  });
});

describe("plan: a whole rotation $batch that failed", () => {
  it("its answer lost: every device is checked before any resend", () => {
    assert.deepEqual(batchFailureAction({ outcomeUnknown: true, status: 504 }), { kind: "check" });
  });
  it("401 or 403 for the whole batch: stop, each device an error", () => {
    for (const status of [401, 403])
      assert.deepEqual(batchFailureAction({ outcomeUnknown: false, status }), {
        kind: "fail",
        giveUp: false,
        stop: true,
      });
  });
  it("429 past the client's retries: give up, pausing every send for Graph's wait", () => {
    assert.deepEqual(
      batchFailureAction({ outcomeUnknown: false, status: 429, retryAfterSeconds: 30 }),
      { kind: "fail", giveUp: true, stop: false, pauseMs: 30_000 },
    );
    assert.deepEqual(batchFailureAction({ outcomeUnknown: false, status: 503 }), {
      kind: "fail",
      giveUp: true,
      stop: false,
    });
  });
  it("anything else (a request that could not be built): errors, the run goes on", () => {
    assert.deepEqual(batchFailureAction({ outcomeUnknown: false }), {
      kind: "fail",
      giveUp: false,
      stop: false,
    });
  });
});

describe("plan: when a device is sent no more in this run", () => {
  it("sends again while attempts are left", () => {
    assert.equal(afterFailedSend(2, 3, undefined), "again");
    assert.equal(afterFailedSend(3, 3, undefined), "error");
  });
  it("a lost answer stays unverified (the next run reads the device), never an error", () => {
    // Rule: an error record would be resent next run without looking, rotating twice if the
    // lost request had landed.
    assert.equal(afterFailedSend(3, 3, SENT_AT), "unverified");
    assert.equal(endOfSends(SENT_AT), "unverified");
    assert.equal(endOfSends(undefined), "error");
  });
});

describe("plan: a whole rotation $batch refused with 503 and a Retry-After", () => {
  it("a 429 without Retry-After: gives up, no pause (nothing to wait out)", () => {
    assert.deepEqual(batchFailureAction({ outcomeUnknown: false, status: 429 }), {
      kind: "fail",
      giveUp: true,
      stop: false,
    });
  });
  it("gives up without pausing the others (only a 429 pauses every send)", () => {
    assert.deepEqual(
      batchFailureAction({ outcomeUnknown: false, status: 503, retryAfterSeconds: 5 }),
      { kind: "fail", giveUp: true, stop: false },
    );
  });
});
