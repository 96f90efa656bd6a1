// Small text helpers shared by the renderers.
import type { ReportRow, ReportStatus } from "./types";

/**
 * Text from state made safe to print: control characters (ANSI escapes, newlines) become
 * spaces, so a device name cannot move the cursor or break a table row.
 */
export function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ").trim();
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "failed 0x80310008" */
export function statusDetail(r: Pick<ReportRow, "status" | "detail">): string {
  return r.detail ? `${r.status} ${r.detail}` : r.status;
}

/** "2 pending, 1 skipped": what a capped list left out. */
export function leftOutByStatus(rows: readonly ReportRow[]): string {
  const counts = new Map<ReportStatus, number>();
  for (const r of rows) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s}`).join(", ");
}

/** The rows to show under a limit (0 = all) and how many were left out. */
export function capped<T>(rows: readonly T[], limit: number): { shown: T[]; more: T[] } {
  if (limit <= 0 || rows.length <= limit) return { shown: [...rows], more: [] };
  return { shown: rows.slice(0, limit), more: rows.slice(limit) };
}

/** "stack prod (project fleet-ops)" */
export function stackLabel(stack: string | undefined, project: string | undefined): string {
  if (!stack) return "";
  return project ? `stack ${clean(stack)} (project ${clean(project)})` : `stack ${clean(stack)}`;
}
