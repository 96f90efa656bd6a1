// The preview's reads handed to the run (engine/fleet/previewHandoff.ts) must never stand in
// for a read after a rotation this process did not send: another run of the same fleet on this
// machine (a cancelled `up` that went on, runLock.ts) that ended between the preview and the
// run. Its rotations bump no rotation epoch of this process; a read from before them would
// send those devices again, where the run's own read shows the rotation and records it.
import assert from "node:assert/strict";
import * as engine from "../../provider/engine/fleetEntry";
import { engineContext } from "../../provider/engine/context";
import { acquireRunLock } from "../../provider/engine/runLock";
import { checkFleet } from "../../provider/plan/fleet/inputs";
import type { FleetState } from "../../provider/plan/fleet/plan";
import { deviceLines, packDevices } from "../../provider/plan/fleet/packed";
import type { SimulatedTenant } from "../../simulator/index";
import { addEligibleDevice, ROTATE, useEngineTenant } from "../support/tenant";

type Props = Record<string, unknown>;

describe("integration: fleet preview reads and another run of the same fleet", function () {
  let tenant: SimulatedTenant;
  useEngineTenant({ timeScale: 0.1 }, (t) => (tenant = t));
  before(() => (process.env.BITLOCKER_THROTTLE_WINDOW_SECONDS = "2"));
  after(() => delete process.env.BITLOCKER_THROTTLE_WINDOW_SECONDS);

  const inputsOf = (news: Props): Props => {
    const { inputs, failures } = checkFleet(news);
    assert.deepEqual(failures, []);
    return inputs as Props;
  };
  const postsTo = (id: string) =>
    tenant.log
      .entries({ method: "POST", pathMatches: ROTATE })
      .filter((e) => e.path.includes(`/${id}/`)).length;

  it("a run of the fleet that ended after the preview read voids the preview's reads", async () => {
    const ids = Array.from({ length: 10 }, () => addEligibleDevice(tenant).id);
    // State as a run of token A left it an hour ago (its records; the devices show nothing since).
    const decoy = inputsOf({
      managedDeviceIds: [addEligibleDevice(tenant).id],
      rotationToken: "A",
    });
    const made = (await engine.create(decoy)) as { id: string; outs: FleetState };
    const line = [...deviceLines(made.outs.devices).values()][0]!;
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    const aged = line.replace(/\d{4}-\d{2}-\d{2}T[\d:.]+Z/, hourAgo);
    assert.notEqual(aged, line);
    const { id } = made;
    const outs = {
      ...made.outs,
      devices: packDevices(new Map(ids.map((d) => [d, aged]))),
    } as FleetState;
    tenant.log.clear();
    const news = inputsOf({ managedDeviceIds: ids, rotationToken: "B" });
    await engine.diff(id, outs as unknown as Props, news); // reads the 10 devices
    // Another provider process's run of this fleet (token B) rotates 3 of them and ends: its
    // requests go out through another client (no epoch of this process moves), then its lock.
    const rotated = ids.slice(0, 3);
    const answers = await engineContext().graph.batch(
      rotated.map((d, i) => ({
        id: String(i),
        method: "POST" as const,
        url: `/deviceManagement/managedDevices/${d}/rotateBitLockerKeys`,
      })),
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      [204, 204, 204],
    );
    acquireRunLock(id, "other run")();
    const next = await engine.update(id, outs as unknown as Props, news);
    for (const d of rotated) assert.equal(postsTo(d), 1, `${d}: the other run's request only`);
    for (const d of ids.slice(3)) assert.equal(postsTo(d), 1, `${d}: this run's request`);
    // The 3 are recorded from what the run's own read shows (rotated since their record).
    assert.equal(next.outs.counts.requested, 10);
  });
});
