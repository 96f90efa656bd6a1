// Counts, what needs a person, the overdue policy and --fail-on.
import assert from "node:assert/strict";
import { readExport } from "../../provider/report/exported";
import {
  ATTENTION_ORDER,
  buildReport,
  failingRows,
  overdueRows,
  STATUS_ORDER,
} from "../../provider/report/summary";
import type { ReportRow } from "../../provider/report/types";
import { exported, fleet, guid, mixedStack, NOW, rec, single } from "./report-fixtures";

const DAY = 86_400_000;
const ago = (days: number, ms = 0) =>
  new Date(NOW.getTime() - days * DAY - ms).toISOString().replace(/\.000Z$/, "Z");

function row(
  status: string,
  at: string | undefined,
  atKind: ReportRow["atKind"] = "requested",
  deviceId = guid(1),
): ReportRow {
  return {
    deviceId,
    resource: "r",
    resourceKind: "fleet",
    status,
    ...(at ? { at } : {}),
    atKind,
    token: "-",
  };
}

describe("report: counts and attention", () => {
  it("counts every device per status across single and fleet resources, in a fixed order", () => {
    const report = buildReport(readExport(mixedStack()), { now: NOW });
    assert.deepEqual(report.counts, [
      ["escrowed", 2],
      ["done", 1],
      ["requested", 1],
      ["pending", 2],
      ["adopted", 2],
      ["failed", 2],
      ["unverified", 1],
      ["error", 1],
      ["skipped", 1],
      ["missing", 1],
    ]);
    assert.equal(report.rows.length, 14);
    assert.equal(report.resources, 5);
    assert.equal(report.now, "2026-11-27T10:00:00Z");
  });

  it("lists failed, error, unverified, notSupported, canceled, missing, pending and skipped devices, most severe first", () => {
    const statuses = [...STATUS_ORDER, "someNewWord"];
    const records = Object.fromEntries(
      statuses.map((s, i) => [guid(i + 1), rec(s as never, "2026-11-20T09:30:00Z")]),
    );
    const report = buildReport(readExport(exported(fleet("f", records))), { now: NOW });
    assert.deepEqual(
      report.attention.map((r) => r.status),
      [...ATTENTION_ORDER, "someNewWord"],
    );
  });

  it("orders rows of one status by cause, then resource, then device", () => {
    const report = buildReport(
      readExport(
        exported(
          fleet("b", {
            [guid(3)]: rec("failed", "2026-11-20T09:30:00Z", "0x80310008"),
            [guid(1)]: rec("failed", "2026-11-20T09:30:00Z", "0x80310008"),
          }),
          fleet("a", {
            [guid(2)]: rec("failed", "2026-11-20T09:30:00Z", "0x80310008"),
            [guid(4)]: rec("failed", "2026-11-20T09:30:00Z", "0x80070490"),
          }),
        ),
      ),
      { now: NOW },
    );
    assert.deepEqual(
      report.attention.map((r) => [r.detail, r.resource, r.deviceId]),
      [
        ["0x80070490", "a", guid(4)],
        ["0x80310008", "a", guid(2)],
        ["0x80310008", "b", guid(1)],
        ["0x80310008", "b", guid(3)],
      ],
    );
  });
});

describe("report: overdue policy", () => {
  it("lists devices whose last request or adoption is N days old or more, oldest first", () => {
    const rows = [
      row("done", ago(89, -1), "requested", guid(1)), // 89 days and a bit: not yet
      row("done", ago(90), "requested", guid(2)), // exactly 90 days: due
      row("escrowed", ago(200), "requested", guid(3)),
      row("adopted", ago(120), "adopted", guid(4)),
      row("failed", ago(95), "requested", guid(5)),
    ];
    const due = overdueRows(rows, 90, NOW);
    assert.deepEqual(
      due.map((o) => [o.row.deviceId, o.ageDays]),
      [
        [guid(3), 200],
        [guid(4), 120],
        [guid(5), 95],
        [guid(2), 90],
      ],
    );
    assert.deepEqual(
      overdueRows([row("done", ago(90, -1))], 90, NOW),
      [],
      "one second short of 90 days",
    );
  });

  it("a device with no rotation on record is due, listed first with no age", () => {
    const due = overdueRows(
      [row("done", ago(100), "requested", guid(1)), row("adopted", undefined, "adopted", guid(2))],
      90,
      NOW,
    );
    assert.deepEqual(
      due.map((o) => [o.row.deviceId, o.ageDays]),
      [
        [guid(2), undefined],
        [guid(1), 100],
      ],
    );
  });

  it("leaves out skipped, error and missing devices (listed as needing attention instead)", () => {
    const rows = [
      row("skipped", ago(300), "decided"),
      row("error", ago(300), "decided"),
      row("missing", ago(300)),
    ];
    assert.deepEqual(overdueRows(rows, 90, NOW), []);
  });

  it("computes ages against --now, not the clock", () => {
    const state = readExport(exported(single("d", { requestedAt: "2026-08-29T10:00:00Z" })));
    assert.equal(
      buildReport(state, { now: new Date("2026-11-27T10:00:00Z"), overdueDays: 90 }).overdue!.rows
        .length,
      1,
    );
    assert.equal(
      buildReport(state, { now: new Date("2026-11-27T09:59:59Z"), overdueDays: 90 }).overdue!.rows
        .length,
      0,
    );
    assert.equal(buildReport(state, { now: NOW }).overdue, undefined, "no policy, no section");
  });

  it("uses the adoption (resource creation) time of a single device never rotated", () => {
    const report = buildReport(readExport(mixedStack()), { now: NOW, overdueDays: 90 });
    assert.deepEqual(
      report.overdue!.rows.map((o) => [o.row.resource, o.row.status, o.ageDays]),
      [
        ["adopted-server", "adopted", 209],
        ["windows-fleet", "adopted", 179],
        ["windows-fleet", "requested", 118],
      ],
    );
  });
});

describe("report: --fail-on", () => {
  const report = buildReport(readExport(mixedStack()), { now: NOW, overdueDays: 90 });

  it("finds the devices with the given statuses", () => {
    assert.deepEqual(
      failingRows(report, ["failed", "error"])
        .map((r) => r.status)
        .sort(),
      ["error", "failed", "failed"],
    );
    assert.deepEqual(failingRows(report, ["canceled"]), []);
    assert.deepEqual(failingRows(report, []), []);
  });

  it("'overdue' finds the overdue devices", () => {
    assert.equal(failingRows(report, ["overdue"]).length, 3);
    assert.equal(
      failingRows(buildReport(readExport(mixedStack()), { now: NOW }), ["overdue"]).length,
      0,
    );
  });
});
