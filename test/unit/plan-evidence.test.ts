import assert from "node:assert/strict";
import {
  SAME_CLOCK_MARGIN_MS,
  graphTimeOf,
  rotationAfter,
  tokenMoment,
  wholeSeconds,
} from "../../provider/plan/evidence";
import { classifyReadDevice } from "../../provider/plan/fleet/classify";
import { CLOCK_SKEW_MS } from "../../provider/plan/actionResult";
import { rotationResult, windowsDevice } from "../support/devices";

const rotatedAt = (start: string) =>
  windowsDevice({ deviceActionResults: [rotationResult({ startDateTime: start })] });
const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

describe("plan: the evidence rule (a rotation since the old record)", () => {
  // The old record: the Date of the answer that accepted our own rotation (Graph's clock).
  const recorded = "2026-11-27T11:00:00Z";
  const since = { at: recorded, graphClock: true };

  it("our own previous rotation is never evidence: it started before its answer's Date + 1 s", () => {
    // The worst case: Graph started it 999 ms into the second its answer's Date names.
    assert.equal(rotationAfter(rotatedAt(plus(recorded, 999)), since), undefined);
    assert.equal(rotationAfter(rotatedAt(plus(recorded, -30_000)), since), undefined);
  });

  it("a rotation accepted after the old record is evidence, from the margin on", () => {
    const edge = plus(recorded, SAME_CLOCK_MARGIN_MS);
    assert.equal(rotationAfter(rotatedAt(edge), since)?.startDateTime, edge);
    assert.equal(
      rotationAfter(rotatedAt(plus(recorded, SAME_CLOCK_MARGIN_MS - 1)), since),
      undefined,
    );
    // A token change minutes after the last run: a killed run's rotation counts.
    assert.ok(rotationAfter(rotatedAt(plus(recorded, 60_000)), since));
  });

  it("the margin is small enough for a re-run seconds later, yet covers the Date's truncation", () => {
    assert.ok(SAME_CLOCK_MARGIN_MS > 1000 && SAME_CLOCK_MARGIN_MS <= 5000);
  });

  it("a record on this machine's clock (state version 1) needs the clock-skew margin", () => {
    const local = { at: recorded, graphClock: false };
    // Graph's clock 4 minutes ahead of the machine that wrote the record: still our own.
    assert.equal(rotationAfter(rotatedAt(plus(recorded, 4 * 60_000)), local), undefined);
    assert.ok(rotationAfter(rotatedAt(plus(recorded, CLOCK_SKEW_MS)), local));
  });

  it("no record, no rotation on the device, or unreadable times: no evidence", () => {
    assert.equal(rotationAfter(rotatedAt(plus(recorded, 60_000)), undefined), undefined);
    assert.equal(rotationAfter(windowsDevice(), since), undefined);
    assert.equal(rotationAfter(rotatedAt("garbage"), since), undefined);
  });

  it("reads an HTTP Date header as Graph's time in whole seconds", () => {
    assert.equal(graphTimeOf("Sat, 28 Nov 2026 01:49:07 GMT"), "2026-11-28T01:49:07Z");
    assert.equal(graphTimeOf(undefined), undefined);
    assert.equal(graphTimeOf("not a date"), undefined);
    assert.equal(wholeSeconds("2026-11-28T01:49:07.9999999Z"), "2026-11-28T01:49:07Z");
  });

  describe("a token that names a moment (a key read then) wants a rotation after it", () => {
    // Our rotation at 11:00; another admin rotates at 12:00; the new key is read at 12:30.
    const adminRotation = "2026-11-27T12:00:00Z";
    const readToken = "read 2026-11-27T12:30:00.000Z";

    it("a rotation after the old record but before the named moment is not evidence", () => {
      assert.equal(rotationAfter(rotatedAt(adminRotation), since, readToken), undefined);
      // At the very moment named: the read may have come first; not evidence either.
      assert.equal(rotationAfter(rotatedAt("2026-11-27T12:30:00Z"), since, readToken), undefined);
    });

    it("a rotation after the named moment (a killed run's, for this token) is evidence", () => {
      const killedRun = "2026-11-27T12:40:00Z";
      assert.equal(rotationAfter(rotatedAt(killedRun), since, readToken)?.startDateTime, killedRun);
    });

    it("a fleet sends the device instead of recording the earlier rotation", () => {
      const decision = classifyReadDevice({
        device: rotatedAt(adminRotation),
        token: "3fa9c1e2b4d5",
        at: "2026-11-27T13:00:00Z",
        since,
        tokenText: readToken,
      });
      assert.deepEqual(decision, { send: true });
    });

    it("tokenMoment reads an ISO date-time with a zone, the latest of several; not a bare date", () => {
      assert.equal(tokenMoment(readToken), Date.parse("2026-11-27T12:30:00Z"));
      assert.equal(
        tokenMoment("INC-7 2026-11-27T09:00+01:00 2026-11-27T07:00Z"),
        Date.parse("2026-11-27T08:00:00Z"),
      );
      assert.equal(tokenMoment("2026-Q4"), undefined);
      assert.equal(tokenMoment("2026-11-27"), undefined);
      assert.equal(tokenMoment("INC-0042"), undefined);
    });
  });
});

describe("plan: tokenMoment, edge cases", () => {
  it("reads seconds without a fraction, and takes the latest when it comes second", () => {
    assert.equal(tokenMoment("read 2026-11-28T10:00:30Z"), Date.parse("2026-11-28T10:00:30Z"));
    assert.equal(
      tokenMoment("2026-11-27T07:00Z then 2026-11-27T09:00Z"),
      Date.parse("2026-11-27T09:00:00Z"),
    );
  });
});
