// Edges of the refresh summary (plan/fleet/refreshSummary.ts): the order statuses are named in
// at both ends of the list, lines that are no record, and a one-device refresh with a status
// missing or reached escrow.
import assert from "node:assert/strict";
import { summarizeRefresh, summarizeSingleRefresh } from "../../provider/plan/fleet/refreshSummary";

const id = (n: number) => `0b7c5a2e-1111-4a2b-9c3d-${String(n).padStart(12, "0")}`;
const line = (status: string) => `${status} 2026-11-27T10:00:00Z 3fa9c1e2b4d5`;

describe("plan/fleet refreshSummary: edges", () => {
  it("escrowed, first in the order, is named first; a status it does not know is named last", () => {
    const before = {
      [id(1)]: line("requested"),
      [id(2)]: line("requested"),
      [id(3)]: line("requested"),
    };
    const after = { [id(1)]: line("newStatus"), [id(2)]: line("done"), [id(3)]: line("escrowed") };
    assert.match(
      summarizeRefresh("f", before, after),
      /: requested 3 → escrowed 1, done 1, newStatus 1 .*; now escrowed 1, done 1, newStatus 1$/,
    );
  });

  it("a line that is no record is not counted in the counts now", () => {
    const before = { [id(1)]: line("requested") };
    const after = { [id(1)]: line("done"), [id(2)]: "garbage" };
    assert.match(summarizeRefresh("f", before, after), /; now done 1$/);
    assert.equal(
      summarizeRefresh("f", {}, { [id(2)]: "garbage" }),
      "fleet f refreshed: no status changed; now no devices",
    );
  });

  it("one device: a status missing on either side reads 'unknown'", () => {
    assert.equal(
      summarizeSingleRefresh(id(1), {}, { status: "done" }),
      `device ${id(1)} refreshed: unknown → done`,
    );
    assert.equal(
      summarizeSingleRefresh(id(1), { status: "requested" }, {}),
      `device ${id(1)} refreshed: requested → unknown`,
    );
  });

  it("one device: no hint once its keys are escrowed (nothing left to do), as for done", () => {
    assert.equal(
      summarizeSingleRefresh(id(1), { status: "done" }, { status: "escrowed", hint: "wait" }),
      `device ${id(1)} refreshed: done → escrowed`,
    );
    assert.equal(
      summarizeSingleRefresh(id(1), { status: "requested" }, { status: "pending", hint: "wait" }),
      `device ${id(1)} refreshed: requested → pending; wait`,
    );
  });
});
