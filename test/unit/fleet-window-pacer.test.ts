import assert from "node:assert/strict";
import fc from "fast-check";
import { WindowPacer } from "../../provider/engine/fleet/windowPacer";

interface Run {
  /** When each request was sent. */
  sent: number[];
  /** When the server counted each request: somewhere between sending and the answer. */
  counted: number[];
}

/**
 * Drives the pacer with a virtual clock and as many requests in flight as it allows. Request
 * batch k takes rtt(k) ms to be answered, and is counted by the server at `where` (0..1) of
 * its round trip.
 */
function simulate(
  pacer: WindowPacer,
  total: number,
  batch: number,
  rtt: (k: number) => number = () => 60,
  where: (k: number) => number = () => 0.5,
): Run {
  const run: Run = { sent: [], counted: [] };
  const pending: { at: number; n: number }[] = [];
  let now = 0;
  let left = total;
  for (let k = 0; left > 0;) {
    pending.sort((a, b) => a.at - b.at);
    while (pending.length > 0 && pending[0]!.at <= now) {
      const p = pending.shift()!;
      pacer.answeredAt(p.n, p.at);
    }
    const { n, waitMs } = pacer.next(Math.min(batch, left), now);
    if (waitMs > 0) {
      now = Math.min(now + waitMs, pending[0]?.at ?? Infinity);
      continue;
    }
    const r = rtt(k);
    const w = where(k++);
    pacer.sent(n);
    pending.push({ at: now + r, n });
    for (let i = 0; i < n; i++) {
      run.sent.push(now);
      run.counted.push(now + r * w);
    }
    left -= n;
  }
  return run;
}

/** The most times that fall within one window [t, t + windowMs). */
function maxInAnyWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= windowMs) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

describe("fleet: window pacer", () => {
  const o = { limit: 200, windowMs: 20_000, share: 1 };

  it("never lets Intune count more than the limit in any window, in batches of 20", () => {
    const { counted } = simulate(new WindowPacer(o), 2000, 20);
    assert.equal(maxInAnyWindow(counted, 20_000), 200);
  });

  it("holds however unevenly requests travel: any share, batch, round trip (property)", function () {
    // 300 simulated runs: about a second, several under Stryker's coverage instrumentation.
    this.timeout(30_000);
    fc.assert(
      fc.property(
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 50 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 1, max: 700 }),
        (share, batch, rtts, wheres, total) => {
          const pacer = new WindowPacer({ ...o, share });
          const { counted } = simulate(
            pacer,
            total,
            batch,
            (k) => rtts[k % rtts.length]!,
            (k) => wheres[k % wheres.length]!,
          );
          return maxInAnyWindow(counted, 20_000) <= Math.floor(200 * share);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("starts with a full window at once, then loses only a round trip per window", () => {
    const { sent } = simulate(new WindowPacer(o), 2000, 20, () => 60);
    assert.equal(sent.filter((t) => t === 0).length, 200);
    // Ten windows' worth: each next one a window and a round trip (60 ms) after the last.
    assert.ok(sent.at(-1)! <= 9 * (20_000 + 60 + 1), `last sent at ${sent.at(-1)}`);
    const perSecond = 2000 / ((sent.at(-1)! + 20_000) / 1000);
    assert.ok(perSecond >= 9.9, `${perSecond.toFixed(2)}/s`);
  });

  it("keeps to a share below the limit", () => {
    const { counted } = simulate(new WindowPacer({ ...o, share: 0.5 }), 1000, 20);
    assert.ok(maxInAnyWindow(counted, 20_000) <= 100);
  });

  it("counts requests in flight: with no answer yet, a full window waits", () => {
    const pacer = new WindowPacer(o);
    pacer.sent(200);
    const { waitMs } = pacer.next(20, 0);
    assert.ok(waitMs > 0);
    pacer.answeredAt(200, 500);
    assert.equal(pacer.next(20, 600).waitMs, 20_000 + 500 + 1 - 600);
  });

  it("pauses for Retry-After after a 429 and then goes slower", () => {
    const pacer = new WindowPacer(o);
    pacer.sent(20);
    pacer.answeredAt(20, 50);
    pacer.throttled(5000, 100);
    assert.ok(pacer.next(20, 100).waitMs >= 4900);
    assert.ok(pacer.budget() < 200);
  });

  it("after a 429 lowers the budget, waits for enough old answers to leave, not just one", () => {
    const pacer = new WindowPacer(o);
    for (let t = 0; t < 200; t++) {
      pacer.sent(1);
      pacer.answeredAt(1, t);
    }
    pacer.throttled(0, 200); // budget 180 now
    const { waitMs } = pacer.next(1, 200);
    // 200 in the window, 180 allowed: the 21st oldest (answered at 20) must leave first.
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

  it("says how much longer a 429's pause holds (so callers can hold it to their budget)", () => {
    const pacer = new WindowPacer(o);
    assert.equal(pacer.pausedFor(0), 0);
    pacer.throttled(3_600_000, 1000);
    assert.equal(pacer.pausedFor(1000), 3_600_000);
    assert.equal(pacer.pausedFor(601_000), 3_000_000);
    pacer.throttled(10, 2000); // a shorter pause never shortens a longer one
    assert.equal(pacer.pausedFor(2000), 3_599_000);
    assert.equal(pacer.pausedFor(3_601_000), 0);
  });

  describe("after 429s", () => {
    it("recovers a twentieth of the rate per clean window, once per window however often asked", () => {
      // Rule: recovery is paced by windows, not by calls; a busy loop must not undo a 429.
      const pacer = new WindowPacer(o);
      pacer.throttled(0, 0);
      assert.equal(pacer.budget(), 180);
      pacer.next(1, 20_000); // not yet a whole clean window
      assert.equal(pacer.budget(), 180);
      pacer.next(1, 20_001);
      assert.equal(pacer.budget(), 190);
      for (let t = 20_002; t < 40_001; t += 1000) pacer.next(1, t);
      assert.equal(pacer.budget(), 190);
      pacer.next(1, 40_002);
      assert.equal(pacer.budget(), 200);
    });
    it("a 429 during recovery starts the clean window again", () => {
      const pacer = new WindowPacer(o);
      pacer.throttled(0, 0);
      pacer.throttled(0, 15_000);
      assert.equal(pacer.budget(), 162);
      pacer.next(1, 30_000); // clean since 15 000 for less than a window
      assert.equal(pacer.budget(), 162);
    });
    it("slows down by a tenth per 429, never below half the rate", () => {
      const pacer = new WindowPacer(o);
      pacer.throttled(0, 0);
      pacer.throttled(0, 1);
      assert.equal(pacer.budget(), 162);
      for (let t = 2; t < 50; t++) pacer.throttled(0, t);
      assert.equal(pacer.budget(), 100);
    });
    it("keeps the longest pause: a later, shorter Retry-After does not end it early", () => {
      const pacer = new WindowPacer(o);
      pacer.throttled(10_000, 0);
      pacer.throttled(1_000, 100);
      assert.equal(pacer.next(1, 200).waitMs, 9_800);
      pacer.throttled(30_000, 300); // a longer one extends it
      assert.equal(pacer.next(1, 400).waitMs, 29_900);
    });
  });
});

describe("fleet: window pacer, exact figures", () => {
  const o = { limit: 200, windowMs: 20_000, share: 1 };
  it("a fresh pacer lets a whole batch go at once, at the window's rate", () => {
    const pacer = new WindowPacer(o);
    assert.deepEqual(pacer.next(20, 0), { n: 20, waitMs: 0 });
    assert.equal(pacer.ratePerSecond(), 10);
  });
  it("counts the margin as part of the window", () => {
    const pacer = new WindowPacer({ ...o, marginMs: 1000 });
    pacer.sent(200);
    pacer.answeredAt(200, 0);
    assert.equal(pacer.next(1, 0).waitMs, 21_001);
    assert.equal(pacer.ratePerSecond(), 200_000 / 21_000);
  });
  it("after waiting for room, sends only what the window then holds", () => {
    const pacer = new WindowPacer(o);
    for (let t = 0; t < 200; t++) {
      pacer.sent(1);
      pacer.answeredAt(1, t);
    }
    pacer.sent(5); // in flight
    // 205 in the window: the 6 oldest must leave; then 193 logged + 5 in flight leave room for 2.
    assert.deepEqual(pacer.next(20, 200), { n: 2, waitMs: 20_006 - 200 });
  });
  it("when one answered request leaving makes room, waits for exactly that", () => {
    const pacer = new WindowPacer(o);
    pacer.sent(200);
    pacer.answeredAt(1, 500); // 199 still in flight, one answered at 500
    assert.equal(pacer.next(1, 600).waitMs, 500 + 20_000 + 1 - 600);
  });
  it("in flight and paused: waits out the pause, from now", () => {
    const pacer = new WindowPacer(o);
    pacer.sent(200);
    pacer.throttled(5000, 0);
    assert.equal(pacer.next(1, 100).waitMs, 4900);
  });
  it("a pause longer than a window leaves the window empty at its end", () => {
    const pacer = new WindowPacer(o);
    pacer.sent(175);
    pacer.answeredAt(175, 0);
    pacer.throttled(30_000, 0);
    assert.deepEqual(pacer.next(20, 0), { n: 20, waitMs: 30_000 });
  });
  it("forgets answers a whole window old: its log never holds more than a window's requests", () => {
    // Rule: memory stays bounded over a 100 000-device run. White-box: the log is private.
    const pacer = new WindowPacer(o);
    const logSize = () => (pacer as unknown as { answered: number[] }).answered.length;
    pacer.sent(3);
    pacer.answeredAt(2, 0);
    pacer.answeredAt(1, 10);
    pacer.next(1, 19_999);
    assert.equal(logSize(), 3);
    pacer.next(1, 20_000); // the two answered at 0 are exactly a window old
    assert.equal(logSize(), 1);
    pacer.next(1, 20_010);
    assert.equal(logSize(), 0);
  });
});
