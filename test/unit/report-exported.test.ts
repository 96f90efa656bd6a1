// Reading `pulumi stack export` output: which resources, their names, secrets, odd shapes.
import assert from "node:assert/strict";
import {
  FLEET_TYPE,
  parseExport,
  readExport,
  SECRET,
  SINGLE_TYPE,
  StateFormatError,
  urnName,
} from "../../provider/report/exported";
import {
  exported,
  fleet,
  guid,
  mixedStack,
  rec,
  secret,
  shownSecret,
  single,
  urn,
} from "./report-fixtures";

describe("report: reading exported state", () => {
  it("finds the single-device and fleet resources, by exact type, with the stack and project", () => {
    const state = readExport(mixedStack());
    assert.deepEqual(
      state.resources.map((r) => [r.name, r.kind]),
      [
        ["helpdesk-disclosure", "single"],
        ["finance-laptop", "single"],
        ["kiosk", "single"],
        ["adopted-server", "single"],
        ["windows-fleet", "fleet"],
      ],
    );
    assert.deepEqual([state.stack, state.project], ["prod", "fleet-ops"]);
  });

  it("ignores other resources, including other dynamic resources", () => {
    const other = {
      urn: urn("pulumi-nodejs:dynamic:Resource", "x"),
      type: "pulumi-nodejs:dynamic:Resource",
      outputs: { status: "failed" },
    };
    const lookalike = {
      urn: urn(`${SINGLE_TYPE}Extra`, "y"),
      type: `${SINGLE_TYPE}Extra`,
      outputs: { status: "failed" },
    };
    assert.deepEqual(readExport(exported(other, lookalike)).resources, []);
  });

  it("takes the name from the URN, also under a parent and when the name holds '::'", () => {
    assert.equal(urnName(`urn:pulumi:prod::p::${SINGLE_TYPE}::laptop-7`), "laptop-7");
    assert.equal(urnName(`urn:pulumi:prod::p::my:Component$${FLEET_TYPE}::fleet::eu`), "fleet::eu");
  });

  it("skips a resource awaiting deletion after a replacement, so a device is not counted twice", () => {
    const state = readExport(
      exported(
        single("a", { managedDeviceId: guid(1) }),
        single("a", { managedDeviceId: guid(2) }, { delete: true }),
      ),
    );
    assert.equal(state.resources.length, 1);
    assert.equal(state.resources[0]!.outputs.managedDeviceId, guid(1));
  });

  it("keeps the resource's creation time (the adoption time of a never-rotated device)", () => {
    const state = readExport(exported(single("a", {}, { created: "2026-05-01T12:00:00.000Z" })));
    assert.equal(state.resources[0]!.created, "2026-05-01T12:00:00.000Z");
  });

  it("decodes --show-secrets values and marks unreadable secrets, never keeping ciphertext", () => {
    const state = readExport(
      exported(
        single("a", {
          rotationToken: secret() as never,
          deviceName: shownSecret("LAPTOP-S") as never,
        }),
      ),
    );
    const o = state.resources[0]!.outputs;
    assert.equal(o.rotationToken, SECRET);
    assert.equal(o.deviceName, "LAPTOP-S");
  });

  it("reads a self-managed backend's checkpoint file too", () => {
    const deployment = (mixedStack() as { deployment: unknown }).deployment;
    const state = readExport({
      version: 3,
      checkpoint: { stack: "organization/fleet-ops/prod", latest: deployment },
    });
    assert.equal(state.resources.length, 5);
    assert.deepEqual(
      readExport({ version: 3, checkpoint: { stack: "x" } }).resources,
      [],
      "a stack never deployed",
    );
  });

  it("reads an empty stack", () => {
    assert.deepEqual(
      parseExport(JSON.stringify({ version: 3, deployment: { manifest: {} } })).resources,
      [],
    );
  });

  it("refuses what is not an export, saying what it expected", () => {
    for (const text of [
      "",
      "  ",
      "{not json",
      "[]",
      '{"version":3}',
      '{"deployment":{"resources":{}}}',
    ]) {
      assert.throws(
        () => parseExport(text),
        (e: Error) => {
          assert.ok(e instanceof StateFormatError, `${text}: ${e.name}`);
          assert.match(e.message, /pulumi stack export/);
          return true;
        },
      );
    }
  });

  it("accepts a byte-order mark", () => {
    assert.equal(
      parseExport(
        "\uFEFF" +
          JSON.stringify(exported(fleet("f", { [guid(1)]: rec("done", "2026-11-20T09:30:00Z") }))),
      ).resources.length,
      1,
    );
  });
});
