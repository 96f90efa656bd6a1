// The benchmark's "% of limit" figures divide by this floor; a wrong floor made them exceed 100.
import assert from "node:assert/strict";
import { trueBoundMs } from "../../bench/lib/bound";

describe("bench: the true bound of a fleet's rotations", () => {
  it("is (⌈N/200⌉ − 1) windows plus one round trip, not N / rate", () => {
    // 1,000 devices at 10× time scale (W = 2 s), 50 ms round trip: 8.05 s, not 10 s.
    assert.equal(trueBoundMs(1000, 2, 50), 8050);
    // 10,000 at Intune's real clock: 980 s plus the round trip, not 1,000 s.
    assert.equal(trueBoundMs(10_000, 20, 50), 980_050);
  });

  it("counts a partial last window as a window, and one window as no wait", () => {
    assert.equal(trueBoundMs(201, 20, 10), 20_010);
    assert.equal(trueBoundMs(200, 20, 10), 10);
    assert.equal(trueBoundMs(1, 20, 10), 10);
    assert.equal(trueBoundMs(0, 20, 10), 0);
  });
});
