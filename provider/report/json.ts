// JSON for other tools: every row (never capped), the counts, the overdue devices. Rows hold
// only the report's own fields: no raw outputs.
import type { Report } from "./types";

const JSON_SCHEMA = "bitlocker-report/v1";

export function renderJson(report: Report): string {
  const doc = {
    schema: JSON_SCHEMA,
    now: report.now,
    ...(report.stack ? { stack: report.stack } : {}),
    ...(report.project ? { project: report.project } : {}),
    resources: report.resources,
    total: report.rows.length,
    counts: Object.fromEntries(report.counts),
    attention: report.attention.length,
    rows: report.rows,
    ...(report.overdue
      ? {
          overdue: {
            days: report.overdue.days,
            devices: report.overdue.rows.map(({ row, ageDays }) => ({
              deviceId: row.deviceId,
              resource: row.resource,
              status: row.status,
              ...(row.at ? { at: row.at } : {}),
              ...(ageDays !== undefined ? { ageDays } : {}),
            })),
          },
        }
      : {}),
    ...(report.disclosures ? { disclosures: report.disclosures } : {}),
    warnings: report.warnings,
  };
  return JSON.stringify(doc, null, 2) + "\n";
}
