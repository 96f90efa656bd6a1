// Paces rotation POSTs so that no window of Intune's throttling period holds more than our
// share of the per-app limit (200 POST per 20 s): a sliding-window log is the guarantee, even
// spacing keeps the load smooth, and a 429 pauses everything (retrying while throttled only
// extends the throttle) and lowers the rate until windows pass cleanly again.
// Pure apart from the clock it is given.

export interface PacerOptions {
  /** POSTs allowed per window by Intune (200). */
  limit: number;
  /** The window in ms (20 000; less under the simulator's time scale). */
  windowMs: number;
  /** Our share of the limit, 0 < share ≤ 1 (other tools may use the same app). */
  share: number;
}

export class PostPacer {
  private readonly sent: number[] = [];
  private pausedUntil = 0;
  private lastSendAt = -Infinity;
  private lastSendCount = 0;
  /** Multiplier in (0, 1] lowered by 429s, restored by clean windows. */
  private backoff = 1;
  private lastThrottleAt = -Infinity;

  constructor(private readonly o: PacerOptions) {}

  /** POSTs allowed per window right now. */
  budget(): number {
    return Math.max(1, Math.floor(this.o.limit * this.o.share * this.backoff));
  }

  /**
   * How many of `want` POSTs may go, and after how long. The window may have room for fewer
   * than a whole batch: send those (a smaller $batch) rather than wait for the whole one.
   */
  next(want: number, now: number): { n: number; waitMs: number } {
    this.recover(now);
    this.forget(now);
    const budget = this.budget();
    const w = this.o.windowMs;
    // Even spacing: the previous send used its share of the window.
    let at = Math.max(now, this.pausedUntil, this.lastSendAt + (w / budget) * this.lastSendCount);
    let inWindow = this.countAfter(at - w);
    if (inWindow >= budget) {
      // Wait until the oldest send still in the window leaves it.
      at = this.sent[this.sent.length - inWindow]! + w + 1;
      inWindow = this.countAfter(at - w);
    }
    return { n: Math.max(1, Math.min(want, budget - inWindow)), waitMs: Math.max(0, at - now) };
  }

  /** Records `n` POSTs sent at `now`. */
  record(n: number, now: number): void {
    for (let i = 0; i < n; i++) this.sent.push(now);
    this.lastSendAt = now;
    this.lastSendCount = n;
  }

  private countAfter(t: number): number {
    let i = this.sent.length;
    while (i > 0 && this.sent[i - 1]! > t) i--;
    return this.sent.length - i;
  }

  /** A 429: stop until Retry-After has passed, then go slower. */
  throttled(retryAfterMs: number, now: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, now + retryAfterMs);
    this.backoff = Math.max(0.5, this.backoff * 0.9);
    this.lastThrottleAt = now;
  }

  private recover(now: number): void {
    if (this.backoff < 1 && now - this.lastThrottleAt > this.o.windowMs) {
      this.backoff = Math.min(1, this.backoff + 0.05);
      this.lastThrottleAt = now;
    }
  }

  private forget(now: number): void {
    while (this.sent.length > 0 && this.sent[0]! <= now - this.o.windowMs) this.sent.shift();
  }
}
