import assert from "node:assert/strict";
import { PostPacer } from "../../provider/engine/fleet/postPacer";

/** Drives the pacer with a virtual clock; returns send times of batches of `batch`. */
function simulate(
  pacer: PostPacer,
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

function maxInAnyWindow(times: number[], windowMs: number): number {
  let max = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= windowMs) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

describe("fleet: POST pacer", () => {
  const o = { limit: 200, windowMs: 20_000, share: 0.97 };

  it("never exceeds its share of the limit in any window, in batches of 20", () => {
    const times = simulate(new PostPacer(o), 2000, 20);
    assert.ok(maxInAnyWindow(times, 20_000) <= 194, `max ${maxInAnyWindow(times, 20_000)}`);
  });

  it("reaches at least 95% of the limit's throughput", () => {
    const times = simulate(new PostPacer(o), 2000, 20);
    const perSecond = 2000 / ((times.at(-1)! + 1) / 1000);
    assert.ok(perSecond >= 9.5, `${perSecond.toFixed(2)}/s`);
  });

  it("also holds for single POSTs and a full share", () => {
    const times = simulate(new PostPacer({ ...o, share: 1 }), 1000, 1);
    assert.ok(maxInAnyWindow(times, 20_000) <= 200);
  });

  it("pauses for Retry-After after a 429 and then goes slower", () => {
    const pacer = new PostPacer(o);
    pacer.record(20, 0);
    pacer.throttled(5000, 100);
    assert.ok(pacer.next(20, 100).waitMs >= 4900);
    assert.ok(pacer.budget() < 194);
  });

  it("recovers its rate after clean windows", () => {
    const pacer = new PostPacer(o);
    pacer.throttled(1000, 0);
    const lowered = pacer.budget();
    for (let t = 21_000; t < 200_000; t += 21_000) pacer.next(1, t);
    assert.ok(pacer.budget() > lowered);
    assert.equal(pacer.budget(), 194);
  });
});
