// From rows to the report: counts per status, what needs a person, and what is overdue under
// a rotation policy. Pure: the time is an argument.
import type { ExportedState } from "./exported";
import { disclosureRows } from "./disclosures";
import { rowsOf } from "./rows";
import type { OverdueRow, Report, ReportRow, ReportStatus } from "./types";

/** Every status word, in the order counts are shown: good news first. */
export const STATUS_ORDER: readonly ReportStatus[] = [
  "escrowed",
  "done",
  "requested",
  "pending",
  "adopted",
  "failed",
  "notSupported",
  "canceled",
  "unverified",
  "error",
  "skipped",
  "missing",
];

/** Statuses that need a person, most severe first. Unknown words are shown too, last. */
export const ATTENTION_ORDER: readonly ReportStatus[] = [
  "failed",
  "error",
  "unverified",
  "notSupported",
  "canceled",
  "missing",
  "pending",
  "skipped",
];

const DAY_MS = 86_400_000;

export interface ReportOptions {
  now: Date;
  /** Rotation policy: devices whose last request or adoption is this many days old are due. */
  overdueDays?: number;
}

export function buildReport(state: ExportedState, options: ReportOptions): Report {
  const { rows, warnings } = rowsOf(state.resources);
  const report: Report = {
    now: options.now.toISOString().replace(/\.\d{3}Z$/, "Z"),
    ...(state.stack ? { stack: state.stack } : {}),
    ...(state.project ? { project: state.project } : {}),
    resources: state.resources.length,
    rows,
    counts: countStatuses(rows),
    attention: attentionRows(rows),
    warnings,
  };
  const disclosures = disclosureRows(state.stackOutputs, rows);
  if (disclosures.length > 0) report.disclosures = disclosures;
  if (options.overdueDays !== undefined) {
    report.overdue = {
      days: options.overdueDays,
      rows: overdueRows(rows, options.overdueDays, options.now),
    };
  }
  return report;
}

function countStatuses(rows: readonly ReportRow[]): [ReportStatus, number][] {
  const counts = new Map<ReportStatus, number>();
  for (const r of rows) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return [...counts].sort(
    ([a], [b]) => rank(STATUS_ORDER, a) - rank(STATUS_ORDER, b) || a.localeCompare(b),
  );
}

function needsAttention(status: ReportStatus): boolean {
  return ATTENTION_ORDER.includes(status) || !STATUS_ORDER.includes(status);
}

function attentionRows(rows: readonly ReportRow[]): ReportRow[] {
  return rows
    .filter((r) => needsAttention(r.status))
    .sort(
      (a, b) =>
        rank(ATTENTION_ORDER, a.status) - rank(ATTENTION_ORDER, b.status) ||
        a.status.localeCompare(b.status) ||
        (a.detail ?? "").localeCompare(b.detail ?? "") ||
        a.resource.localeCompare(b.resource) ||
        a.deviceId.localeCompare(b.deviceId),
    );
}

/**
 * Devices due for rotation: the last rotation request (or the adoption) is `days` days or
 * more before `now`, or not on record at all. Skipped and error records hold when the decision
 * was made, not a rotation, and missing devices cannot rotate: those are listed as needing
 * attention instead. Oldest first; unknown ages first of all.
 */
export function overdueRows(rows: readonly ReportRow[], days: number, now: Date): OverdueRow[] {
  const out: OverdueRow[] = [];
  for (const row of rows) {
    if (row.atKind === "decided" || row.status === "missing") continue;
    const at = row.at === undefined ? Number.NaN : Date.parse(row.at);
    if (Number.isNaN(at)) {
      out.push({ row });
    } else if (now.getTime() - at >= days * DAY_MS) {
      out.push({ row, ageDays: Math.floor((now.getTime() - at) / DAY_MS) });
    }
  }
  return out.sort(
    (a, b) =>
      (b.ageDays ?? Infinity) - (a.ageDays ?? Infinity) ||
      (a.row.at ?? "").localeCompare(b.row.at ?? "") ||
      a.row.deviceId.localeCompare(b.row.deviceId),
  );
}

/** Rows that make `--fail-on` fail: those with one of the statuses, or overdue. */
export function failingRows(report: Report, failOn: readonly string[]): ReportRow[] {
  const statuses = new Set(failOn);
  const overdue = statuses.has("overdue")
    ? new Set(report.overdue?.rows.map((o) => o.row))
    : new Set<ReportRow>();
  return report.rows.filter((r) => statuses.has(r.status) || overdue.has(r));
}

function rank(order: readonly ReportStatus[], s: ReportStatus): number {
  const i = order.indexOf(s);
  return i < 0 ? order.length : i;
}
