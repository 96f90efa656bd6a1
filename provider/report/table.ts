// Plain-text report for a terminal: aligned columns, no colour, no dependency. Counts first,
// then the devices that need a person, grouped by cause with the hint once per group, then the
// overdue devices.
import { capped, clean, plural, stackLabel, statusDetail } from "./text";
import type { Report, ReportRow } from "./types";

export interface RenderOptions {
  /** Rows shown per list (0 = all). */
  limit: number;
}

export function renderTable(report: Report, options: RenderOptions): string {
  const where = stackLabel(report.stack, report.project);
  const lines = [
    `BitLocker key rotation report${where ? `: ${where}` : ""}, as of ${report.now}`,
    `${plural(report.rows.length, "device")} in ${plural(report.resources, "resource")}`,
    "",
  ];
  if (report.rows.length === 0) {
    lines.push("No BitLockerKeyRotation or BitLockerKeyRotationFleet devices in this state.", "");
  } else {
    const counts = report.counts.map(([s, n]) => [s, String(n)]);
    lines.push(
      ...columns(
        ["STATUS", "DEVICES"],
        [...counts, ["total", String(report.rows.length)]],
        ["l", "r"],
      ),
      "",
    );
    lines.push(...attention(report.attention, options.limit));
  }
  if (report.overdue) lines.push(...overdue(report, options.limit));
  if (report.disclosures) {
    const { shown, more } = capped(report.disclosures, options.limit);
    lines.push(
      `RECOVERY KEYS READ: ${plural(report.disclosures.length, "device")}`,
      "",
      ...columns(
        ["DEVICE", "NAME", "READ BY", "READ AT", "ROTATED AT", "STATUS"],
        shown.map((d) => [
          d.deviceId,
          clean(d.deviceName ?? ""),
          clean(d.readBy),
          d.readAt,
          d.rotatedAt ?? "not yet",
          d.status ?? "",
        ]),
        ["l", "l", "l", "l", "l", "l"],
      ),
      ...(more.length > 0 ? [`… and ${more.length} more`] : []),
      "",
    );
  }
  for (const w of report.warnings) lines.push(`warning: ${clean(w)}`);
  return lines.join("\n").replace(/\n+$/, "") + "\n";
}

function attention(rows: readonly ReportRow[], limit: number): string[] {
  if (rows.length === 0) return ["Nothing needs attention.", ""];
  const lines = [`NEEDS ATTENTION: ${plural(rows.length, "device")}`, ""];
  const groups = new Map<string, ReportRow[]>();
  for (const r of rows) {
    const key = [r.status, r.detail, r.meaning, r.hint].join("\u0000");
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const group of groups.values()) {
    const first = group[0]!;
    lines.push(
      `${clean(statusDetail(first))}${first.meaning ? `: ${clean(first.meaning)}` : ""} (${group.length})`,
    );
    if (first.hint) lines.push(`  hint: ${clean(first.hint)}`);
    const { shown, more } = capped(group, limit);
    const header = [
      "DEVICE",
      "NAME",
      "RESOURCE",
      first.atKind === "decided" ? "DECIDED" : "REQUESTED",
      "TOKEN",
    ];
    const body = shown.map((r) =>
      [r.deviceId, r.deviceName ?? "-", r.resource, r.at ?? "-", r.token].map(clean),
    );
    lines.push(...columns(header, body).map((l) => `  ${l}`));
    if (more.length > 0) lines.push(`  … and ${more.length} more`);
    lines.push("");
  }
  return lines;
}

function overdue(report: Report, limit: number): string[] {
  const { days, rows } = report.overdue!;
  const policy = `last requested or adopted ${days} or more days before ${report.now}`;
  if (rows.length === 0) return [`OVERDUE: none (no device ${policy})`, ""];
  const { shown, more } = capped(rows, limit);
  const body = shown.map(({ row, ageDays }) =>
    [
      row.deviceId,
      row.deviceName ?? "-",
      row.resource,
      row.status,
      row.at ?? "never",
      ageDays === undefined ? "?" : String(ageDays),
    ].map(clean),
  );
  return [
    `OVERDUE: ${plural(rows.length, "device")} ${policy}`,
    ...columns(["DEVICE", "NAME", "RESOURCE", "STATUS", "LAST ROTATION", "AGE (DAYS)"], body, [
      "l",
      "l",
      "l",
      "l",
      "l",
      "r",
    ]).map((l) => `  ${l}`),
    ...(more.length > 0 ? [`  … and ${more.length} more`] : []),
    "",
  ];
}

/** Aligned columns two spaces apart; the last column is not padded unless right-aligned. */
export function columns(header: string[], rows: string[][], align: ("l" | "r")[] = []): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => width(r[i] ?? ""))));
  return all.map((r) =>
    r
      .map((cell, i) => {
        const gap = " ".repeat(widths[i]! - width(cell));
        if (align[i] === "r") return gap + cell;
        return i === r.length - 1 ? cell : cell + gap;
      })
      .join("  ")
      .trimEnd(),
  );
}

/** Width in code points (good enough for ids, names and ISO times). */
function width(s: string): number {
  return [...s].length;
}
