// The Markdown report for job summaries and PR comments.
import assert from "node:assert/strict";
import { readExport } from "../../provider/report/exported";
import { code, renderMarkdown, text } from "../../provider/report/markdown";
import { buildReport } from "../../provider/report/summary";
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

const md = (doc: Record<string, unknown>, overdueDays?: number, limit = 50) =>
  renderMarkdown(
    buildReport(readExport(doc), { now: NOW, ...(overdueDays ? { overdueDays } : {}) }),
    { limit },
  );

/** The lines of the section that starts with `heading` (up to the next heading). */
function section(markdown: string, heading: RegExp): string[] {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => heading.test(l));
  assert.ok(start >= 0, `no heading ${heading}`);
  const end = lines.findIndex((l, i) => i > start && /^#{1,3} /.test(l));
  return lines.slice(start, end < 0 ? undefined : end);
}

describe("report: markdown", () => {
  const out = md(mixedStack(), 90);

  it("opens with a title naming the stack and a one-line summary", () => {
    const lines = out.split("\n");
    assert.equal(lines[0], "## BitLocker key rotation report: `prod`");
    assert.equal(
      lines[2],
      "Stack `prod` (project `fleet-ops`): **14** devices in **5** resources, as of 2026-11-27T10:00:00Z.",
    );
  });

  it("has a counts table with a total", () => {
    assert.ok(
      out.includes(
        [
          "| Status | Devices |",
          "| :-- | --: |",
          "| escrowed | 2 |",
          "| done | 1 |",
          "| requested | 1 |",
          "| pending | 2 |",
          "| adopted | 2 |",
          "| failed | 2 |",
          "| unverified | 1 |",
          "| error | 1 |",
          "| skipped | 1 |",
          "| missing | 1 |",
          "| **total** | **14** |",
        ].join("\n"),
      ),
    );
  });

  it("has a Mermaid pie chart of the statuses", () => {
    const pie = [
      "```mermaid",
      "pie title BitLocker rotation status",
      '    "escrowed" : 2',
      '    "done" : 1',
      '    "requested" : 1',
      '    "pending" : 2',
      '    "adopted" : 2',
      '    "failed" : 2',
      '    "unverified" : 1',
      '    "error" : 1',
      '    "skipped" : 1',
      '    "missing" : 1',
      "```",
    ].join("\n");
    assert.ok(out.includes(pie), out);
  });

  it("lists the devices that need attention, with cause and hint", () => {
    const rows = section(out, /^### Needs attention/);
    assert.equal(rows[0], "### Needs attention: 8 devices");
    assert.equal(
      rows[2],
      "| Status | Device | Name | Resource | Requested / decided | Token | Cause | Hint |",
    );
    const failed = rows.find((l) => l.includes("FIN-LT-7"))!;
    assert.equal(
      failed,
      "| failed | `0b7c5a2e-0000-4a2b-9c3d-000000000002` | `FIN-LT-7` | `finance-laptop` | 2026-11-20T09:30:00Z | `1dedbd9feb22` | " +
        "`0x80310008` BitLocker is not enabled on the drive | Enable BitLocker (an encryption policy) before rotating |",
    );
    assert.deepEqual(
      rows
        .filter((l) => l.startsWith("| ") && !l.startsWith("| Status") && !l.startsWith("| :--"))
        .map((l) => l.split(" | ")[0]),
      [
        "| failed",
        "| failed",
        "| error",
        "| unverified",
        "| missing",
        "| pending",
        "| pending",
        "| skipped",
      ],
    );
    assert.ok(
      rows.some((l) =>
        l.includes(
          "`Forbidden` Graph 403 Forbidden: the app lacks a permission | Grant DeviceManagementManagedDevices.ReadWrite.All",
        ),
      ),
    );
    assert.ok(rows.some((l) => l.includes("`osTooOld` Windows is older than 10.0.18363")));
  });

  it("has the overdue section under the policy", () => {
    const rows = section(out, /^### Overdue/);
    assert.equal(rows[0], "### Overdue: 3 devices");
    assert.match(rows[2]!, /90-day policy/);
    assert.equal(
      rows[6],
      "| `0b7c5a2e-0000-4a2b-9c3d-000000000004` | `SRV-ADOPT` | `adopted-server` | adopted | 2026-05-01T12:00:00Z | 209 |",
    );
    assert.equal(rows.length, 10);
  });

  it("says when nothing is overdue, and leaves the section out without a policy", () => {
    const fresh = exported(single("d", { requestedAt: "2026-11-20T09:30:00Z", status: "done" }));
    assert.deepEqual(section(md(fresh, 90), /^### Overdue/).slice(0, 3), [
      "### Overdue",
      "",
      "No device is overdue: none has its last rotation request (or adoption) 90 or more days before 2026-11-27T10:00:00Z.",
    ]);
    assert.ok(!md(mixedStack()).includes("Overdue"));
    assert.ok(md(fresh).includes("Nothing needs attention."));
  });

  it("caps long lists at the limit and says how many more, by status", () => {
    const records = Object.fromEntries(
      Array.from({ length: 73 }, (_, i) => [
        guid(i + 1),
        rec(
          i < 60 ? "failed" : "pending",
          "2026-11-20T09:30:00Z",
          i < 60 ? "0x803100E1" : undefined,
        ),
      ]),
    );
    const out = md(exported(fleet("big", records)));
    const rows = section(out, /^### Needs attention/);
    assert.equal(rows[0], "### Needs attention: 73 devices");
    assert.equal(
      rows.filter((l) => l.startsWith("| failed") || l.startsWith("| pending")).length,
      50,
    );
    assert.ok(
      rows.includes(
        "… and 23 more (10 failed, 13 pending); `bitlocker-report --format json` lists every device.",
      ),
      rows.join("\n"),
    );
    const all = section(md(exported(fleet("big", records)), undefined, 0), /^### Needs attention/);
    assert.equal(
      all.filter((l) => l.startsWith("| failed") || l.startsWith("| pending")).length,
      73,
    );
  });

  it("caps the overdue list as well", () => {
    const records = Object.fromEntries(
      Array.from({ length: 55 }, (_, i) => [guid(i + 1), rec("done", "2026-01-01T00:00:00Z")]),
    );
    const rows = section(md(exported(fleet("old", records)), 90), /^### Overdue/);
    assert.equal(rows.filter((l) => l.startsWith("| `")).length, 50);
    assert.ok(rows.includes("… and 5 more."));
  });

  it("puts state values in code spans: a device name cannot break the table, mention or link", () => {
    const evil = "LT|@octo-org/admins [x](https://e.vil) <img src=x>`\n";
    const out = md(exported(single("d", { deviceName: evil, ...failedOutcome(0x80310008 | 0) })));
    const line = out.split("\n").find((l) => l.startsWith("| failed | `"))!;
    assert.ok(line.includes("`` LT\\|@octo-org/admins [x](https://e.vil) <img src=x>` ``"), line);
    assert.equal(line.split(/(?<!\\)\|/).length, 10, "still 8 cells");
    assert.equal(code("a`b"), "``a`b``");
    assert.equal(code(""), "");
    assert.equal(text("a|b <c>"), "a\\|b &lt;c&gt;");
  });

  it("says so when the state has no BitLocker resources", () => {
    const out = md(exported());
    assert.match(out, /\*\*0\*\* devices in \*\*0\*\* resources/);
    assert.match(out, /No BitLockerKeyRotation or BitLockerKeyRotationFleet devices/);
    assert.ok(!out.includes("mermaid"), "no empty pie chart");
  });
});
