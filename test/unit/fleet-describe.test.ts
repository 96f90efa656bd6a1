import assert from "node:assert/strict";
import { describeFleetPlan, detailFleetPlan, sample } from "../../provider/plan/fleet/describe";
import type { FleetPlan } from "../../provider/plan/fleet/plan";
import type { FleetPreview } from "../../provider/plan/preview";

const ids = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, "0")}`);
const plan = (p: Partial<FleetPlan>): FleetPlan => ({
  rotate: [],
  adopt: [],
  settle: [],
  unchanged: [],
  forget: [],
  ...p,
});
const preview = (p: Partial<FleetPreview>): FleetPreview => ({
  rotate: [],
  skip: new Map(),
  recorded: [],
  unread: new Map(),
  names: new Map(),
  ...p,
});

describe("plan/fleet describe: the preview's summary and detail lines", () => {
  it("a summary shows 10 ids of a kind; only an 11th adds '… (+N)'", () => {
    assert.equal(sample(ids("d", 10)), ids("d", 10).join(", "));
    assert.equal(sample(ids("d", 11)), `${ids("d", 10).join(", ")}, … (+1)`);
  });

  it("a new fleet counts every device it declares, rotated or adopted", () => {
    const line = describeFleetPlan("f", plan({ rotate: ids("r", 2), adopt: ids("a", 3) }), true);
    assert.match(line!, /^fleet f: new fleet of 5: /);
  });

  it("with the preview's reads: only the kinds that have devices are named", () => {
    const onlyRecorded = describeFleetPlan(
      "f",
      plan({ rotate: ["d1"] }),
      false,
      preview({ recorded: ["d1"] }),
    );
    assert.equal(
      onlyRecorded,
      "fleet f: record without sending (rotated since) 1: d1; 0 unchanged",
    );
    const onlySkipped = describeFleetPlan(
      "f",
      plan({ rotate: ["d1"] }),
      false,
      preview({ skip: new Map([["osTooOld", ["d1"]]]) }),
    );
    assert.equal(onlySkipped, "fleet f: skip 1 (osTooOld 1: d1); 0 unchanged");
  });

  it("detail lines: only for a kind with more than 10 devices, 100 ids a line, titled by kind", () => {
    const p = plan({
      rotate: ids("r", 11),
      settle: ids("s", 11),
      adopt: ids("a", 11),
      forget: ids("f", 200),
      unchanged: ids("u", 10),
    });
    const lines = detailFleetPlan("f", p);
    assert.deepEqual(
      lines.map((l) => l.slice(0, l.indexOf(":", "fleet f:".length) + 1)),
      [
        "fleet f: rotate (if eligible), all 11 [1-11]:",
        "fleet f: check with a lost answer before resending (settle), all 11 [1-11]:",
        "fleet f: adopt without rotating, all 11 [1-11]:",
        "fleet f: forget, all 200 [1-100]:",
        "fleet f: forget, all 200 [101-200]:",
      ],
    );
    assert.ok(lines[3]!.endsWith(`: ${ids("f", 100).join(", ")}`));
    assert.deepEqual(detailFleetPlan("f", plan({ rotate: ids("r", 10) })), []);
  });

  it("detail lines with the preview's reads: titled by what preview found, devices named", () => {
    const p = preview({
      rotate: ids("r", 11),
      skip: new Map([["osTooOld", ids("o", 11)]]),
      recorded: ids("c", 11),
      unread: new Map([["Forbidden", ids("x", 11)]]),
      names: new Map([["r000", "LAPTOP-1"]]),
    });
    const lines = detailFleetPlan("f", plan({}), p);
    assert.deepEqual(
      lines.map((l) => l.slice(0, l.indexOf(", all "))),
      [
        "fleet f: rotate",
        "fleet f: skip osTooOld",
        "fleet f: already rotated since their record, recorded without sending",
        "fleet f: not read at preview (Forbidden; up reads them again, rotates if eligible)",
      ],
    );
    assert.match(lines[0]!, /\[1-11\]: r000 \(LAPTOP-1\), r001, /);
  });
});
