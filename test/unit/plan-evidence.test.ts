import assert from "node:assert/strict";
import {
  SAME_CLOCK_MARGIN_MS,
  graphTimeOf,
  rotationAfter,
  wholeSeconds,
} from "../../provider/plan/evidence";
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
});
