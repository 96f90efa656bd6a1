import assert from "node:assert/strict";
import { FleetProgress, formatDuration } from "../../provider/engine/fleet/progress";

describe("fleet: progress lines", () => {
  it("measures the rate from the first record, not from when the run was set up", async () => {
    const p = new FleetProgress("f", 1000, 60_000);
    await new Promise((r) => setTimeout(r, 50)); // set-up time that must not count
    const first = Date.now();
    for (let i = 0; i < 100; i++) p.add("requested");
    const line = p.line(first + 10_000);
    assert.match(line, /^fleet f: 100\/1000 \(requested 100\) at 10\.0\/s, ETA 1m30s$/);
  });

  it("gives no rate under a second", () => {
    const p = new FleetProgress("f", 3, 60_000);
    p.add("skipped");
    assert.match(p.line(Date.now()), /^fleet f: 1\/3 \(skipped 1\) in 0s$/);
  });

  it("formats durations", () => {
    assert.equal(formatDuration(59.4), "59s");
    assert.equal(formatDuration(61), "1m01s");
  });
});
