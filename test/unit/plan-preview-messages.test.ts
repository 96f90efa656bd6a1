// What each preview verdict says (plan/preview.ts): a person must be able to act on it, so each
// message names the thing at fault and what to do. And a fleet device that preview did not
// read at all is reported unread, as one whose read failed.
import assert from "node:assert/strict";
import {
  credentialVerdict,
  previewFleet,
  rolesVerdict,
  singleDeviceVerdict,
  type FleetRead,
} from "../../provider/plan/preview";
import { planFleet } from "../../provider/plan/fleet/plan";
import type { FleetInputs } from "../../provider/plan/fleet/inputs";
import { windowsDevice } from "../support/devices";

const ROTATE = "DeviceManagementManagedDevices.ReadWrite.All";
const READ = "DeviceManagementManagedDevices.Read.All";
const ID = "11111111-2222-3333-4444-555555555555";
const note = (v: ReturnType<typeof rolesVerdict>) => ("note" in v ? v.note : "");
const fail = (v: ReturnType<typeof rolesVerdict>) => ("fail" in v ? v.fail : "");

describe("plan/preview: what each verdict says", () => {
  it("Entra unreachable: the note gives Entra's error and says `up` will try again", () => {
    const v = credentialVerdict({
      name: "AuthenticationError",
      message: "ECONNRESET at login.microsoftonline.com",
      transient: true,
    });
    assert.equal(
      note(v),
      "could not obtain a token for Graph at preview (ECONNRESET at login.microsoftonline.com); `pulumi up` will try again",
    );
  });

  it("an opaque access token: the note says its permissions were not checked", () => {
    assert.match(note(rolesVerdict(undefined, "rotate")), /not a readable JWT.*not checked/);
  });

  it("Read.All alone for a rotation: the note names both permissions and that `up` gets 403", () => {
    const n = note(rolesVerdict([READ], "rotate"));
    assert.match(n, new RegExp(`holds ${READ} but not ${ROTATE}`));
    assert.match(n, new RegExp(`runs \`pulumi up\` needs ${ROTATE}`));
    assert.match(n, /rotation is refused \(403\)$/);
  });

  it("no device permission: names the one the change needs, the roles held (or none), and what to do", () => {
    const rotate = fail(rolesVerdict(["AuditLog.Read.All", "User.Read.All"], "rotate"));
    assert.match(rotate, new RegExp(`permission ${ROTATE} \\(`));
    assert.match(rotate, /token's roles: AuditLog\.Read\.All, User\.Read\.All\)/);
    assert.match(rotate, /Grant it to the app registration and have an admin consent/);
    const read = fail(rolesVerdict([], "read"));
    assert.match(read, new RegExp(`permission ${READ} \\(`), "an adopt needs only Read.All");
    assert.match(read, /token's roles: none\)/);
  });

  it("a single device that could not be read: the note names it and the error", () => {
    const v = singleDeviceVerdict(ID, { error: { message: "socket hang up" } }, "rotate");
    assert.equal(note(v), `device ${ID} could not be read at preview (socket hang up)`);
  });

  it("a single device not found: Graph's answer is quoted only with what it gave, then what to do", () => {
    const codeOnly = fail(
      singleDeviceVerdict(ID, { notFound: { code: "ResourceNotFound" } }, "rotate"),
    );
    assert.match(codeOnly, /\(Graph answered 404: ResourceNotFound\), so/);
    const idOnly = fail(singleDeviceVerdict(ID, { notFound: { requestId: "r-9" } }, "rotate"));
    assert.match(idOnly, /\(Graph answered 404: request-id r-9\), so/);
    const bare = fail(singleDeviceVerdict(ID, { notFound: {} }, "rotate"));
    assert.match(bare, /\(Graph answered 404\), so/);
    assert.match(bare, /or remove the resource if the device was retired\.$/);
  });

  it("a device that cannot rotate: nothing was sent, `up` fails the same way, fix or remove it", () => {
    const mac = windowsDevice({ id: ID, deviceName: "MAC-01", operatingSystem: "macOS" });
    const f = fail(singleDeviceVerdict(ID, { device: mac }, "rotate"));
    assert.match(f, /Nothing was sent to Graph; `pulumi up` would fail the same way\./);
    assert.match(f, /Fix the device, or remove it from the program\.$/);
  });
});

describe("plan/preview: a fleet device preview did not read", () => {
  it("is reported unread (NotRead), not classified: `up` reads it again", () => {
    const ids = ["a", "b"];
    const news = { managedDeviceIds: ids, rotationToken: "A", rotateOnCreate: true } as FleetInputs;
    const seen = new Map<string, FleetRead>([["a", windowsDevice({ id: "a", deviceName: "A" })]]);
    const p = previewFleet(
      planFleet(undefined, news),
      undefined,
      news,
      seen,
      "2026-11-28T06:00:00Z",
    );
    assert.deepEqual(p.rotate, ["a"]);
    assert.deepEqual([...p.unread], [["NotRead", ["b"]]]);
  });

  it("a failed read without a code is NotRead too", () => {
    const news = {
      managedDeviceIds: ["a"],
      rotationToken: "A",
      rotateOnCreate: true,
    } as FleetInputs;
    const seen = new Map<string, FleetRead>([["a", { error: new Error("boom") }]]);
    const p = previewFleet(
      planFleet(undefined, news),
      undefined,
      news,
      seen,
      "2026-11-28T06:00:00Z",
    );
    assert.deepEqual([...p.unread], [["NotRead", ["a"]]]);
  });
});
