// What `pulumi preview` announces, against what the following `pulumi up` does, device by
// device, from the simulated tenant's request log and the stack's state (real CLI). Preview
// reads the devices a change would rotate (engine/previewReads.ts): it names each rotation and
// each skip by reason, fails where `up` would fail (no credential, a permission missing, a
// single resource on a device that does not exist or cannot rotate), and writes nothing.
import { fleetDeviceRecords } from "../../provider/plan/fleet/packed";
import * as assert from "node:assert/strict";
import { ROLES, type SimulatedTenant } from "../../simulator/index";
import { PulumiProject } from "./harness";
import {
  FLEET_PROGRAM,
  ROTATE,
  bareEnv,
  closeStack,
  fleetOf,
  graphWrites,
  outs,
  rotationsByDevice,
  setDevices,
  singleDeviceProject,
  startE2eTenant,
  tenantEnv,
  text,
  windowsDevice,
  type DeviceSpec,
} from "./support";

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const REASONS = "notFound|notWindows|osTooOld|notJoined|notEncrypted|multiSession|noEntraDevice";

interface Announced {
  rotate: string[];
  skip: Map<string, string[]>;
  adopt: string[];
}

/** The fleet's preview line, taken apart: the ids it says would rotate, be skipped, be adopted. */
function announced(out: string): Announced {
  const line = out.match(/\[bitlocker\] fleet fleet: [^\n"]*? \d+ unchanged/)?.[0];
  assert.ok(line, `a preview line for the fleet:\n${out}`);
  const ids = (s: string | undefined) => (s?.match(GUID) ?? []).sort();
  const skip = new Map<string, string[]>();
  const skipPart = line.match(/; skip \d+ \((.*?)\)(?:; [a-z]|; \d+ unchanged)/)?.[1] ?? "";
  for (const m of skipPart.matchAll(new RegExp(`(${REASONS}) \\d+: ([^;]*)`, "g")))
    skip.set(m[1]!, ids(m[2]));
  return {
    rotate: ids(
      line.match(
        /(?:: |; )rotate \d+(?: \(if eligible\))?: (.*?); (?=skip|record|not read|adopt|forget|\d+ unchanged)/,
      )?.[1],
    ),
    skip,
    adopt: ids(line.match(/adopt \d+ without rotating: (.*?); /)?.[1]),
  };
}

/** What `up` did: the devices the tenant accepted a rotation for, and the skips state records. */
async function done(tenant: SimulatedTenant, project: PulumiProject) {
  // State version 3 packs `devices` (record line → ids): read it as id → line.
  const devices = fleetDeviceRecords(
    outs(fleetOf(await project.exportStack())).devices as Record<string, string>,
  );
  const skip = new Map<string, string[]>();
  for (const [id, line] of Object.entries(devices)) {
    const [status, , , detail] = line.split(" ");
    if (status === "skipped") skip.set(detail!, [...(skip.get(detail!) ?? []), id].sort());
  }
  return { rotate: [...rotationsByDevice(tenant).keys()].sort(), skip, devices };
}

describe("e2e: preview reads, and what preview says against what up does (pulumi CLI)", function () {
  this.timeout(6 * 60_000);

  describe("a fleet", () => {
    let tenant: SimulatedTenant;
    let project: PulumiProject;
    let windows: string[];
    let mac: string;
    const mistyped = "0b7c5a2e-dead-4a2b-9c3d-00000000e404";
    let members: string[];
    const setFleet = (args: object) => project.configSet("e2e:fleet", JSON.stringify(args));
    const rotatePosts = () => tenant.log.count({ method: "POST", pathMatches: ROTATE });

    /** Preview (which must write nothing), then up: up rotates and skips exactly what preview said. */
    async function previewThenUp(expected: { rotate: string[]; skip?: Record<string, string[]> }) {
      tenant.log.clear();
      const { result } = await project.preview();
      const said = announced(text(result));
      assert.deepEqual(graphWrites(tenant), [], "preview wrote nothing");
      assert.equal(rotatePosts(), 0, "preview sent no rotation");
      assert.deepEqual(said.rotate, [...expected.rotate].sort(), "preview names the rotations");
      assert.deepEqual(
        Object.fromEntries(said.skip),
        Object.fromEntries(Object.entries(expected.skip ?? {}).map(([k, v]) => [k, [...v].sort()])),
        "preview names the skips by reason",
      );
      tenant.log.clear();
      await project.up();
      const did = await done(tenant, project);
      assert.deepEqual(did.rotate, said.rotate, "up rotated exactly the devices preview named");
      for (const id of did.rotate)
        assert.equal(rotationsByDevice(tenant).get(id)?.length, 1, `${id} rotated once`);
      for (const [reason, ids] of said.skip)
        for (const id of ids)
          assert.match(did.devices[id]!, new RegExp(`^skipped .* ${reason}$`), `${id}: ${reason}`);
      return { said, out: text(result) };
    }

    before(async function () {
      tenant = await startE2eTenant({ timeScale: 0.1 });
      windows = [windowsDevice(tenant).id, windowsDevice(tenant).id];
      mac = windowsDevice(tenant, {
        operatingSystem: "macOS",
        osVersion: "14.6",
        deviceName: "MAC-E2E-1",
      }).id;
      members = [...windows, mistyped, mac];
      project = await PulumiProject.create({
        name: "previewreads",
        program: FLEET_PROGRAM,
        env: { ...tenantEnv(tenant), BITLOCKER_THROTTLE_WINDOW_SECONDS: "2" },
      });
    });

    after(() => closeStack(project, tenant));

    it("a new fleet with a mistyped id and a macOS device: preview names the 2 rotations and the 2 skips; up does exactly that", async function () {
      await setFleet({ managedDeviceIds: members, rotationToken: "A" });
      const { out } = await previewThenUp({
        rotate: windows,
        skip: { notFound: [mistyped], notWindows: [mac] },
      });
      assert.match(out, /fleet fleet: new fleet of 4: rotate 2: /);
      assert.ok(out.includes(`${mac} (MAC-E2E-1)`), "the macOS device is named");
    });

    it("a no-op preview reads nothing at all, not even a token", async function () {
      tenant.log.clear();
      const { result } = await project.preview();
      assert.doesNotMatch(text(result), /\[bitlocker\] fleet fleet:/);
      assert.equal(tenant.log.count(), 0, "no request reached the tenant");
    });

    it("a token change: the skipped devices are checked again and skipped again", async function () {
      await setFleet({ managedDeviceIds: members, rotationToken: "B" });
      await previewThenUp({ rotate: windows, skip: { notFound: [mistyped], notWindows: [mac] } });
    });

    it("devices added: only they are read and rotated", async function () {
      const added = [windowsDevice(tenant).id, windowsDevice(tenant).id];
      members = [...members, ...added];
      await setFleet({ managedDeviceIds: members, rotationToken: "B" });
      await previewThenUp({ rotate: added });
      const reads = tenant.log.entries({ method: "GET" }).map((e) => e.path);
      assert.ok(!reads.some((p) => p.includes(windows[0]!)), "an unchanged device is not read");
    });

    it("deviceTokens edited: the one device rotates", async function () {
      await setFleet({
        managedDeviceIds: members,
        rotationToken: "B",
        deviceTokens: { [windows[1]!]: "INC-7" },
      });
      await previewThenUp({ rotate: [windows[1]!] });
    });

    it("adopt (rotateOnCreate: false): preview names the device, up rotates nothing and reads nothing", async function () {
      const adopted = windowsDevice(tenant).id;
      members = [...members, adopted];
      await setFleet({
        managedDeviceIds: members,
        rotationToken: "B",
        deviceTokens: { [windows[1]!]: "INC-7" },
        rotateOnCreate: false,
      });
      tenant.log.clear();
      const { result } = await project.preview();
      assert.deepEqual(announced(text(result)).adopt, [adopted]);
      assert.equal(tenant.log.count(), 0, "adopting needs no read");
      await project.up();
      assert.equal(rotatePosts(), 0);
      const did = await done(tenant, project);
      assert.match(did.devices[adopted]!, /^adopted /);
    });

    it("an app without any device permission: preview fails naming the permission; up fails the same way, no POST", async function () {
      const none = tenant.registerApp({
        displayName: "no-roles",
        roles: [],
        clientSecret: "no-roles-secret-preview",
      });
      const env = tenantEnv(tenant, {
        clientId: none.clientId,
        clientSecret: "no-roles-secret-preview",
      });
      await setFleet({ managedDeviceIds: members, rotationToken: "C" });
      tenant.log.clear();
      const { result } = await project.preview({ allowFailure: true, env });
      assert.notEqual(result.code, 0, `preview must fail:\n${text(result)}`);
      const want =
        /lacks the application permission DeviceManagementManagedDevices\.ReadWrite\.All \(its token's roles: none\)/;
      assert.match(text(result), want);
      const up = await project.up({ allowFailure: true, env });
      assert.notEqual(up.code, 0);
      assert.match(text(up), want);
      assert.equal(rotatePosts(), 0, "no rotation sent");
      assert.deepEqual(graphWrites(tenant), []);
    });

    it("a preview app with Read.All only (the shipped pipelines' preview app): preview passes, says so, and names the rotations", async function () {
      const reader = tenant.registerApp({
        displayName: "preview-app",
        roles: [ROLES.managedDevicesRead],
        clientSecret: "preview-app-secret",
      });
      const env = tenantEnv(tenant, {
        clientId: reader.clientId,
        clientSecret: "preview-app-secret",
      });
      tenant.log.clear();
      const { result } = await project.preview({ env });
      assert.match(
        text(result),
        /holds DeviceManagementManagedDevices\.Read\.All but not DeviceManagementManagedDevices\.ReadWrite\.All: enough for a preview app/,
      );
      assert.deepEqual(announced(text(result)).skip.get("notWindows"), [mac]);
      assert.deepEqual(graphWrites(tenant), []);
    });

    it("missing credentials: preview fails saying what is missing; up fails the same way, no POST at all", async function () {
      const env = bareEnv(tenantEnv(tenant));
      tenant.log.clear();
      const { result } = await project.preview({ allowFailure: true, env });
      assert.notEqual(result.code, 0, `preview must fail:\n${text(result)}`);
      assert.match(text(result), /no access token for Graph.*no credential is configured/);
      const up = await project.up({ allowFailure: true, env });
      assert.notEqual(up.code, 0);
      assert.match(text(up), /no credential is configured/);
      assert.equal(tenant.log.count({ method: "POST" }), 0, "not even a token request");
      // With the credential back, the change goes through as preview says.
      await previewThenUp({
        rotate: members.filter((id) => id !== mistyped && id !== mac),
        skip: { notFound: [mistyped], notWindows: [mac] },
      });
    });
  });

  describe("a single resource", () => {
    let tenant: SimulatedTenant;
    let project: PulumiProject;
    let specs: DeviceSpec[];
    const rotatePosts = () => tenant.log.count({ method: "POST", pathMatches: ROTATE });

    before(async function () {
      tenant = await startE2eTenant();
      const d = windowsDevice(tenant, { deviceName: "DESKTOP-PREVIEW" });
      specs = [{ name: "helpdesk", managedDeviceId: d.id, rotationToken: "A" }];
      project = await singleDeviceProject(tenant, "previewsingle", specs);
    });

    after(() => closeStack(project, tenant));

    it("an eligible device: preview says it will rotate it, by name; up rotates exactly it", async function () {
      tenant.log.clear();
      const { result } = await project.preview();
      const id = specs[0]!.managedDeviceId;
      assert.match(text(result), new RegExp(`will rotate device ${id} \\(DESKTOP-PREVIEW\\)`));
      assert.deepEqual(graphWrites(tenant), []);
      tenant.log.clear();
      await project.up();
      assert.deepEqual([...rotationsByDevice(tenant).keys()], [id]);
    });

    /** Adds a resource for `id`: preview fails with `reason`; up fails the same way, sending nothing. */
    async function refused(id: string, reason: RegExp) {
      await setDevices(project, [
        ...specs,
        { name: "other", managedDeviceId: id, rotationToken: "A" },
      ]);
      tenant.log.clear();
      const { result } = await project.preview({ allowFailure: true });
      assert.notEqual(result.code, 0, `preview must fail:\n${text(result)}`);
      assert.match(text(result), reason);
      assert.ok(text(result).includes(id), "names the device");
      const up = await project.up({ allowFailure: true });
      assert.notEqual(up.code, 0, `up must fail:\n${text(up)}`);
      assert.match(text(up), reason);
      assert.equal(rotatePosts(), 0, "no rotation sent");
      assert.deepEqual(graphWrites(tenant), []);
      await setDevices(project, specs);
    }

    it("a nonexistent id: preview fails naming it and Graph's 404; up fails the same way", async function () {
      await refused(
        "0b7c5a2e-dead-4a2b-9c3d-0000000e0404",
        /does not exist in Intune \(Graph answered 404/,
      );
    });

    it("a macOS device: preview fails naming it and the prerequisite; up fails the same way", async function () {
      const mac = windowsDevice(tenant, {
        operatingSystem: "macOS",
        osVersion: "14.6",
        deviceName: "MAC-HELP",
      });
      await refused(
        mac.id,
        /\(MAC-HELP\) cannot rotate its BitLocker keys: operatingSystem is \\*"macOS/,
      );
    });

    it("missing credentials on a token change: preview fails; up fails the same way", async function () {
      await setDevices(project, [{ ...specs[0]!, rotationToken: "B" }]);
      const env = bareEnv(tenantEnv(tenant));
      tenant.log.clear();
      const { result } = await project.preview({ allowFailure: true, env });
      assert.notEqual(result.code, 0, `preview must fail:\n${text(result)}`);
      assert.match(text(result), /no credential is configured/);
      const up = await project.up({ allowFailure: true, env });
      assert.notEqual(up.code, 0);
      assert.match(text(up), /no credential is configured/);
      assert.equal(tenant.log.count({ method: "POST" }), 0);
    });

    it("a no-op preview reads nothing", async function () {
      await setDevices(project, specs);
      tenant.log.clear();
      await project.preview();
      assert.equal(tenant.log.count(), 0);
    });
  });
});
