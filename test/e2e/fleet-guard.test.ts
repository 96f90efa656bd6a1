// The blast-radius guard (bitlocker:maxRotationsPerUpdate) under the real `pulumi` CLI against
// the simulated tenant: a change that would rotate more devices than the limit fails
// `pulumi preview` with the count and how to allow it, and `pulumi up` sends nothing; raising
// the limit in stack config (over the environment's lower one) lets the same change through.
import * as assert from "node:assert/strict";
import type { SimulatedTenant } from "../../simulator/index";
import { PulumiProject } from "./harness";
import {
  FLEET_PROGRAM,
  fleetOf,
  outs,
  rotations,
  rotationsByDevice,
  startE2eTenant,
  tenantEnv,
  text,
  windowsDevice,
} from "./support";

const LIMIT_KEY = "bitlocker:maxRotationsPerUpdate";

describe("e2e: a fleet change above bitlocker:maxRotationsPerUpdate (pulumi CLI)", function () {
  this.timeout(5 * 60_000);
  let tenant: SimulatedTenant;
  let project: PulumiProject;
  let ids: string[];
  const setFleet = (args: object) => project.configSet("e2e:fleet", JSON.stringify(args));
  /** Every POST the tenant saw: Entra token requests, $batch envelopes and rotations. */
  const posts = () => tenant.log.count({ method: "POST" });

  before(async function () {
    tenant = await startE2eTenant({ timeScale: 0.1 });
    ids = Array.from({ length: 12 }, () => windowsDevice(tenant).id);
    project = await PulumiProject.create({
      name: "fleetguard",
      program: FLEET_PROGRAM,
      // The environment's limit, 5; the stack config set in step 4 wins over it.
      env: {
        ...tenantEnv(tenant),
        BITLOCKER_THROTTLE_WINDOW_SECONDS: "2",
        BITLOCKER_MAX_ROTATIONS_PER_UPDATE: "5",
      },
    });
  });

  after(async function () {
    await project?.dispose();
    await tenant?.close();
  });

  beforeEach(() => tenant.log.clear());

  it("1. creating a fleet of 12 that rotates on create: preview and up refuse, 0 POSTs", async function () {
    await setFleet({ managedDeviceIds: ids, rotationToken: "A" });
    const { result } = await project.preview({ allowFailure: true });
    assert.notEqual(result.code, 0, `preview must fail:\n${text(result)}`);
    // The consequence is named even for a create (which has no diff: check says it).
    assert.match(text(result), /fleet fleet: new fleet of 12: rotate 12 \(if eligible\): /);
    assert.match(text(result), /would rotate 12 device\(s\)/);
    assert.match(text(result), /pulumi config set bitlocker:maxRotationsPerUpdate 12/);
    const up = await project.up({ allowFailure: true });
    assert.notEqual(up.code, 0, `up must fail:\n${text(up)}`);
    assert.match(text(up), /would rotate 12 device\(s\)/);
    assert.equal(posts(), 0, "nothing sent, not even a token request");
  });

  it("2. adopting the 12 (rotateOnCreate: false) passes: nothing would rotate", async function () {
    await setFleet({ managedDeviceIds: ids, rotationToken: "A", rotateOnCreate: false });
    const { result } = await project.preview();
    assert.match(
      text(result),
      /fleet fleet: new fleet of 12: adopt 12 without rotating: [0-9a-f-]{36}, /,
    );
    await project.up();
    assert.equal(rotations(tenant), 0);
    assert.deepEqual(outs(fleetOf(await project.exportStack())).counts, { adopted: 12 });
  });

  it("3. a token change for all 12: preview fails naming the count, up sends 0 POSTs", async function () {
    const before = outs(fleetOf(await project.exportStack())).devices;
    await setFleet({ managedDeviceIds: ids, rotationToken: "B", rotateOnCreate: false });
    const { result } = await project.preview({ allowFailure: true });
    assert.notEqual(result.code, 0, `preview must fail:\n${text(result)}`);
    const out = text(result);
    assert.match(out, /fleet fleet: this change would rotate 12 device\(s\)/);
    assert.match(out, /more than bitlocker:maxRotationsPerUpdate allows \(5\)/);
    assert.match(out, /same pull request/);
    assert.ok(out.includes(ids.slice().sort()[0]!), "names the first device");
    // A refusal, not a crash: one note, no stack trace of the provider's code.
    const clean = (o: string) => {
      assert.match(
        o,
        /\[bitlocker\] refused: fleet fleet would rotate 12 device\(s\), more than bitlocker:maxRotationsPerUpdate \(5\); nothing was sent/,
      );
      assert.doesNotMatch(o, /at Object\.diff|fleetProvider\.js:\d+|dynamic-provider\/index/);
    };
    clean(out);
    const up = await project.up({ allowFailure: true });
    assert.notEqual(up.code, 0, `up must fail:\n${text(up)}`);
    assert.match(text(up), /would rotate 12 device\(s\)/);
    clean(text(up));
    assert.equal(posts(), 0, "no POST reached the tenant");
    assert.deepEqual(outs(fleetOf(await project.exportStack())).devices, before, "state untouched");
  });

  it("4. raising the limit in stack config lets the change through: each device rotated once", async function () {
    await project.configSet(LIMIT_KEY, "12");
    const { result } = await project.preview();
    // Preview read the 12 (the limit allows them): it names each, no longer "if eligible".
    assert.match(text(result), /fleet fleet: rotate 12: .*; 0 unchanged/);
    const up = await project.up();
    // `up` ends with a summary line for the fleet.
    assert.match(text(up), /fleet fleet done: rotated 12 \(requested 12\); unchanged 0/);
    const byDevice = rotationsByDevice(tenant);
    assert.equal(rotations(tenant), 12);
    for (const id of ids) assert.equal(byDevice.get(id)?.length, 1, `device ${id}`);
    assert.deepEqual(outs(fleetOf(await project.exportStack())).counts, { requested: 12 });
  });

  it("5. devices added and a deviceTokens edit: preview names each, up rotates exactly those", async function () {
    const added = [windowsDevice(tenant).id, windowsDevice(tenant).id];
    const adopted = windowsDevice(tenant).id;
    const edited = ids[4]!;
    await setFleet({
      managedDeviceIds: [...ids, ...added],
      rotationToken: "B",
      deviceTokens: { [edited]: "INC-9" },
    });
    const { result } = await project.preview();
    const line = text(result).match(/\[bitlocker\] fleet fleet: rotate 3: [^\n"]*/)?.[0];
    assert.ok(line, `a preview line for 3 rotations:\n${text(result)}`);
    for (const id of [...added, edited]) assert.ok(line.includes(id), `names ${id}: ${line}`);
    assert.match(line, /; 11 unchanged/);
    const up = await project.up();
    assert.match(text(up), /fleet fleet done: rotated 3 \(requested 3\); unchanged 11/);
    assert.deepEqual([...rotationsByDevice(tenant).keys()].sort(), [...added, edited].sort());

    // rotateOnCreate: false: a newcomer is adopted, and the preview says so by name.
    tenant.log.clear();
    await setFleet({
      managedDeviceIds: [...ids, ...added, adopted],
      rotationToken: "B",
      deviceTokens: { [edited]: "INC-9" },
      rotateOnCreate: false,
    });
    const again = await project.preview();
    assert.match(
      text(again.result),
      new RegExp(`fleet fleet: adopt 1 without rotating: ${adopted}; 14 unchanged`),
    );
    const adopting = await project.up();
    assert.match(text(adopting), /fleet fleet done: rotated 0; adopted 1; unchanged 14/);
    assert.equal(rotations(tenant), 0);
  });
});
