// The packed fleet state (stateVersion 3: ids one a line; devices as record line → ids) and the
// fleet's id-list check: the rules an unpacking or packing slip would break, each on its own.
import assert from "node:assert/strict";
import { checkFleet, fleetInputsOf } from "../../provider/plan/fleet/inputs";
import {
  deviceLines,
  fleetDeviceRecords,
  isPackedDevices,
  packDevices,
  readDeviceLines,
  unpackIds,
} from "../../provider/plan/fleet/packed";
import { UNKNOWN } from "../../provider/plan/inputs";

const id = (n: number) => `0b7c5a2e-1111-4a2b-9c3d-${String(n).padStart(12, "0")}`;
const A = "requested 2026-11-27T10:00:00Z 3fa9c1e2b4d5";
const B = "failed 2026-11-27T10:00:00Z 3fa9c1e2b4d5 0x80310008";

describe("plan: packed fleet state (stateVersion 3)", () => {
  it("an empty packed id list is no devices, not one empty id", () => {
    assert.deepEqual(unpackIds(""), []);
    assert.deepEqual(unpackIds(id(1)), [id(1)]);
    assert.deepEqual(unpackIds(`${id(1)}\n${id(2)}`), [id(1), id(2)]);
  });

  it("no devices at all is not the grouped form (nothing says it is)", () => {
    assert.equal(isPackedDevices({}), false);
    assert.equal(isPackedDevices({ [A]: id(1) }), true);
    assert.equal(isPackedDevices({ [id(1)]: A }), false);
  });

  it("grouped form: each id of a line gets that line, and nothing is unreadable", () => {
    const r = readDeviceLines(
      packDevices([
        [id(1), A],
        [id(2), B],
        [id(3), A],
      ]),
    );
    assert.deepEqual(
      [...r.lines],
      [
        [id(1), A],
        [id(3), A],
        [id(2), B],
      ],
    );
    assert.deepEqual(r.unreadable, []);
  });

  it("grouped form: stray spaces in an id list make no empty-id device", () => {
    const r = readDeviceLines({ [A]: ` ${id(1)}  ${id(2)} `, [B]: "" });
    assert.deepEqual([...r.lines.keys()], [id(1), id(2)]);
    assert.deepEqual(r.unreadable, []);
  });

  it("grouped form: a line whose ids are not text is named unreadable, the others still read", () => {
    const r = readDeviceLines({ [A]: 42, [B]: id(2) });
    assert.deepEqual([...r.lines], [[id(2), B]]);
    assert.deepEqual(r.unreadable, [A]);
  });

  it("id → line form (versions 1 and 2): an id whose line is not text is named unreadable", () => {
    const r = readDeviceLines({ [id(1)]: A, [id(2)]: null });
    assert.deepEqual([...r.lines], [[id(1), A]]);
    assert.deepEqual(r.unreadable, [id(2)]);
  });

  it("no devices map (null, a list, text) reads as no devices, nothing unreadable", () => {
    for (const devices of [null, undefined, [A], A])
      assert.deepEqual(readDeviceLines(devices), { lines: new Map(), unreadable: [] });
    assert.equal(deviceLines(null).size, 0);
  });

  it("fleetDeviceRecords gives id → line from either form", () => {
    const want = { [id(1)]: A, [id(2)]: B };
    assert.deepEqual(fleetDeviceRecords(packDevices(Object.entries(want))), want);
    assert.deepEqual(fleetDeviceRecords(want), want);
    assert.deepEqual(fleetDeviceRecords({}), {});
  });
});

describe("plan: fleet check, the id list", () => {
  it("a refused id list is handed back as given (unpacked), not packed as if valid", () => {
    const r = checkFleet({ managedDeviceIds: [id(2), "not-an-id"], rotationToken: "A" });
    assert.deepEqual(
      r.failures.map((f) => f.property),
      ["managedDeviceIds"],
    );
    assert.deepEqual(r.inputs.managedDeviceIds, [id(2), "not-an-id"]);
  });

  it("a refusal of another input still leaves the valid id list packed", () => {
    const r = checkFleet({
      managedDeviceIds: [id(2), id(1)],
      rotationToken: "A",
      deviceTokens: { [id(1)]: "" },
    });
    assert.deepEqual(
      r.failures.map((f) => f.property),
      ["deviceTokens"],
    );
    assert.equal(r.inputs.managedDeviceIds, `${id(1)}\n${id(2)}`);
  });

  it("a list holding an unknown id (preview of outputs) stays a list, the unknown kept", () => {
    const r = checkFleet({ managedDeviceIds: [id(1), UNKNOWN], rotationToken: "A" });
    assert.deepEqual(r.failures, []);
    assert.deepEqual(r.inputs.managedDeviceIds, [id(1), UNKNOWN]);
  });

  it("inputs whose ids are a list (as versions 1 and 2 kept them) are taken as they are", () => {
    const news = { managedDeviceIds: [id(1), id(2)], rotationToken: "A" };
    assert.deepEqual(fleetInputsOf(news).managedDeviceIds, [id(1), id(2)]);
    assert.deepEqual(fleetInputsOf({ rotationToken: "A" }).managedDeviceIds, undefined);
  });
});
