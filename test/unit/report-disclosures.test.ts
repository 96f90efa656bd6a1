// The disclosure trail in the report: who read a device's recovery key, when, and when the
// device was rotated for that read (matched by the fleet record's tokenHash).
import assert from "node:assert/strict";
import { disclosureToken } from "../../provider/plan/disclosure";
import { tokenHash } from "../../provider/plan/fleet/record";
import { readExport } from "../../provider/report/exported";
import { renderJson } from "../../provider/report/json";
import { renderMarkdown } from "../../provider/report/markdown";
import { buildReport } from "../../provider/report/summary";
import { renderTable } from "../../provider/report/table";
import { NOW, exported, fleet, guid, rec } from "./report-fixtures";

const READ_1 = "2026-11-26T08:00:00.000Z";
const READ_2 = "2026-11-27T09:00:00.000Z";

function stateWithReads(): Record<string, unknown> {
  const doc = exported(
    fleet("disclosed", {
      // Rotated for its read (the token's hash matches).
      [guid(1)]: rec(
        "requested",
        "2026-11-26T09:17:04Z",
        undefined,
        tokenHash(disclosureToken(READ_1)),
      ),
      // Rotated for an earlier read; read again since, not yet rotated for it.
      [guid(2)]: rec(
        "done",
        "2026-11-20T09:17:04Z",
        undefined,
        tokenHash(disclosureToken("2026-11-19T00:00:00Z")),
      ),
    }),
  );
  const stack = (doc.deployment as { resources: Record<string, unknown>[] }).resources[0]!;
  stack.outputs = {
    disclosed: {
      [guid(1)]: {
        token: disclosureToken(READ_1),
        deviceName: "LT-01",
        readAt: READ_1,
        readBy: "alice@contoso.example",
      },
      [guid(2)]: {
        token: disclosureToken(READ_2),
        deviceName: "LT-02",
        readAt: READ_2,
        readBy: "bob@contoso.example",
      },
    },
  };
  return doc;
}

describe("report: recovery keys read (the disclosure trail)", () => {
  const report = buildReport(readExport(stateWithReads()), { now: NOW });

  it("gives per device who read its key, when, and when it was rotated for that read", () => {
    assert.deepEqual(report.disclosures, [
      { deviceId: guid(2), deviceName: "LT-02", readBy: "bob@contoso.example", readAt: READ_2 },
      {
        deviceId: guid(1),
        deviceName: "LT-01",
        readBy: "alice@contoso.example",
        readAt: READ_1,
        rotatedAt: "2026-11-26T09:17:04Z",
        status: "requested",
        resource: "disclosed",
      },
    ]);
  });

  it("shows it in the table, Markdown and JSON", () => {
    const table = renderTable(report, { limit: 20 });
    assert.match(table, /RECOVERY KEYS READ: 2 devices/);
    assert.match(
      table,
      /LT-01\s+alice@contoso\.example\s+2026-11-26T08:00:00\.000Z\s+2026-11-26T09:17:04Z/,
    );
    assert.match(table, /LT-02\s+bob@contoso\.example\s+2026-11-27T09:00:00\.000Z\s+not yet/);
    const md = renderMarkdown(report, { limit: 20 });
    assert.match(md, /### Recovery keys read: 2 devices/);
    assert.match(
      md,
      /`alice@contoso\.example` \| 2026-11-26T08:00:00\.000Z \| 2026-11-26T09:17:04Z \| requested \|/,
    );
    assert.match(md, /\*\*not yet\*\*/);
    assert.equal(
      (JSON.parse(renderJson(report)) as { disclosures: unknown[] }).disclosures.length,
      2,
    );
  });

  it("says nothing about reads when the stack has no `disclosed` output", () => {
    const plain = buildReport(
      readExport(exported(fleet("f", { [guid(1)]: rec("requested", "2026-11-26T09:17:04Z") }))),
      { now: NOW },
    );
    assert.equal(plain.disclosures, undefined);
    assert.doesNotMatch(renderTable(plain, { limit: 20 }), /RECOVERY KEYS READ/);
  });
});
