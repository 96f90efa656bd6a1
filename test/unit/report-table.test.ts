// The terminal table: counts first, then the devices needing attention grouped by cause.
import assert from "node:assert/strict";
import { readExport } from "../../provider/report/exported";
import { buildReport } from "../../provider/report/summary";
import { columns, renderTable } from "../../provider/report/table";
import {
  exported,
  failedOutcome,
  fleet,
  guid,
  mixedStack,
  NOW,
  rec,
  single,
} from "./report-fixtures";

const table = (doc: Record<string, unknown>, overdueDays?: number, limit = 50) =>
  renderTable(buildReport(readExport(doc), { now: NOW, ...(overdueDays ? { overdueDays } : {}) }), {
    limit,
  });

describe("report: terminal table", () => {
  const out = table(mixedStack(), 90);
  const lines = out.split("\n");

  it("starts with the stack, the time and the counts per status, aligned", () => {
    assert.deepEqual(lines.slice(0, 17), [
      "BitLocker key rotation report: stack prod (project fleet-ops), as of 2026-11-27T10:00:00Z",
      "14 devices in 5 resources",
      "",
      "STATUS      DEVICES",
      "escrowed          2",
      "done              1",
      "requested         1",
      "pending           2",
      "adopted           2",
      "failed            2",
      "unverified        1",
      "error             1",
      "skipped           1",
      "missing           1",
      "total            14",
      "",
      "NEEDS ATTENTION: 8 devices",
    ]);
  });

  it("groups the devices needing attention by cause, with the hint once per group", () => {
    const at = lines.indexOf("failed 0x80310008: BitLocker is not enabled on the drive (1)");
    assert.ok(at > 0, out);
    assert.deepEqual(lines.slice(at + 1, at + 4), [
      "  hint: Enable BitLocker (an encryption policy) before rotating",
      "  DEVICE                                NAME      RESOURCE        REQUESTED             TOKEN",
      "  0b7c5a2e-0000-4a2b-9c3d-000000000002  FIN-LT-7  finance-laptop  2026-11-20T09:30:00Z  1dedbd9feb22",
    ]);
    assert.ok(
      lines.includes(
        "skipped osTooOld: Windows is older than 10.0.18363 (Windows 10 1909), the first build that can rotate (1)",
      ),
    );
    assert.ok(
      lines.includes("error Forbidden: Graph 403 Forbidden: the app lacks a permission (1)"),
    );
    const groups = lines
      .filter((l) => /^\w+( \S+)?: .*\(\d+\)$/.test(l))
      .map((l) => l.split(/[ :]/)[0]);
    assert.deepEqual(groups, [
      "failed",
      "failed",
      "error",
      "unverified",
      "missing",
      "pending",
      "pending",
      "skipped",
    ]);
    const skip = lines.indexOf(
      "skipped osTooOld: Windows is older than 10.0.18363 (Windows 10 1909), the first build that can rotate (1)",
    );
    assert.match(
      lines[skip + 2]!,
      /RESOURCE\s+DECIDED\s+TOKEN/,
      "skips are decisions, not requests",
    );
  });

  it("ends with the overdue devices, right-aligned ages", () => {
    const at = lines.indexOf(
      "OVERDUE: 3 devices last requested or adopted 90 or more days before 2026-11-27T10:00:00Z",
    );
    assert.ok(at > 0, out);
    assert.deepEqual(lines.slice(at + 1, at + 3), [
      "  DEVICE                                NAME       RESOURCE        STATUS     LAST ROTATION         AGE (DAYS)",
      "  0b7c5a2e-0000-4a2b-9c3d-000000000004  SRV-ADOPT  adopted-server  adopted    2026-05-01T12:00:00Z         209",
    ]);
    assert.ok(out.endsWith("118\n"));
  });

  it("caps each group at the limit", () => {
    const records = Object.fromEntries(
      Array.from({ length: 8 }, (_, i) => [guid(i + 1), rec("pending", "2026-11-20T09:30:00Z")]),
    );
    const out = table(exported(fleet("f", records)), undefined, 3);
    assert.equal(out.split("\n").filter((l) => l.startsWith("  0b7c5a2e")).length, 3);
    assert.ok(out.includes("  … and 5 more\n"));
  });

  it("strips control characters (ANSI escapes, newlines) from names", () => {
    const out = table(
      exported(
        single("d", {
          deviceName: "EVIL\u001b[2J\u001b]0;pwned\u0007\nNAME",
          ...failedOutcome(0x80310008 | 0),
        }),
      ),
    );
    assert.ok(
      ![...out].some((c) => c !== "\n" && (c < " " || c === "\u007f")),
      JSON.stringify(out),
    );
    assert.ok(out.includes("EVIL [2J ]0;pwned NAME"));
  });

  it("says when nothing needs attention or nothing is overdue", () => {
    const out = table(exported(single("d", { status: "done" })), 90);
    assert.ok(out.includes("Nothing needs attention."));
    assert.ok(
      out.includes(
        "OVERDUE: none (no device last requested or adopted 90 or more days before 2026-11-27T10:00:00Z)",
      ),
    );
  });

  it("aligns columns by the widest cell; the last column is not padded", () => {
    assert.deepEqual(
      columns(
        ["A", "BB"],
        [
          ["xxx", "y"],
          ["z", "wwww"],
        ],
      ),
      ["A    BB", "xxx  y", "z    wwww"],
    );
    assert.deepEqual(
      columns(
        ["N", "C"],
        [
          ["a", "5"],
          ["b", "100"],
        ],
        ["l", "r"],
      ),
      ["N    C", "a    5", "b  100"],
    );
  });
});
