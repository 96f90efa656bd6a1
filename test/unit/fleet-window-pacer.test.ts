import assert from "node:assert/strict";
import fc from "fast-check";
import { WindowPacer } from "../../provider/engine/fleet/windowPacer";

/** Drives the pacer with a virtual clock; returns the send time of each request. */
function simulate(
  pacer: WindowPacer,
  total: number,
  batch: number,
  onSend?: (t: number) => void,
): number[] {
  const times: number[] = [];
  let now = 0;
  let left = total;
  while (left > 0) {
    const { n, waitMs } = pacer.next(Math.min(batch, left), now);
    now += waitMs;
    pacer.record(n, now);
    for (let i = 0; i < n; i++) times.push(now);
    onSend?.(now);
    left -= n;
  }
  return times;
}

/** The most requests whose times fall within one window [t, t + windowMs]. */
function maxInAnyWindow(times: number[], windowMs: number): number {
  let max = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! > windowMs) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

describe("fleet: window pacer", () => {
  const o = { limit: 200, windowMs: 20_000, share: 1 };

  it("never exceeds its share of the limit in any window, margin included, in batches of 20", () => {
    const times = simulate(new WindowPacer(o), 2000, 20);
    assert.equal(maxInAnyWindow(times, 20_000 + 200), 200);
  });

  it("holds for any share, batch size and margin (property)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 1, max: 600 }),
        (share, batch, marginMs, total) => {
          const pacer = new WindowPacer({ ...o, share, marginMs });
          const times = simulate(pacer, total, batch);
          return maxInAnyWindow(times, 20_000 + marginMs) <= Math.floor(200 * share);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("starts with a full window's burst, then runs at the limit: 2,000 POSTs in 9 windows and a bit", () => {
    const times = simulate(new WindowPacer(o), 2000, 20);
    assert.equal(times.filter((t) => t === 0).length, 200);
    // 10 windows' worth: the first at once, each next one window (plus the 1% margin) later.
    assert.equal(times.at(-1), 9 * (20_000 + 200 + 1));
    const perSecond = 2000 / ((times.at(-1)! + 20_200) / 1000);
    assert.ok(perSecond >= 9.5, `${perSecond.toFixed(2)}/s`);
  });

  it("keeps to a share below the limit", () => {
    const times = simulate(new WindowPacer({ ...o, share: 0.5 }), 1000, 20);
    assert.ok(maxInAnyWindow(times, 20_200) <= 100);
  });

  it("pauses for Retry-After after a 429 and then goes slower", () => {
    const pacer = new WindowPacer(o);
    pacer.record(20, 0);
    pacer.throttled(5000, 100);
    assert.ok(pacer.next(20, 100).waitMs >= 4900);
    assert.ok(pacer.budget() < 200);
  });

  it("after a 429 lowers the budget, waits for enough old sends to leave, not just one", () => {
    const pacer = new WindowPacer({ ...o, marginMs: 0 });
    for (let t = 0; t < 200; t++) pacer.record(1, t);
    pacer.throttled(0, 200); // budget 180 now
    const { waitMs } = pacer.next(1, 200);
    // 200 in the window, 180 allowed: the 21st oldest (sent at 20) must leave first.
    assert.equal(200 + waitMs, 20 + 20_000 + 1);
  });

  it("recovers its rate after clean windows", () => {
    const pacer = new WindowPacer(o);
    pacer.throttled(1000, 0);
    const lowered = pacer.budget();
    for (let t = 21_000; t < 400_000; t += 21_000) pacer.next(1, t);
    assert.ok(pacer.budget() > lowered);
    assert.equal(pacer.budget(), 200);
  });
});
