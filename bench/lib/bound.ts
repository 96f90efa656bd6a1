// The floor a fleet's rotations cannot beat under Intune's sliding window (pure arithmetic).

/** Intune's documented per-app write limit: 200 POST per 20 s (docs/graph-facts.md). */
export const INTUNE_POST_LIMIT = 200;
export const INTUNE_WINDOW_SECONDS = 20;

/**
 * From the first rotation POST to the last answer, N devices need at least
 * (⌈N/200⌉ − 1)·W + one round trip: a sliding window lets a whole window's 200 go at once, so
 * only the windows after the first are waited for, and the last window's answers take a round
 * trip. (N / rate, the steady rate, overstates it by nearly one window.)
 */
export function trueBoundMs(devices: number, windowSeconds: number, rttMs: number): number {
  if (devices <= 0) return 0;
  return (Math.ceil(devices / INTUNE_POST_LIMIT) - 1) * windowSeconds * 1000 + rttMs;
}
