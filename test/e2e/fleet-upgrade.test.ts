// Upgrading to the packed fleet state (stateVersion 3) under the real `pulumi` CLI: a stack whose
// fleet was written by the package as it was before (state versions 2 and 1: `devices` keyed
// by id, the id list as a list) is upgraded in place. Then:
//   - preview and up show no change, and up sends nothing (0 POSTs, 0 updates);
//   - the next token rotates each device exactly once and writes state version 3;
//   - an up after that sends nothing.
// The old package is its npm tarball (test/e2e/fixtures), as a user had it installed.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fleetDeviceRecords } from "../../provider/plan/fleet/packed";
import { parseRecord, tokenHash } from "../../provider/plan/fleet/record";
import type { SimulatedTenant } from "../../simulator/index";
import { changes, E2E_TMP_DIR, PulumiProject, REPO_DIR, type StackExport } from "./harness";
import {
  FLEET_PROGRAM,
  fleetOf,
  graphWrites,
  outs,
  rotations,
  rotationsByDevice,
  startE2eTenant,
  tenantEnv,
  windowsDevice,
} from "./support";

/**
 * The package as a user had it installed before state version 3: `npm pack` of the last commit
 * whose fleet wrote state version 2 (c91fef9), kept as a fixture so the test needs no git
 * history (a CI clone may be shallow).
 */
const OLD_TARBALL = path.join(__dirname, "fixtures", "pulumi-intune-bitlocker-0.1.0-c91fef9.tgz");

/** The old tarball, unpacked once into .e2e-tmp/. */
function oldPackage(): string {
  const root = path.join(E2E_TMP_DIR, "old-package-c91fef9");
  const dir = path.join(root, "package");
  if (!fs.existsSync(path.join(dir, "dist", "engine", "fleet.js"))) {
    fs.rmSync(root, { recursive: true, force: true });
    fs.mkdirSync(root, { recursive: true });
    execFileSync("tar", ["-xzf", OLD_TARBALL, "-C", root]);
  }
  return dir;
}

/**
 * Installs a built package into the project, as `npm install` of that version would. The
 * project gets its own @pulumi/pulumi too: Pulumi's serializer resolves the package's
 * package.json from @pulumi/pulumi's location, which must find this copy, not the repository's
 * (whose exports name the entry modules differently), as in a user's project.
 */
function install(project: PulumiProject, from: string): void {
  const pulumi = path.join(project.dir, "node_modules", "@pulumi", "pulumi");
  if (!fs.existsSync(pulumi))
    fs.cpSync(path.join(REPO_DIR, "node_modules", "@pulumi", "pulumi"), pulumi, {
      recursive: true,
    });
  const dest = path.join(project.dir, "node_modules", "pulumi-intune-bitlocker");
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(dest, { recursive: true });
  fs.cpSync(path.join(from, "dist"), path.join(dest, "dist"), { recursive: true });
  fs.copyFileSync(path.join(from, "package.json"), path.join(dest, "package.json"));
}

function records(state: StackExport) {
  const devices = fleetDeviceRecords(outs(fleetOf(state)).devices as Record<string, string>);
  return new Map(Object.entries(devices).map(([id, line]) => [id, parseRecord(line)!]));
}

for (const version of [2, 1] as const) {
  describe(`e2e: upgrading a fleet whose state is version ${version} (pulumi CLI)`, function () {
    this.timeout(8 * 60_000);
    let tenant: SimulatedTenant;
    let project: PulumiProject;
    let ids: string[];
    const setToken = (rotationToken: string) =>
      project.configSet("e2e:fleet", JSON.stringify({ managedDeviceIds: ids, rotationToken }));

    before(async function () {
      tenant = await startE2eTenant({ timeScale: 0.1 });
      ids = Array.from({ length: 25 }, () => windowsDevice(tenant).id);
      project = await PulumiProject.create({
        name: `fleet-upgrade-v${version}`,
        program: FLEET_PROGRAM,
        env: { ...tenantEnv(tenant), BITLOCKER_THROTTLE_WINDOW_SECONDS: "2" },
      });
      install(project, oldPackage());
      await setToken("A");
      await project.up();
      assert.equal(rotations(tenant), 25, "the old package rotated each device");
      const state = await project.exportStack();
      const fleet = fleetOf(state);
      assert.equal(outs(fleet).stateVersion, 2);
      assert.ok(Array.isArray(fleet.inputs?.managedDeviceIds), "the old form: a list of ids");
      assert.equal(Object.keys(outs(fleet).devices as object)[0], [...ids].sort()[0]);
      if (version === 1) {
        // As the package wrote it before the evidence rule: the same form, times maybe local.
        (fleet.outputs as Record<string, unknown>).stateVersion = 1;
        await project.importStack(state);
      }
      install(project, path.join(REPO_DIR, "provider")); // the upgrade
    });

    after(async function () {
      await project?.dispose();
      await tenant?.close();
    });

    beforeEach(() => tenant.log.clear());

    it("preview and up show no change and send nothing", async function () {
      const before = outs(fleetOf(await project.exportStack()));
      const { json } = await project.preview({ args: ["--expect-no-changes"] });
      assert.deepEqual(changes(json), []);
      await project.up({ args: ["--expect-no-changes"] });
      assert.deepEqual(graphWrites(tenant), [], "0 POSTs");
      const after = outs(fleetOf(await project.exportStack()));
      assert.deepEqual(after.devices, before.devices, "records untouched");
      assert.equal(after.stateVersion, version);
    });

    it("the next token rotates each device exactly once, and state becomes version 3", async function () {
      await setToken("B");
      const { json } = await project.preview();
      assert.deepEqual(
        changes(json).map((c) => c.op),
        ["update"],
      );
      await project.up();
      const byDevice = rotationsByDevice(tenant);
      assert.equal(rotations(tenant), 25);
      for (const id of ids) assert.equal(byDevice.get(id)?.length, 1, id);
      const state = await project.exportStack();
      const fleet = fleetOf(state);
      assert.equal(outs(fleet).stateVersion, 3);
      assert.equal(typeof fleet.inputs?.managedDeviceIds, "string", "ids packed");
      const recs = records(state);
      assert.equal(recs.size, 25);
      for (const id of ids)
        assert.deepEqual(
          [recs.get(id)?.status, recs.get(id)?.token],
          ["requested", tokenHash("B")],
        );
    });

    it("an up after that sends nothing", async function () {
      await project.up({ args: ["--expect-no-changes"] });
      assert.equal(rotations(tenant), 0);
      assert.deepEqual(graphWrites(tenant), []);
    });
  });
}
