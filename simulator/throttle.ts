// Intune's documented limits (per 20 s: writes 200 per app / 400 per tenant; any request
// 2000 per app / 4000 per tenant), as sliding windows. Every request counts, including the
// ones refused while throttled: retrying too early keeps a client throttled, as in Graph.

export interface ThrottleLimits {
  windowMs: number;
  appWrites: number;
  tenantWrites: number;
  appAll: number;
  tenantAll: number;
}

export const INTUNE_LIMITS: Readonly<ThrottleLimits> = {
  windowMs: 20_000,
  appWrites: 200,
  tenantWrites: 400,
  appAll: 2000,
  tenantAll: 4000,
};

/**
 * Runs the throttle's clock faster: 0.1 → the same 200 writes per app, per 2 s instead of
 * 20 s. Benchmarks and tests then reach (and leave) Intune's limits ten times sooner, and a
 * client paced for the limit (told the scaled window) runs ten times faster.
 */
export function scaleLimits(
  timeScale: number,
  base: ThrottleLimits = INTUNE_LIMITS,
): ThrottleLimits {
  return { ...base, windowMs: base.windowMs * timeScale };
}

export type ThrottleDecision =
  | { throttled: false }
  | { throttled: true; retryAfterMs: number; limit: keyof Omit<ThrottleLimits, "windowMs"> };

/** Timestamps in a window, oldest first (a queue on an array with a moving head). */
class SlidingWindow {
  private times: number[] = [];
  private head = 0;

  record(now: number, windowMs: number): number {
    this.prune(now, windowMs);
    this.times.push(now);
    return this.times.length - this.head;
  }

  /** When a new request would fit under `limit`, in ms from now. */
  retryAfterMs(now: number, windowMs: number, limit: number): number {
    const n = this.times.length - this.head;
    if (n <= limit - 1) return 0;
    const oldestThatMustExpire = this.times[this.head + (n - limit)] as number;
    return Math.max(0, oldestThatMustExpire + windowMs - now);
  }

  private prune(now: number, windowMs: number): void {
    const cutoff = now - windowMs;
    while (this.head < this.times.length && (this.times[this.head] as number) <= cutoff)
      this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
}

interface Windows {
  writes: SlidingWindow;
  all: SlidingWindow;
}

export class Throttle {
  private readonly apps = new Map<string, Windows>();
  private tenant: Windows = newWindows();

  constructor(private limits: ThrottleLimits | null) {}

  setLimits(limits: ThrottleLimits | null): void {
    this.limits = limits;
    this.reset();
  }

  getLimits(): ThrottleLimits | null {
    return this.limits;
  }

  reset(): void {
    this.apps.clear();
    this.tenant = newWindows();
  }

  /** Counts one Intune request by `appId` and decides whether it is refused. */
  check(appId: string, method: string, now = Date.now()): ThrottleDecision {
    const limits = this.limits;
    if (!limits) return { throttled: false };
    let app = this.apps.get(appId);
    if (!app) {
      app = newWindows();
      this.apps.set(appId, app);
    }
    const w = limits.windowMs;
    const checks: [SlidingWindow, number, keyof Omit<ThrottleLimits, "windowMs">][] = [
      [app.all, limits.appAll, "appAll"],
      [this.tenant.all, limits.tenantAll, "tenantAll"],
    ];
    if (isWrite(method)) {
      checks.push(
        [app.writes, limits.appWrites, "appWrites"],
        [this.tenant.writes, limits.tenantWrites, "tenantWrites"],
      );
    }
    let worst: ThrottleDecision = { throttled: false };
    for (const [window, limit, name] of checks) {
      const count = window.record(now, w);
      if (count > limit) {
        const retryAfterMs = window.retryAfterMs(now, w, limit);
        if (!worst.throttled || retryAfterMs > worst.retryAfterMs) {
          worst = { throttled: true, retryAfterMs, limit: name };
        }
      }
    }
    return worst;
  }
}

function isWrite(method: string): boolean {
  return method === "POST" || method === "PUT" || method === "PATCH" || method === "DELETE";
}

function newWindows(): Windows {
  return { writes: new SlidingWindow(), all: new SlidingWindow() };
}
