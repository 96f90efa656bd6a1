// The one wait-for-outcome loop, on a fake clock: no timers, no real waiting.
import assert from "node:assert/strict";
import { pollOutcome } from "../../provider/engine/pollOutcome";

/** A fake clock whose sleep advances it and records each wait. */
function fakeClock() {
  let t = 1_000_000;
  const waits: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      waits.push(ms);
      t += ms;
    },
    waits,
  };
}

describe("engine: the wait-for-outcome loop", () => {
  it("reads until settled, sleeping the poll interval between reads", async () => {
    const clock = fakeClock();
    const values = ["pending", "pending", "done"];
    let reads = 0;
    const end = await pollOutcome({
      timeoutSeconds: 60,
      pollIntervalSeconds: 10,
      read: async () => values[reads++]!,
      settled: (v) => v === "done",
      ...clock,
    });
    assert.deepEqual(end, { kind: "settled", value: "done" });
    assert.equal(reads, 3);
    assert.deepEqual(clock.waits, [10_000, 10_000]);
  });
  it("stops with the last value when the next poll would end past the wait allowed", async () => {
    const clock = fakeClock();
    let reads = 0;
    const end = await pollOutcome({
      timeoutSeconds: 25,
      pollIntervalSeconds: 10,
      read: async () => ++reads,
      settled: () => false,
      ...clock,
    });
    // Reads at 0, 10 and 20 s; a fourth at 30 s would be past 25 s.
    assert.deepEqual(end, { kind: "timeout", value: 3 });
    assert.deepEqual(clock.waits, [10_000, 10_000]);
  });
  it("polls exactly up to the deadline, not one interval short", async () => {
    const clock = fakeClock();
    let reads = 0;
    const end = await pollOutcome({
      timeoutSeconds: 20,
      pollIntervalSeconds: 10,
      read: async () => ++reads,
      settled: () => false,
      ...clock,
    });
    assert.deepEqual(end, { kind: "timeout", value: 3 });
  });
  it("a failed read ends the wait with its error (the caller says what to follow up)", async () => {
    const clock = fakeClock();
    const end = await pollOutcome({
      timeoutSeconds: 60,
      pollIntervalSeconds: 10,
      read: async () => {
        throw new Error("Graph unreachable");
      },
      settled: () => true,
      ...clock,
    });
    assert.equal(end.kind, "failed");
    assert.equal(end.kind === "failed" && end.error.message, "Graph unreachable");
    assert.deepEqual(clock.waits, []);
  });
  it("a value settled at the first read does not wait at all", async () => {
    const clock = fakeClock();
    const end = await pollOutcome({
      timeoutSeconds: 0,
      pollIntervalSeconds: 10,
      read: async () => "done",
      settled: () => true,
      ...clock,
    });
    assert.deepEqual([end.kind, clock.waits], ["settled", []]);
  });
});
