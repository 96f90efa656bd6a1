// Markdown for a CI job summary ($GITHUB_STEP_SUMMARY) or a pull-request comment: counts, a
// Mermaid pie chart, the devices that need a person (capped), and the overdue devices.
// Values from state (ids, names, resource names) go in code spans, so that a device name
// can neither break a table nor mention a person or link anywhere.
import type { RenderOptions } from "./table";
import { capped, clean, leftOutByStatus, plural } from "./text";
import type { DisclosureRow } from "./disclosures";
import type { Report, ReportRow } from "./types";

const PIE_TITLE = "BitLocker rotation status";

export function renderMarkdown(report: Report, options: RenderOptions): string {
  const out: string[] = [
    `## BitLocker key rotation report${report.stack ? `: ${code(report.stack)}` : ""}`,
    "",
  ];
  const where = report.stack
    ? `Stack ${code(report.stack)}${report.project ? ` (project ${code(report.project)})` : ""}: `
    : "";
  out.push(
    `${where}**${report.rows.length}** ${report.rows.length === 1 ? "device" : "devices"} in ` +
      `**${report.resources}** ${report.resources === 1 ? "resource" : "resources"}, as of ${report.now}.`,
    "",
  );
  for (const w of report.warnings) out.push(`> **Warning:** ${text(w)}`, "");
  if (report.rows.length === 0) {
    out.push("No BitLockerKeyRotation or BitLockerKeyRotationFleet devices in this state.", "");
  } else {
    out.push("| Status | Devices |", "| :-- | --: |");
    for (const [s, n] of report.counts) out.push(`| ${text(s)} | ${n} |`);
    out.push(`| **total** | **${report.rows.length}** |`, "");
    out.push(...pieChart(report), "");
    out.push(...attention(report.attention, options.limit));
  }
  if (report.overdue) out.push(...overdue(report, options.limit));
  if (report.disclosures) out.push(...disclosures(report.disclosures, options.limit));
  return out.join("\n").replace(/\n+$/, "") + "\n";
}

function pieChart(report: Pick<Report, "counts">): string[] {
  return [
    "```mermaid",
    `pie title ${PIE_TITLE}`,
    ...report.counts.map(([s, n]) => `    "${s.replace(/[^\w .-]/g, "_")}" : ${n}`),
    "```",
  ];
}

function attention(rows: readonly ReportRow[], limit: number): string[] {
  if (rows.length === 0) return ["### Needs attention", "", "Nothing needs attention.", ""];
  const { shown, more } = capped(rows, limit);
  const out = [
    `### Needs attention: ${plural(rows.length, "device")}`,
    "",
    "| Status | Device | Name | Resource | Requested / decided | Token | Cause | Hint |",
    "| :-- | :-- | :-- | :-- | :-- | :-- | :-- | :-- |",
  ];
  for (const r of shown) {
    const cause = r.detail
      ? `${code(r.detail)}${r.meaning ? ` ${text(r.meaning)}` : ""}`
      : text(r.meaning ?? "");
    out.push(
      `| ${text(r.status)} | ${code(r.deviceId)} | ${r.deviceName ? code(r.deviceName) : ""} | ${code(r.resource)} | ` +
        `${text(r.at ?? "")} | ${code(r.token)} | ${cause} | ${text(r.hint ?? "")} |`,
    );
  }
  if (more.length > 0) {
    out.push(
      "",
      `… and ${more.length} more (${leftOutByStatus(more)}); \`bitlocker-report --format json\` lists every device.`,
    );
  }
  return [...out, ""];
}

function overdue(report: Report, limit: number): string[] {
  const { days, rows } = report.overdue!;
  const policy = `last rotation request (or adoption) ${days} or more days before ${report.now}`;
  if (rows.length === 0) {
    return ["### Overdue", "", `No device is overdue: none has its ${policy}.`, ""];
  }
  const { shown, more } = capped(rows, limit);
  const out = [
    `### Overdue: ${plural(rows.length, "device")}`,
    "",
    `Due for rotation under a ${days}-day policy: the ${policy}, or none on record.`,
    "",
    "| Device | Name | Resource | Status | Last rotation | Age (days) |",
    "| :-- | :-- | :-- | :-- | :-- | --: |",
  ];
  for (const { row, ageDays } of shown) {
    out.push(
      `| ${code(row.deviceId)} | ${row.deviceName ? code(row.deviceName) : ""} | ${code(row.resource)} | ` +
        `${text(row.status)} | ${text(row.at ?? "never")} | ${ageDays ?? "?"} |`,
    );
  }
  if (more.length > 0) out.push("", `… and ${more.length} more.`);
  return [...out, ""];
}

/** Our own sentences (and status words): safe in a table cell, backticks kept as code. */
export function text(s: string): string {
  return clean(s)
    .replace(/\\/g, "\\\\")
    .replace(/\|/g, "\\|")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

/** A value from state as a code span: no Markdown, HTML, links or @mentions inside. */
export function code(s: string): string {
  const value = clean(s).replace(/\|/g, "\\|");
  if (value === "") return "";
  const longest = Math.max(0, ...(value.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  const pad = value.startsWith("`") || value.endsWith("`") ? " " : "";
  return `${fence}${pad}${value}${pad}${fence}`;
}

function disclosures(rows: readonly DisclosureRow[], limit: number): string[] {
  const { shown, more } = capped(rows, limit);
  const out = [
    `### Recovery keys read: ${plural(rows.length, "device")}`,
    "",
    "| Device | Name | Read by | Read at | Rotated (requested) at | Status |",
    "| :-- | :-- | :-- | :-- | :-- | :-- |",
  ];
  for (const d of shown) {
    out.push(
      `| ${code(d.deviceId)} | ${d.deviceName ? code(d.deviceName) : ""} | ${code(d.readBy)} | ` +
        `${text(d.readAt)} | ${d.rotatedAt ? text(d.rotatedAt) : "**not yet**"} | ${text(d.status ?? "")} |`,
    );
  }
  if (more.length > 0)
    out.push("", `… and ${more.length} more; \`--format json\` lists every read.`);
  return [...out, ""];
}
