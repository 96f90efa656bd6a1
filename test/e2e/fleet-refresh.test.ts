// `pulumi refresh` of a fleet and a single device under the real CLI against the simulated
// tenant: Pulumi shows both as unchanged (their inputs are), so the provider ends each with a
// summary of the statuses that changed, "requested 4 → done 2, failed 1, pending 1", naming the
// devices, and 0 writes.
import * as assert from "node:assert/strict";
import { ERROR_CODES, type SimulatedTenant } from "../../simulator/index";
import { PulumiProject } from "./harness";
import {
  FLEET_PROGRAM,
  fleetOf,
  graphWrites,
  outs,
  startE2eTenant,
  tenantEnv,
  text,
  windowsDevice,
} from "./support";

describe("e2e: pulumi refresh of a fleet ends with the statuses that changed (pulumi CLI)", function () {
  this.timeout(5 * 60_000);
  let tenant: SimulatedTenant;
  let project: PulumiProject;

  before(async function () {
    tenant = await startE2eTenant({ timeScale: 0.1 });
    project = await PulumiProject.create({
      name: "fleetrefresh",
      // The fleet program, plus one BitLockerKeyRotation of `e2e:single` (a device id).
      program:
        FLEET_PROGRAM +
        `
import { BitLockerKeyRotation } from "pulumi-intune-bitlocker";
new BitLockerKeyRotation("helpdesk", { managedDeviceId: config.require("single"), rotationToken: "INC-1" });
`,
      env: { ...tenantEnv(tenant), BITLOCKER_THROTTLE_WINDOW_SECONDS: "2" },
    });
  });

  after(async function () {
    await project?.dispose();
    await tenant?.close();
  });

  it("requested 4 → done 2, failed 1, pending 1, each named; a second refresh: no status changed", async function () {
    const done = [windowsDevice(tenant).id, windowsDevice(tenant).id];
    const failed = windowsDevice(tenant, {
      outcome: { state: "failed", errorCode: ERROR_CODES.notEncrypted },
    }).id;
    const silent = windowsDevice(tenant).id; // never checks in: stays pending
    await project.configSet(
      "e2e:fleet",
      JSON.stringify({ managedDeviceIds: [...done, failed, silent], rotationToken: "A" }),
    );
    const single = windowsDevice(tenant, {
      outcome: { state: "failed", errorCode: ERROR_CODES.notEncrypted },
    });
    await project.configSet("e2e:single", single.id);
    await project.up();
    tenant.checkIn([...done, failed, single.id]);
    tenant.log.clear();
    const refresh = await project.refresh();
    assert.deepEqual(graphWrites(tenant), [], "refresh writes nothing");
    const line = text(refresh).match(/\[bitlocker\] fleet fleet refreshed: [^\n]*/)?.[0];
    assert.ok(line, `a refresh summary:\n${text(refresh)}`);
    assert.match(line, /4 status change\(s\): requested 4 → done 2, failed 1, pending 1 \[/);
    for (const id of done) assert.ok(line.includes(id), `names ${id}: ${line}`);
    assert.ok(line.includes(`requested → failed: ${failed} (0x80310008)`), line);
    assert.ok(line.includes(`requested → pending: ${silent}`), line);
    assert.match(line, /; now done 2, failed 1, pending 1$/);
    assert.match(
      text(refresh),
      new RegExp(
        `\\[bitlocker\\] device ${single.id} \\(${single.deviceName}\\) refreshed: requested → failed \\(0x80310008 `,
      ),
    );
    // The summary is what state holds.
    assert.deepEqual(outs(fleetOf(await project.exportStack())).counts, {
      done: 2,
      failed: 1,
      pending: 1,
    });

    const again = await project.refresh();
    assert.match(
      text(again),
      /\[bitlocker\] fleet fleet refreshed: no status changed; now done 2, failed 1, pending 1/,
    );
    assert.match(text(again), /refreshed: no status change \(failed\)/);
  });
});
