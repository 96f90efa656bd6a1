// The JSON report for other tools: every row, the counts, the overdue devices.
import assert from "node:assert/strict";
import { readExport } from "../../provider/report/exported";
import { renderJson } from "../../provider/report/json";
import { buildReport } from "../../provider/report/summary";
import { exported, fleet, guid, mixedStack, NOW, rec } from "./report-fixtures";

describe("report: json", () => {
  it("has the counts, every row and the overdue devices", () => {
    const doc = JSON.parse(
      renderJson(buildReport(readExport(mixedStack()), { now: NOW, overdueDays: 90 })),
    );
    assert.equal(doc.schema, "bitlocker-report/v1");
    assert.deepEqual(
      [doc.now, doc.stack, doc.project, doc.resources, doc.total, doc.attention],
      ["2026-11-27T10:00:00Z", "prod", "fleet-ops", 5, 14, 8],
    );
    assert.deepEqual(doc.counts, {
      escrowed: 2,
      done: 1,
      requested: 1,
      pending: 2,
      adopted: 2,
      failed: 2,
      unverified: 1,
      error: 1,
      skipped: 1,
      missing: 1,
    });
    assert.equal(doc.rows.length, 14);
    assert.deepEqual(doc.rows[1], {
      deviceId: guid(2),
      deviceName: "FIN-LT-7",
      resource: "finance-laptop",
      resourceKind: "single",
      status: "failed",
      at: "2026-11-20T09:30:00Z",
      atKind: "requested",
      token: "1dedbd9feb22",
      detail: "0x80310008",
      meaning: "BitLocker is not enabled on the drive",
      hint: "Enable BitLocker (an encryption policy) before rotating",
    });
    assert.deepEqual(doc.overdue.days, 90);
    assert.deepEqual(doc.overdue.devices[0], {
      deviceId: guid(4),
      resource: "adopted-server",
      status: "adopted",
      at: "2026-05-01T12:00:00Z",
      ageDays: 209,
    });
    assert.deepEqual(doc.warnings, []);
  });

  it("is never capped", () => {
    const records = Object.fromEntries(
      Array.from({ length: 120 }, (_, i) => [
        guid(i + 1),
        rec("failed", "2026-11-20T09:30:00Z", "0x80310008"),
      ]),
    );
    const doc = JSON.parse(
      renderJson(buildReport(readExport(exported(fleet("f", records))), { now: NOW })),
    );
    assert.equal(doc.rows.length, 120);
    assert.equal(doc.overdue, undefined, "no policy, no overdue key");
  });
});
