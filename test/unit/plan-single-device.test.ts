import assert from "node:assert/strict";
import {
  checkSingleDevice,
  diffSingleDevice,
  lastRequestTime,
  rotatesOnUpdate,
  stateAfterCreate,
  stateAfterRead,
  stateAfterUpdate,
  type SingleDeviceInputs,
  type SingleDeviceState,
} from "../../provider/plan/singleDevicePlan";
import { UNKNOWN } from "../../provider/plan/inputs";
import { windowsDevice } from "../support/devices";

const ID = "0b7c5a2e-1111-4a2b-9c3d-000000000001";

function inputs(overrides: Partial<SingleDeviceInputs> = {}): SingleDeviceInputs {
  const { inputs: i, failures } = checkSingleDevice({
    managedDeviceId: ID,
    rotationToken: "A",
    ...overrides,
  });
  assert.deepEqual(failures, []);
  return i as unknown as SingleDeviceInputs;
}

function created(overrides: Partial<SingleDeviceInputs> = {}): SingleDeviceState {
  return stateAfterCreate(inputs(overrides), windowsDevice(), "managedDevices", {
    requestedAt: "2026-11-27T10:00:00.000Z",
    requestId: "r-1",
    clientRequestId: "c-1",
  });
}

describe("plan: single device check", () => {
  it("fills defaults and lower-cases the device id", () => {
    const { inputs: i, failures } = checkSingleDevice({
      managedDeviceId: ID.toUpperCase(),
      rotationToken: "2026-Q4",
    });
    assert.deepEqual(failures, []);
    assert.equal(i.managedDeviceId, ID);
    assert.equal(i.rotateOnCreate, true);
    assert.equal(i.endpoint, "auto");
    assert.equal(i.waitFor, "requested");
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ["a missing device id", { rotationToken: "A" }, "managedDeviceId"],
    [
      "a non-GUID device id",
      { managedDeviceId: "LAPTOP-1", rotationToken: "A" },
      "managedDeviceId",
    ],
    [
      "a path trick in the id",
      { managedDeviceId: `${ID}/../x`, rotationToken: "A" },
      "managedDeviceId",
    ],
    ["a missing token", { managedDeviceId: ID }, "rotationToken"],
    ["a blank token", { managedDeviceId: ID, rotationToken: "   " }, "rotationToken"],
    ["a numeric token", { managedDeviceId: ID, rotationToken: 5 }, "rotationToken"],
    ["an overlong token", { managedDeviceId: ID, rotationToken: "x".repeat(300) }, "rotationToken"],
    [
      "an unknown endpoint",
      { managedDeviceId: ID, rotationToken: "A", endpoint: "devices" },
      "endpoint",
    ],
    [
      "an unknown waitFor",
      { managedDeviceId: ID, rotationToken: "A", waitFor: "forever" },
      "waitFor",
    ],
    [
      "a fractional timeout",
      { managedDeviceId: ID, rotationToken: "A", waitTimeoutSeconds: 1.5 },
      "waitTimeoutSeconds",
    ],
    [
      "rotateOnCreate as text",
      { managedDeviceId: ID, rotationToken: "A", rotateOnCreate: "no" },
      "rotateOnCreate",
    ],
  ];
  for (const [what, news, property] of bad) {
    it(`fails ${what} on ${property}`, () => {
      const { failures } = checkSingleDevice(news);
      assert.deepEqual(
        failures.map((f) => f.property),
        [property],
      );
    });
  }

  it("lets values unknown at preview through", () => {
    const { failures } = checkSingleDevice({ managedDeviceId: UNKNOWN, rotationToken: UNKNOWN });
    assert.deepEqual(failures, []);
  });
});

describe("plan: single device diff", () => {
  it("reports no change for the same inputs, whatever __provider holds", () => {
    const olds = { ...created(), __provider: "exports.handler = old" } as SingleDeviceState;
    const d = diffSingleDevice(olds, {
      ...inputs(),
      __provider: "exports.handler = new",
    } as SingleDeviceInputs);
    assert.deepEqual(d, { changes: false, replaces: [], changed: [] });
  });
  it("reports an update for a new token", () => {
    assert.deepEqual(diffSingleDevice(created(), inputs({ rotationToken: "B" })).changed, [
      "rotationToken",
    ]);
  });
  it("reports an update without rotation for a setting", () => {
    const d = diffSingleDevice(created(), inputs({ waitFor: "applied" }));
    assert.equal(d.changes, true);
    assert.deepEqual(d.changed, ["waitFor"]);
  });
  it("replaces for a new device id", () => {
    const d = diffSingleDevice(
      created(),
      inputs({ managedDeviceId: "0b7c5a2e-1111-4a2b-9c3d-000000000002" }),
    );
    assert.deepEqual(d.replaces, ["managedDeviceId"]);
  });
  it("treats an unknown token as a possible change", () => {
    assert.equal(
      diffSingleDevice(created(), { ...inputs(), rotationToken: UNKNOWN }).changes,
      true,
    );
  });
  it("does not rotate or update on state written without optional fields (older versions)", () => {
    const minimal = {
      managedDeviceId: ID,
      rotationToken: "A",
      rotateOnCreate: true,
      endpoint: "auto",
      waitFor: "requested",
      waitTimeoutSeconds: 900,
      pollIntervalSeconds: 30,
    };
    assert.equal(diffSingleDevice(minimal as SingleDeviceState, inputs()).changes, false);
  });
});

describe("plan: single device rotation decisions and records", () => {
  it("rotates on update only when the token changed", () => {
    assert.equal(rotatesOnUpdate(created(), inputs()), false);
    assert.equal(rotatesOnUpdate(created(), inputs({ waitFor: "applied", reason: "x" })), false);
    assert.equal(rotatesOnUpdate(created(), inputs({ rotationToken: "B" })), true);
  });
  it("records a create with the request, and an adoption without one", () => {
    const s = created();
    assert.deepEqual(
      [s.status, s.rotationCount, s.adopted, s.requestId],
      ["requested", 1, false, "r-1"],
    );
    const a = stateAfterCreate(
      inputs({ rotateOnCreate: false }),
      windowsDevice(),
      "managedDevices",
      undefined,
    );
    assert.deepEqual(
      [a.status, a.rotationCount, a.adopted, a.requestedAt],
      ["adopted", 0, true, undefined],
    );
  });
  it("an update with a rotation counts it and records the new token; one without keeps the outcome", () => {
    const s = { ...created(), status: "done" as const, actionState: "done" as const };
    const rotated = stateAfterUpdate(
      s,
      inputs({ rotationToken: "B" }),
      windowsDevice(),
      "managedDevices",
      { requestedAt: "2026-11-28T00:00:00.000Z", requestId: "r-2" },
    );
    assert.deepEqual(
      [
        rotated.rotationToken,
        rotated.rotationCount,
        rotated.status,
        rotated.requestId,
        rotated.actionState,
      ],
      ["B", 2, "requested", "r-2", undefined],
    );
    const settingsOnly = stateAfterUpdate(
      s,
      inputs({ reason: "audit" }),
      undefined,
      undefined,
      undefined,
    );
    assert.deepEqual(
      [
        settingsOnly.rotationCount,
        settingsOnly.status,
        settingsOnly.reason,
        settingsOnly.requestId,
      ],
      [1, "done", "audit", "r-1"],
    );
  });
  it("refresh keeps the token and marks a vanished device missing instead of dropping it", () => {
    const r = stateAfterRead(created(), undefined, undefined, "2026-11-28T00:00:00Z");
    assert.deepEqual([r.status, r.rotationToken, r.rotationCount], ["missing", "A", 1]);
  });
  it("refresh records the outcome of the request", () => {
    const r = stateAfterRead(
      created(),
      windowsDevice(),
      { status: "failed", errorCode: -2144272376, errorText: "0x80310008 x" },
      "2026-11-28T00:00:00Z",
    );
    assert.deepEqual([r.status, r.errorCode, r.rotationToken], ["failed", -2144272376, "A"]);
  });
  it("records whose clock requestedAt is on: Graph's (version 2) unless the answer had no Date", () => {
    const s = created();
    assert.equal(s.stateVersion, 2);
    assert.deepEqual(lastRequestTime(s), { at: s.requestedAt, graphClock: true });
    const local = stateAfterUpdate(
      s,
      inputs({ rotationToken: "B" }),
      windowsDevice(),
      "managedDevices",
      {
        requestedAt: "2026-11-28T00:00:00.000Z",
        localClock: true,
      },
    );
    assert.equal(local.stateVersion, 1);
    assert.equal("localClock" in local, false);
    assert.deepEqual(lastRequestTime(local), { at: local.requestedAt, graphClock: false });
    // A settings-only update keeps the version of the request it keeps.
    const old = { ...s, stateVersion: 1 };
    assert.equal(
      stateAfterUpdate(old, inputs({ reason: "x" }), undefined, undefined, undefined).stateVersion,
      1,
    );
    const adopted = stateAfterCreate(
      inputs({ rotateOnCreate: false }),
      windowsDevice(),
      "managedDevices",
      undefined,
    );
    assert.equal(lastRequestTime(adopted), undefined);
  });
});

describe("plan: single device, more of diff and state", () => {
  it("a new device id alone is a change (a replacement), listed first", () => {
    const d = diffSingleDevice(
      created(),
      inputs({ managedDeviceId: "0b7c5a2e-1111-4a2b-9c3d-000000000002" }),
    );
    assert.deepEqual(d, {
      changes: true,
      replaces: ["managedDeviceId"],
      changed: ["managedDeviceId"],
    });
  });
  it("a value unknown at preview is a possible change without comparing, whatever the old value", () => {
    const olds = { ...created(), reason: UNKNOWN };
    assert.deepEqual(diffSingleDevice(olds, { ...inputs(), reason: UNKNOWN }).changed, ["reason"]);
  });
  it("a settings-only update keeps the clock version of the kept request (2, or 1 when unset)", () => {
    const s = created();
    assert.equal(
      stateAfterUpdate(s, inputs({ reason: "x" }), undefined, undefined, undefined).stateVersion,
      2,
    );
    const unversioned: Partial<SingleDeviceState> = { ...s };
    delete unversioned.stateVersion;
    assert.equal(
      stateAfterUpdate(unversioned, inputs({ reason: "x" }), undefined, undefined, undefined)
        .stateVersion,
      1,
    );
  });
  it("an update takes the device's current name, Entra id and collection over the old ones", () => {
    const s = created();
    const u = stateAfterUpdate(
      s,
      inputs({ reason: "x" }),
      windowsDevice({
        deviceName: "LAPTOP-RENAMED",
        azureADDeviceId: "5f1e2d3c-2222-4b5a-8c7d-000000000009",
      }),
      "comanagedDevices",
      undefined,
    );
    assert.deepEqual(
      [u.deviceName, u.azureADDeviceId, u.collection],
      ["LAPTOP-RENAMED", "5f1e2d3c-2222-4b5a-8c7d-000000000009", "comanagedDevices"],
    );
  });
  it("an update without the device keeps the old facts", () => {
    const s = { ...created(), collection: "comanagedDevices" as const, adopted: true };
    const u = stateAfterUpdate(s, inputs({ reason: "x" }), undefined, undefined, undefined);
    assert.deepEqual(
      [u.deviceName, u.azureADDeviceId, u.collection, u.adopted],
      [s.deviceName, s.azureADDeviceId, "comanagedDevices", true],
    );
  });
  it("an update of state written without facts (older versions) fills neutral values, never made-up ones", () => {
    const minimal = { managedDeviceId: ID, rotationToken: "A" } as Partial<SingleDeviceState>;
    const u = stateAfterUpdate(minimal, inputs({ reason: "x" }), undefined, undefined, undefined);
    assert.deepEqual(
      [
        u.deviceName,
        u.azureADDeviceId,
        u.collection,
        u.rotationCount,
        u.adopted,
        u.status,
        u.stateVersion,
      ],
      ["", "", "managedDevices", 0, false, "requested", 2],
    );
  });
  it("a settings-only update keeps the request's outcome, and adds no empty outcome fields", () => {
    const s = { ...created(), status: "done" as const, actionState: "done" as const };
    const u = stateAfterUpdate(s, inputs({ reason: "x" }), undefined, undefined, undefined);
    assert.equal(u.actionState, "done");
    for (const k of ["errorCode", "errorText", "hint", "escrowedAt"]) {
      assert.equal(k in u, false, k);
    }
  });
  it("refresh of a vanished device says what happened and what to do", () => {
    const r = stateAfterRead(created(), undefined, undefined, "2026-11-28T00:00:00Z");
    assert.match(r.hint!, /no longer exists in Intune/);
    assert.match(r.hint!, /Remove it from the program/);
    assert.equal(r.lastCheckedAt, "2026-11-28T00:00:00Z");
  });
  it("refresh takes the device's current name and Entra id", () => {
    const r = stateAfterRead(
      created(),
      windowsDevice({
        deviceName: "LAPTOP-RENAMED",
        azureADDeviceId: "5f1e2d3c-2222-4b5a-8c7d-000000000009",
      }),
      { status: "done" },
      "2026-11-28T00:00:00Z",
    );
    assert.deepEqual(
      [r.deviceName, r.azureADDeviceId, r.status, r.lastCheckedAt],
      ["LAPTOP-RENAMED", "5f1e2d3c-2222-4b5a-8c7d-000000000009", "done", "2026-11-28T00:00:00Z"],
    );
  });
  it("refresh of a request with no outcome on Graph yet says requested, and drops the old outcome", () => {
    const s = { ...created(), status: "failed" as const, errorCode: 1, errorText: "x" };
    const r = stateAfterRead(s, windowsDevice(), undefined, "2026-11-28T00:00:00Z");
    assert.equal(r.status, "requested");
    assert.equal("errorCode" in r, false);
  });
  it("refresh of an adopted device keeps it adopted, ignores any outcome, and takes it back from missing", () => {
    const adopted = stateAfterCreate(
      inputs({ rotateOnCreate: false }),
      windowsDevice(),
      "managedDevices",
      undefined,
    );
    const r = stateAfterRead(
      adopted,
      windowsDevice({ deviceName: "LAPTOP-RENAMED" }),
      { status: "failed" },
      "2026-11-28T00:00:00Z",
    );
    assert.deepEqual(
      [r.status, r.deviceName, r.lastCheckedAt],
      ["adopted", "LAPTOP-RENAMED", "2026-11-28T00:00:00Z"],
    );
    const gone = stateAfterRead(adopted, undefined, undefined, "2026-11-28T00:00:00Z");
    const back = stateAfterRead(gone, windowsDevice(), undefined, "2026-11-29T00:00:00Z");
    assert.equal(back.status, "adopted");
    assert.equal("hint" in back, false);
  });
  it("refresh of a create whose answer was lost stays unverified: never shown as adopted", () => {
    // What the engine records when the first request's answer is lost (engine/singleDeviceProvider.ts).
    const lost: SingleDeviceState = {
      ...stateAfterCreate(inputs(), windowsDevice(), "managedDevices", undefined),
      rotationToken: "",
      adopted: false,
      status: "unverified",
      unverifiedRequest: { token: "A", sentAt: "2026-11-27T10:00:00.000Z" },
    };
    const r = stateAfterRead(lost, windowsDevice(), undefined, "2026-11-28T00:00:00Z");
    assert.equal(r.status, "unverified");
    assert.deepEqual(r.unverifiedRequest, lost.unverifiedRequest);
  });
});
