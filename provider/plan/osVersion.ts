// Windows versions compare part by part as numbers ("10.0.19045.4651" > "10.0.18363").

/** The oldest Windows build that supports client-driven recovery password rotation (1909). */
export const MIN_WINDOWS_VERSION = "10.0.18363";

/** Parses "10.0.19045.4651" into [10, 0, 19045, 4651]; undefined when not a dotted number. */
export function parseVersion(version: string): number[] | undefined {
  if (!/^\d+(\.\d+)*$/.test(version.trim())) return undefined;
  return version.trim().split(".").map(Number);
}

/** Negative when a < b, 0 when equal, positive when a > b; missing parts count as 0. */
export function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function isAtLeast(version: string, minimum: string): boolean {
  const v = parseVersion(version);
  const m = parseVersion(minimum);
  return v !== undefined && m !== undefined && compareVersions(v, m) >= 0;
}
