// What preview fails on and what it only reports (plan/preview.ts), and the lines it prints
// for a fleet once it has read the devices (plan/fleet/describe.ts).
import assert from "node:assert/strict";
import {
  credentialVerdict,
  previewFleet,
  rolesVerdict,
  singleDeviceVerdict,
  type FleetRead,
} from "../../provider/plan/preview";
import { describeFleetPlan, detailFleetPlan } from "../../provider/plan/fleet/describe";
import { planFleet } from "../../provider/plan/fleet/plan";
import { formatRecord, tokenHash } from "../../provider/plan/fleet/record";
import { packDevices } from "../../provider/plan/fleet/packed";
import type { FleetInputs } from "../../provider/plan/fleet/inputs";
import { rotationResult, windowsDevice } from "../support/devices";

const ROTATE = "DeviceManagementManagedDevices.ReadWrite.All";
const READ = "DeviceManagementManagedDevices.Read.All";
const ID = "11111111-2222-3333-4444-555555555555";
const inputs = (
  managedDeviceIds: string[],
  rotationToken: string,
  extra: Partial<FleetInputs> = {},
) =>
  ({
    managedDeviceIds,
    rotationToken,
    rotateOnCreate: true,
    waitFor: "requested",
    ...extra,
  }) as FleetInputs;
const AT = "2026-11-28T06:00:00.000Z";

describe("plan/preview: what fails a preview", () => {
  it("a missing setting or an AADSTS refusal fails; Entra unreachable is only reported", () => {
    const missing = credentialVerdict({
      name: "SettingsError",
      message: "no credential is configured",
    });
    assert.ok("fail" in missing && /no credential is configured/.test(missing.fail));
    const refused = credentialVerdict({
      name: "AuthenticationError",
      message: "AADSTS7000215: the client secret is wrong",
    });
    assert.ok("fail" in refused);
    const unavailable = credentialVerdict({
      name: "AuthenticationError",
      message: "az not logged in",
    });
    assert.ok("fail" in unavailable);
    const down = credentialVerdict({
      name: "AuthenticationError",
      message: "could not reach the authority",
      transient: true,
    });
    assert.ok("note" in down && !("fail" in down));
    const odd = credentialVerdict({ name: "TypeError", message: "x" });
    assert.ok(!("fail" in odd), "an error of unknown kind is only reported");
  });

  it("no device permission at all fails; Read.All alone is reported for a rotation (a preview app), enough to adopt", () => {
    const none = rolesVerdict(["AuditLog.Read.All"], "rotate");
    assert.ok("fail" in none);
    assert.match(none.fail, new RegExp(`lacks the application permission ${ROTATE}`));
    assert.match(none.fail, /token's roles: AuditLog\.Read\.All/);
    assert.ok("fail" in rolesVerdict([], "read"));
    const readOnly = rolesVerdict([READ], "rotate");
    assert.ok("note" in readOnly && !("fail" in readOnly));
    assert.match(readOnly.note, /preview app/);
    assert.deepEqual(rolesVerdict([ROTATE], "rotate"), { ok: true });
    assert.deepEqual(rolesVerdict([READ], "read"), { ok: true });
    assert.deepEqual(rolesVerdict([ROTATE], "read"), { ok: true });
    assert.ok("note" in rolesVerdict(undefined, "rotate"));
  });

  it("a single device that does not exist fails, naming it and Graph's answer", () => {
    const v = singleDeviceVerdict(
      ID,
      { notFound: { code: "ResourceNotFound", requestId: "r-1" } },
      "rotate",
    );
    assert.ok("fail" in v);
    assert.match(v.fail, new RegExp(`device ${ID} does not exist in Intune`));
    assert.match(v.fail, /ResourceNotFound, request-id r-1/);
    assert.match(v.fail, /typo/);
    // Adopting reads the device too: `up` would fail on a 404 all the same.
    assert.ok("fail" in singleDeviceVerdict(ID, { notFound: {} }, "adopt"));
  });

  it("a macOS device fails a rotation, naming the device and the prerequisite; adopting it passes", () => {
    const mac = windowsDevice({ id: ID, deviceName: "MAC-01", operatingSystem: "macOS" });
    const v = singleDeviceVerdict(ID, { device: mac }, "rotate");
    assert.ok("fail" in v);
    assert.match(v.fail, new RegExp(`device ${ID} \\(MAC-01\\) cannot rotate`));
    assert.match(v.fail, /operatingSystem is "macOS"/);
    assert.deepEqual(singleDeviceVerdict(ID, { device: mac }, "adopt"), {
      note: `will adopt device ${ID} (MAC-01) without rotating`,
    });
  });

  it("an eligible device: will rotate it, by name; an unread one is only reported", () => {
    const d = windowsDevice({ id: ID, deviceName: "DESKTOP-7" });
    assert.deepEqual(singleDeviceVerdict(ID, { device: d }, "rotate"), {
      note: `will rotate device ${ID} (DESKTOP-7)`,
    });
    assert.ok("note" in singleDeviceVerdict(ID, { error: { message: "timeout" } }, "rotate"));
  });
});

describe("plan/preview: a fleet's skips, known at preview", () => {
  const ids = ["a", "b", "c", "d", "e"];
  const seen = new Map<string, FleetRead>([
    ["a", windowsDevice({ id: "a", deviceName: "DESKTOP-A" })],
    ["b", { notFound: true }],
    ["c", windowsDevice({ id: "c", deviceName: "MAC-C", operatingSystem: "macOS" })],
    ["d", windowsDevice({ id: "d", deviceName: "DESKTOP-D", isEncrypted: false })],
    ["e", { error: Object.assign(new Error("throttled"), { code: "TooManyRequests" }) }],
  ]);

  it("classifies as the run does: rotate, skip by reason, not read", () => {
    const plan = planFleet(undefined, inputs(ids, "A"));
    const p = previewFleet(plan, undefined, inputs(ids, "A"), seen, AT);
    assert.deepEqual(p.rotate, ["a"]);
    assert.deepEqual(
      [...p.skip],
      [
        ["notFound", ["b"]],
        ["notWindows", ["c"]],
        ["notEncrypted", ["d"]],
      ],
    );
    assert.deepEqual([...p.unread], [["TooManyRequests", ["e"]]]);
    assert.equal(
      describeFleetPlan("f", plan, true, p),
      "fleet f: new fleet of 5: rotate 1: a (DESKTOP-A); skip 3 (notFound 1: b; notWindows 1: c (MAC-C); notEncrypted 1: d (DESKTOP-D)); not read at preview (TooManyRequests), rotate if eligible 1: e; 0 unchanged",
    );
  });

  it("a device that shows a rotation since its old record is recorded, not rotated", () => {
    const old = {
      stateVersion: 2,
      devices: {
        a: formatRecord({ status: "requested", at: "2026-11-01T00:00:00Z", token: tokenHash("A") }),
      },
    };
    const rotatedSince = windowsDevice({
      id: "a",
      deviceName: "DESKTOP-A",
      deviceActionResults: [rotationResult({ startDateTime: "2026-11-20T00:00:00Z" })],
    });
    const plan = planFleet(old, inputs(["a"], "B"));
    const p = previewFleet(plan, old, inputs(["a"], "B"), new Map([["a", rotatedSince]]), AT);
    assert.deepEqual(p.rotate, []);
    assert.deepEqual(p.recorded, ["a"]);
  });

  it("packed state (stateVersion 3): the old record is found, as `up` finds it", () => {
    // `up` reads records through deviceLines (either form); preview must too, or it announces
    // a rotation that `up` then records without sending.
    const line = formatRecord({
      status: "requested",
      at: "2026-11-01T00:00:00Z",
      token: tokenHash("A"),
    });
    const old = { stateVersion: 3, devices: packDevices([["a", line]]) };
    const rotatedSince = windowsDevice({
      id: "a",
      deviceName: "DESKTOP-A",
      deviceActionResults: [rotationResult({ startDateTime: "2026-11-20T00:00:00Z" })],
    });
    const plan = planFleet(old, inputs(["a"], "B"));
    assert.deepEqual(plan.rotate, ["a"]);
    const p = previewFleet(plan, old, inputs(["a"], "B"), new Map([["a", rotatedSince]]), AT);
    assert.deepEqual(p.rotate, []);
    assert.deepEqual(p.recorded, ["a"]);
  });

  it("the detail lines list every device of a kind the summary cut short", () => {
    const many = Array.from({ length: 230 }, (_, i) => `m${i}`);
    const plan = planFleet(undefined, inputs(many, "A"));
    const read = new Map<string, FleetRead>(
      many.map((id, i) => [
        id,
        windowsDevice({ id, deviceName: `N${i}`, operatingSystem: i < 3 ? "macOS" : "Windows" }),
      ]),
    );
    const p = previewFleet(plan, undefined, inputs(many, "A"), read, AT);
    const summary = describeFleetPlan("f", plan, true, p)!;
    assert.match(
      summary,
      /rotate 227: m3 \(N3\), .*, … \(\+217\); skip 3 \(notWindows 3: m0 \(N0\), m1 \(N1\), m2 \(N2\)\)/,
    );
    const details = detailFleetPlan("f", plan, p);
    assert.equal(details.length, 3, "227 in lines of 100; the 3 skips are all in the summary");
    assert.match(details[0]!, /^fleet f: rotate, all 227 \[1-100\]: m3 \(N3\), /);
    assert.match(details[2]!, /\[201-227\]: .*m229 \(N229\)$/);
    const listed = details.join(", ").match(/m\d+ /g)!;
    assert.equal(listed.length, 227, "every device once");
  });

  it("without reads the lines stay as before: rotate (if eligible), no detail for short lists", () => {
    const plan = planFleet(undefined, inputs(ids, "A"));
    assert.equal(
      describeFleetPlan("f", plan, true),
      "fleet f: new fleet of 5: rotate 5 (if eligible): a, b, c, d, e; 0 unchanged",
    );
    assert.deepEqual(detailFleetPlan("f", plan), []);
  });
});
