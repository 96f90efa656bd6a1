// Failures under the real `pulumi` CLI: `pulumi up` exits non-zero with a message a person
// can act on (the device, Graph's status and code, the request-id, what to do), the failing
// device's state is untouched (not created, or its old token kept), and once the cause is
// fixed a re-run rotates it exactly once.
//
// One project for the file; the `it`s run in order:
//   0. baseline: dev-0 rotated with token A
//   a. 403: an app with only DeviceManagementManagedDevices.Read.All (dev-0 → B, new dev-1)
//   b. a device that cannot rotate (isEncrypted false): nothing sent
//   c. an unknown device id: Graph's 404
//   d. throttling beyond the retry budget (429s on dev-0's rotation, bitlocker:retryBudgetSeconds 2)
import * as assert from "node:assert/strict";
import { ROLES, type SimulatedTenant } from "../../simulator/index";
import type { CommandResult, PulumiProject } from "./harness";
import {
  type DeviceSpec,
  ROTATE,
  closeStack,
  deviceSpecs,
  outs,
  rotations,
  rotationsByDevice,
  setDevices,
  singleDeviceProject,
  singles,
  startE2eTenant,
  tenantEnv,
  text,
  windowsDevice,
} from "./support";

describe("e2e: failures of BitLockerKeyRotation (pulumi CLI)", function () {
  this.timeout(5 * 60_000);
  let tenant: SimulatedTenant;
  let project: PulumiProject;
  let specs: DeviceSpec[];
  const ids: Record<string, string> = {};
  const spec = (name: string) => specs.find((s) => s.name === name)!;

  /** `pulumi up` that must fail; returns its result. */
  async function failingUp(env?: Record<string, string | undefined>): Promise<CommandResult> {
    const result = await project.up({ allowFailure: true, env });
    assert.notEqual(result.code, 0, `pulumi up must fail:\n${text(result)}`);
    if (process.env.E2E_VERBOSE === "1") console.log(text(result));
    return result;
  }
  /** POSTs of any status to a device's rotate action. */
  const postsTo = (id: string) =>
    tenant.log.entries({ method: "POST", pathMatches: ROTATE }).filter((e) => e.path.includes(id));
  const state = async () => singles(await project.exportStack());

  before(async function () {
    tenant = await startE2eTenant();
    ids["dev-0"] = windowsDevice(tenant).id;
    specs = deviceSpecs(ids, "A");
    project = await singleDeviceProject(tenant, "failures", specs);
  });

  after(() => closeStack(project, tenant));

  beforeEach(() => {
    tenant.log.clear();
    tenant.clearFaults();
  });

  it("0. baseline: dev-0 rotated with token A", async function () {
    await project.up();
    assert.equal(rotations(tenant), 1);
    assert.equal(outs((await state()).get("dev-0")).rotationToken, "A");
  });

  it("a. 403: names the device, Graph's status, the request-id and the permission to grant", async function () {
    const limited = tenant.registerApp({
      displayName: "read-only",
      roles: [ROLES.managedDevicesRead],
      clientSecret: "read-only-secret-e2e-403",
    });
    ids["dev-1"] = windowsDevice(tenant).id;
    spec("dev-0").rotationToken = "B";
    specs.push({ name: "dev-1", managedDeviceId: ids["dev-1"], rotationToken: "A" });
    await setDevices(project, specs);

    const result = await failingUp(
      tenantEnv(tenant, { clientId: limited.clientId, clientSecret: "read-only-secret-e2e-403" }),
    );
    const out = text(result);
    assert.equal(rotations(tenant), 0);
    const refused = tenant.log.entries({ method: "POST", pathMatches: ROTATE, status: 403 });
    assert.ok(refused.length >= 1, "Graph refused the rotation");
    // Pulumi stops starting new operations after the first failure, so whichever of dev-0's
    // update and dev-1's create runs second may not be attempted at all (the order varies).
    // Every rotation Graph did refuse must be explained in the output.
    for (const answer of refused) {
      const name = ["dev-0", "dev-1"].find((n) => answer.path.includes(ids[n]!))!;
      assert.ok(out.includes(ids[name]!), `the output names ${name} (${ids[name]}):\n${out}`);
      assert.ok(out.includes(answer.requestId), `the output has the request-id of ${name}'s 403`);
    }
    assert.match(out, /403/);
    assert.match(out, /Forbidden/);
    assert.match(out, /DeviceManagementManagedDevices\.ReadWrite\.All/, "the permission to grant");
    assert.ok(!out.includes("read-only-secret-e2e-403"), "no secret in the output");

    const s = await state();
    assert.deepEqual(
      [outs(s.get("dev-0")).rotationToken, outs(s.get("dev-0")).rotationCount],
      ["A", 1],
      "dev-0 keeps its old token",
    );
    assert.equal(s.has("dev-1"), false, "dev-1 was not created");

    // The fix: the app that holds the permission. Each device rotates exactly once.
    tenant.log.clear();
    await project.up();
    const byDevice = rotationsByDevice(tenant);
    assert.equal(rotations(tenant), 2);
    assert.deepEqual(
      [byDevice.get(ids["dev-0"]!)?.length, byDevice.get(ids["dev-1"]!)?.length],
      [1, 1],
    );
    const fixed = await state();
    assert.deepEqual(
      [outs(fixed.get("dev-0")).rotationToken, outs(fixed.get("dev-0")).rotationCount],
      ["B", 2],
    );
    assert.deepEqual(
      [outs(fixed.get("dev-1")).rotationToken, outs(fixed.get("dev-1")).status],
      ["A", "requested"],
    );
  });

  it("b. a device that cannot rotate (not encrypted) fails with the reason and nothing is sent", async function () {
    ids["dev-2"] = windowsDevice(tenant, { isEncrypted: false }).id;
    specs.push({ name: "dev-2", managedDeviceId: ids["dev-2"], rotationToken: "A" });
    await setDevices(project, specs);

    const out = text(await failingUp());
    assert.ok(out.includes(ids["dev-2"]!), `the output names the device:\n${out}`);
    assert.match(out, /isEncrypted is false/);
    assert.match(out, /Nothing was sent to Graph/);
    assert.deepEqual(postsTo(ids["dev-2"]!), [], "no rotation request for it");
    assert.equal(rotations(tenant), 0);
    assert.equal((await state()).has("dev-2"), false, "not created");

    tenant.updateDevice(ids["dev-2"]!, { isEncrypted: true });
    tenant.log.clear();
    await project.up();
    assert.equal(rotations(tenant), 1);
    assert.equal(postsTo(ids["dev-2"]!).length, 1);
    assert.equal(outs((await state()).get("dev-2")).status, "requested");
  });

  it("c. an unknown device id fails with Graph's 404 and its request-id", async function () {
    const unknown = "0b7c5a2e-dead-4a2b-9c3d-00000000e404";
    specs.push({ name: "dev-3", managedDeviceId: unknown, rotationToken: "A" });
    await setDevices(project, specs);

    const out = text(await failingUp());
    const notFound = tenant.log.entries({ status: 404 }).filter((e) => e.path.includes(unknown));
    assert.ok(notFound.length >= 1, "Graph answered 404");
    assert.ok(out.includes(unknown), `the output names the device:\n${out}`);
    assert.match(out, /404/);
    assert.ok(
      notFound.some((e) => out.includes(e.requestId)),
      "the output carries the 404's request-id",
    );
    assert.match(out, /does not exist/);
    assert.equal(rotations(tenant), 0);
    assert.equal((await state()).has("dev-3"), false);

    // The device enrols later under that id: the re-run rotates it once.
    ids["dev-3"] = windowsDevice(tenant, { id: unknown }).id;
    tenant.log.clear();
    await project.up();
    assert.equal(rotations(tenant), 1);
    assert.equal(postsTo(unknown).length, 1);
  });

  it("d. throttling beyond the retry budget fails with a clear error; the old token is kept", async function () {
    await project.configSet("bitlocker:retryBudgetSeconds", "2");
    await project.configSet("bitlocker:maxRetries", "3");
    tenant.addFault({
      method: "POST",
      path: new RegExp(`${ids["dev-0"]}/rotateBitLockerKeys$`),
      kind: "429",
      retryAfterSeconds: 0.3,
    });
    spec("dev-0").rotationToken = "C";
    await setDevices(project, specs);

    const out = text(await failingUp());
    const throttled = postsTo(ids["dev-0"]!).filter((e) => e.status === 429);
    assert.ok(throttled.length >= 2, `retried within the budget (${throttled.length} attempts)`);
    assert.ok(throttled.length <= 4, `at most maxRetries + 1 attempts (${throttled.length})`);
    assert.ok(out.includes(ids["dev-0"]!), `the output names the device:\n${out}`);
    assert.match(out, /429/);
    assert.match(out, /throttl/i);
    assert.ok(
      throttled.some((e) => out.includes(e.requestId)),
      "the output carries a request-id of the 429s",
    );
    assert.equal(rotations(tenant), 0);
    const s = await state();
    assert.deepEqual(
      [outs(s.get("dev-0")).rotationToken, outs(s.get("dev-0")).rotationCount],
      ["B", 2],
    );

    tenant.clearFaults();
    tenant.log.clear();
    await project.up();
    assert.equal(rotations(tenant), 1);
    assert.equal(postsTo(ids["dev-0"]!).length, 1, "sent once after the throttling passed");
    const fixed = await state();
    assert.deepEqual(
      [outs(fixed.get("dev-0")).rotationToken, outs(fixed.get("dev-0")).rotationCount],
      ["C", 3],
    );
  });
});
