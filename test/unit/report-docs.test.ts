// docs/reports.md shows what the command prints: its usage and a Markdown report.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { readExport } from "../../provider/report/exported";
import { renderMarkdown } from "../../provider/report/markdown";
import { USAGE } from "../../provider/report/options";
import { PREVIEW_USAGE } from "../../provider/report/previewMain";
import { buildReport, STATUS_ORDER } from "../../provider/report/summary";
import { mixedStack, NOW } from "./report-fixtures";

const DOC = readFileSync(path.resolve(__dirname, "../../docs/reports.md"), "utf8");

describe("report: docs/reports.md", () => {
  it("shows the usage the command prints, naming every status --fail-on takes", () => {
    assert.ok(DOC.includes(USAGE), "update the usage block of docs/reports.md");
    for (const s of [...STATUS_ORDER, "overdue"]) assert.match(USAGE, new RegExp(`\\b${s}\\b`));
    assert.ok(
      DOC.includes(PREVIEW_USAGE),
      "update the usage block of `preview` in docs/reports.md",
    );
  });

  it("shows the Markdown the command prints for the example stack", () => {
    const markdown = renderMarkdown(
      buildReport(readExport(mixedStack()), { now: NOW, overdueDays: 90 }),
      { limit: 50 },
    );
    assert.ok(
      DOC.includes("````markdown\n" + markdown + "````\n"),
      "update the example of docs/reports.md",
    );
  });
});
