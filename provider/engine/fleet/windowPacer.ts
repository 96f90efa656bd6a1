// Paces requests so that no window of Intune's throttling period holds more than our share of
// a per-app limit (200 POSTs, or 2,000 requests of any kind, per 20 s). A sliding-window log is
// the guarantee: it holds whatever kind of window Intune counts in (the type is not
// documented), and it lets a run start with a full window's burst, as Intune allows, instead
// of spreading the first window's requests over 20 s.
// A request holds its place in the window from when it is sent until one window after its
// answer came back: Intune counted it somewhere in between, so a request sent after that
// cannot share a window with it, however unevenly the requests travelled (queues, latency,
// a busy event loop). The cost is one round trip per window. A 429 pauses everything
// (retrying while throttled only extends the throttle) and lowers the rate until windows pass
// cleanly again. Pure apart from the clock it is given.

export interface PacerOptions {
  /** Requests allowed per window by Intune (200 POSTs; 2,000 of any kind). */
  limit: number;
  /** Intune's window in ms (20 000; less under the simulator's time scale). */
  windowMs: number;
  /** Our share of the limit, 0 < share ≤ 1 (other tools may use the same app). */
  share: number;
  /** Added to the window when counting (default 0: the round trip is the margin). */
  marginMs?: number;
}

/** How long to wait when only answers can make room (callers also wake on each answer). */
const IN_FLIGHT_POLL_MS = 25;

export class WindowPacer {
  /** When answered requests came back, oldest first. */
  private readonly answered: number[] = [];
  /** Sent, not yet answered: they hold a place in every window until they are. */
  private inFlight = 0;
  private pausedUntil = 0;
  /** Multiplier in (0, 1] lowered by 429s, restored by clean windows. */
  private backoff = 1;
  private lastThrottleAt = -Infinity;
  private readonly spanMs: number;

  constructor(private readonly o: PacerOptions) {
    this.spanMs = o.windowMs + (o.marginMs ?? 0);
  }

  /** Requests allowed per window right now. */
  budget(): number {
    return Math.max(1, Math.floor(this.o.limit * this.o.share * this.backoff));
  }

  /** Requests per second at the current budget, for log lines. */
  ratePerSecond(): number {
    return (this.budget() * 1000) / this.spanMs;
  }

  /**
   * How many of `want` requests may go, and after how long. The window may have room for fewer
   * than a whole batch: send those (a smaller $batch) rather than wait for the whole one.
   */
  next(want: number, now: number): { n: number; waitMs: number } {
    this.recover(now);
    this.forget(now);
    const budget = this.budget();
    let at = Math.max(now, this.pausedUntil);
    let inWindow = this.inFlight + this.countAfter(at - this.spanMs);
    if (inWindow >= budget) {
      const logged = inWindow - this.inFlight;
      const mustLeave = inWindow - budget + 1;
      // Requests still in flight fill the window: wait for answers (the caller is woken by them).
      if (mustLeave > logged) return { n: 1, waitMs: Math.max(at - now, IN_FLIGHT_POLL_MS) };
      // Wait until enough of the oldest answered ones leave the window to make room for one.
      at = this.answered[this.answered.length - logged + mustLeave - 1]! + this.spanMs + 1;
      inWindow = this.inFlight + this.countAfter(at - this.spanMs);
    }
    return { n: Math.max(1, Math.min(want, budget - inWindow)), waitMs: Math.max(0, at - now) };
  }

  /** `n` requests leave now. */
  sent(n: number): void {
    this.inFlight += n;
  }

  /** `n` requests sent earlier were answered (or given up on) at `now`. */
  answeredAt(n: number, now: number): void {
    this.inFlight = Math.max(0, this.inFlight - n);
    for (let i = 0; i < n; i++) this.answered.push(now);
  }

  /** A 429: stop until Retry-After has passed, then go slower. */
  throttled(retryAfterMs: number, now: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, now + retryAfterMs);
    this.backoff = Math.max(0.5, this.backoff * 0.9);
    this.lastThrottleAt = now;
  }

  /** How much longer a 429's pause holds every send (0 when none does). */
  pausedFor(now: number): number {
    return Math.max(0, this.pausedUntil - now);
  }

  private countAfter(t: number): number {
    let i = this.answered.length;
    while (i > 0 && this.answered[i - 1]! > t) i--;
    return this.answered.length - i;
  }

  private recover(now: number): void {
    if (this.backoff < 1 && now - this.lastThrottleAt > this.spanMs) {
      this.backoff = Math.min(1, this.backoff + 0.05);
      this.lastThrottleAt = now;
    }
  }

  private forget(now: number): void {
    // Linear in what expires: the log never holds more than a window's requests.
    let k = 0;
    while (k < this.answered.length && this.answered[k]! <= now - this.spanMs) k++;
    if (k > 0) this.answered.splice(0, k);
  }
}
