// Bounded time under the real `pulumi` CLI (issue 16, item 5): a fleet whose every rotation
// Graph answers `429 Retry-After: 3600` ends by itself within the retry budget, with an error
// that names the budget, records nothing as rotated, and leaves the stack unlocked with no
// pending operation, so the next `pulumi up` (fault gone) simply rotates every device once.
import { fleetDeviceRecords } from "../../provider/plan/fleet/packed";
import * as assert from "node:assert/strict";
import { parseRecord } from "../../provider/plan/fleet/record";
import type { SimulatedTenant } from "../../simulator/index";
import { PulumiProject } from "./harness";
import {
  FLEET_PROGRAM,
  ROTATE,
  fleetOf,
  outs,
  rotations,
  rotationsByDevice,
  startE2eTenant,
  tenantEnv,
  text,
  windowsDevice,
} from "./support";

const BUDGET_S = 5;

describe("e2e: a fleet told to wait an hour ends within the retry budget (pulumi CLI)", function () {
  this.timeout(5 * 60_000);
  let tenant: SimulatedTenant;
  let project: PulumiProject;
  let ids: string[];

  before(async function () {
    tenant = await startE2eTenant();
    ids = Array.from({ length: 30 }, () => windowsDevice(tenant).id);
    project = await PulumiProject.create({
      name: "retry-budget",
      program: FLEET_PROGRAM,
      env: tenantEnv(tenant),
    });
    await project.configSet("bitlocker:retryBudgetSeconds", String(BUDGET_S));
    await project.configSet(
      "e2e:fleet",
      JSON.stringify({ managedDeviceIds: ids, rotationToken: "A" }),
    );
  });

  after(async function () {
    await project?.dispose();
    await tenant?.close();
  });

  it("up fails by itself with the budget named, nothing recorded as rotated, the stack unlocked", async function () {
    tenant.addFault({
      method: "POST",
      path: ROTATE,
      scope: "batchItem",
      kind: "429",
      retryAfterSeconds: 3600,
    });
    const result = await project.up({ allowFailure: true, timeoutMs: 4 * 60_000 });
    const out = text(result);
    assert.equal(result.killed, false, `pulumi up had to be killed:\n${out}`);
    assert.notEqual(result.code, 0, `pulumi up must fail:\n${out}`);
    assert.match(out, /Graph 429 Too Many Requests \(request-id [0-9a-f-]+\)/);
    assert.match(out, /Graph asked to wait 3600 s \(Retry-After\)/);
    assert.match(out, /bitlocker:retryBudgetSeconds = 5 s/);
    assert.match(out, /0 rotation\(s\) requested and recorded, 0 skipped, 30 not rotated/);
    assert.equal(rotations(tenant), 0, "Intune accepted no rotation");
    // Each device's rotation was sent at most once: the hour was never waited out.
    const sends = tenant.log.entries({ method: "POST", pathMatches: ROTATE });
    assert.ok(sends.length >= 1, "the fault did fire");
    for (const id of ids)
      assert.ok(sends.filter((e) => e.path.includes(id)).length <= 1, `device ${id} sent twice`);
    // The CLI's own start-up and the program take seconds; an hour's wait would be 3600 s.
    assert.ok(result.durationMs < 120_000, `pulumi up took ${result.durationMs} ms`);

    const state = await project.exportStack();
    assert.deepEqual(state.deployment.pending_operations ?? [], [], "no pending operation");
    const devices = fleetDeviceRecords(outs(fleetOf(state)).devices as Record<string, string>);
    for (const id of ids)
      assert.equal(parseRecord(devices[id]!)?.status, "error", `device ${id}: ${devices[id]}`);
  });

  it("the next up is not blocked (no lock, no pending operation) and rotates each device once", async function () {
    tenant.clearFaults();
    tenant.log.clear();
    const result = await project.up();
    const out = text(result);
    assert.doesNotMatch(out, /currently locked|pending operations/i);
    assert.equal(rotations(tenant), 30);
    for (const id of ids) assert.equal(rotationsByDevice(tenant).get(id)?.length, 1, id);
    const devices = fleetDeviceRecords(
      outs(fleetOf(await project.exportStack())).devices as Record<string, string>,
    );
    for (const id of ids) assert.equal(parseRecord(devices[id]!)?.status, "requested", id);
  });
});
