// BitLockerKeyRotationFleet reads each device once per `up`: the reads its preview made (check
// for a create, diff for an update) are handed to the run that follows in the same process,
// counted here in the simulated tenant's request log. And only when it is safe: the same plan,
// single use, fresh, the same Graph client, never across a rotation request for the device,
// and a bounded number of fleets kept.
import assert from "node:assert/strict";
import * as engine from "../../provider/engine/fleetEntry";
import * as single from "../../provider/engine/singleDeviceEntry";
import {
  MAX_KEPT_PREVIEWS,
  PREVIEW_READ_MAX_AGE_MS,
} from "../../provider/engine/fleet/previewHandoff";
import { checkFleet } from "../../provider/plan/fleet/inputs";
import { deviceLines, packDevices } from "../../provider/plan/fleet/packed";
import { tokenHash } from "../../provider/plan/fleet/record";
import type { FleetState } from "../../provider/plan/fleet/plan";
import type { SimulatedTenant } from "../../simulator/index";
import {
  addEligibleDevice,
  configureEngine,
  engineConfig,
  ROTATE,
  useEngineTenant,
} from "../support/tenant";

type Props = Record<string, unknown>;

describe("integration: BitLockerKeyRotationFleet reads each device once per up", function () {
  let tenant: SimulatedTenant;
  useEngineTenant({ timeScale: 0.1 }, (t) => (tenant = t));
  before(() => (process.env.BITLOCKER_THROTTLE_WINDOW_SECONDS = "2"));
  after(() => delete process.env.BITLOCKER_THROTTLE_WINDOW_SECONDS);

  const DEVICE = /\/managedDevices\/[^/]+$/;
  const KEYS = /\/recoveryKeys$/;
  /** Reads of each device (inner GETs of $batch requests), by device id. */
  function readsPerDevice(): Map<string, number> {
    const m = new Map<string, number>();
    for (const e of tenant.log.entries({ method: "GET", pathMatches: DEVICE })) {
      const id = e.path.split("/").at(-1)!;
      m.set(id, (m.get(id) ?? 0) + 1);
    }
    return m;
  }
  const deviceReads = () => [...readsPerDevice().values()].reduce((a, b) => a + b, 0);
  const accepted = () => tenant.log.count({ method: "POST", pathMatches: ROTATE, status: 204 });
  const windows = (n: number) => Array.from({ length: n }, () => addEligibleDevice(tenant).id);

  /** check, as Pulumi's host calls it before a create (it makes the preview reads). */
  async function check(news: Props): Promise<Props> {
    const { inputs, failures } = await engine.check({}, news);
    assert.deepEqual(failures, []);
    return inputs as Props;
  }
  async function create(inputs: Props) {
    return (await engine.create(inputs)) as { id: string; outs: FleetState };
  }

  it("check then create: each device read once, rotated once", async () => {
    const ids = windows(45);
    const { outs } = await create(await check({ managedDeviceIds: ids, rotationToken: "A" }));
    assert.equal(deviceReads(), 45, "the preview's reads only");
    assert.ok([...readsPerDevice().values()].every((n) => n === 1));
    assert.equal(accepted(), 45);
    assert.equal(outs.lastRun!.rotated, 45);
    assert.equal(
      tenant.log.count({ method: "GET", pathMatches: KEYS }),
      45,
      "key counts as before",
    );
  });

  it("is used once: a second run of the same plan reads the devices itself", async () => {
    // Devices the run skips (not Windows): no rotation request voids the reads meanwhile.
    const ids = Array.from(
      { length: 5 },
      () => addEligibleDevice(tenant, { operatingSystem: "macOS" }).id,
    );
    const inputs = await check({ managedDeviceIds: ids, rotationToken: "A" });
    await create(inputs);
    assert.equal(deviceReads(), 5, "the run used the preview's reads");
    await create(inputs);
    assert.equal(deviceReads(), 10, "the second run read them itself");
    assert.equal(accepted(), 0);
  });

  it("diff then update for a new token: each device read once", async () => {
    const ids = windows(30);
    const { id, outs } = await create(await check({ managedDeviceIds: ids, rotationToken: "A" }));
    tenant.log.clear();
    const news = await checkInputsOnly({ managedDeviceIds: ids, rotationToken: "B" });
    await engine.diff(id, outs as unknown as Props, news);
    const next = await engine.update(id, outs as unknown as Props, news);
    assert.equal(deviceReads(), 30);
    assert.equal(accepted(), 30);
    assert.equal(next.outs.lastRun!.rotated, 30);
  });

  it("is not used for another plan: another token", async () => {
    const ids = windows(25);
    await check({ managedDeviceIds: ids, rotationToken: "A" });
    await create(await checkInputsOnly({ managedDeviceIds: ids, rotationToken: "B" }));
    assert.equal(deviceReads(), 50);
  });

  it("is not used for another plan: another device list", async () => {
    const ids = windows(25);
    await check({ managedDeviceIds: ids, rotationToken: "A" });
    // As many devices, 24 of them the same: none of the preview's reads stands in.
    const other = [...ids.slice(1), ...windows(1)];
    await create(await checkInputsOnly({ managedDeviceIds: other, rotationToken: "A" }));
    assert.equal(deviceReads(), 50);
  });

  it("is not used once older than the bound", async () => {
    const ids = windows(25);
    const inputs = await check({ managedDeviceIds: ids, rotationToken: "A" });
    const real = performance.now.bind(performance);
    performance.now = () => real() + PREVIEW_READ_MAX_AGE_MS + 1;
    try {
      await create(inputs);
    } finally {
      delete (performance as { now?: unknown }).now;
    }
    assert.equal(deviceReads(), 50);
    assert.equal(accepted(), 25);
  });

  it("is not used by a reconfigured engine", async () => {
    const ids = windows(25);
    const inputs = await check({ managedDeviceIds: ids, rotationToken: "A" });
    configureEngine(engineConfig(tenant));
    await create(inputs);
    assert.equal(deviceReads(), 50);
  });

  it("a device another resource rotated after the preview read it is read again", async () => {
    const ids = windows(25);
    const inputs = await check({ managedDeviceIds: ids, rotationToken: "A" });
    // A BitLockerKeyRotation of the same process rotates one of the devices meanwhile.
    const one = await single.check({}, { managedDeviceId: ids[7]!, rotationToken: "S" });
    await single.create(one.inputs);
    await create(inputs);
    const reads = readsPerDevice();
    assert.equal(reads.get(ids[7]!), 3, "preview, the single resource, and the run");
    assert.equal(deviceReads(), 27);
  });

  it("a lost answer's device is read again by the run (its request may land meanwhile)", async () => {
    const ids = windows(10);
    const { id, outs } = await create(await check({ managedDeviceIds: ids, rotationToken: "A" }));
    // As an earlier run would have left it: the answer to token B's request was lost.
    const lostLine = `unverified 2026-11-27T10:00:00Z ${tokenHash("B")} -`;
    const olds = {
      ...outs,
      devices: packDevices(new Map([...deviceLines(outs.devices), [ids[3]!, lostLine]])),
    } as unknown as Props;
    tenant.log.clear();
    const news = await checkInputsOnly({ managedDeviceIds: ids, rotationToken: "B" });
    await engine.diff(id, olds, news);
    await engine.update(id, olds, news);
    const reads = readsPerDevice();
    assert.equal(reads.get(ids[3]!), 2, "the preview's read, then the run's own");
    assert.equal(deviceReads(), 11, "every other device once");
  });

  it(`keeps the reads of at most ${MAX_KEPT_PREVIEWS} fleets`, async () => {
    const fleets = Array.from({ length: MAX_KEPT_PREVIEWS + 1 }, () => windows(3));
    const inputs: Props[] = [];
    for (const [i, ids] of fleets.entries())
      inputs.push(await check({ managedDeviceIds: ids, rotationToken: "A", label: `f${i}` }));
    tenant.log.clear();
    await create(inputs[0]!); // the oldest: dropped
    assert.equal(deviceReads(), 3);
    tenant.log.clear();
    await create(inputs[1]!); // still kept
    assert.equal(deviceReads(), 0);
  });

  /** The inputs as check validates them, without its preview reads (its pure part). */
  async function checkInputsOnly(news: Props): Promise<Props> {
    const { inputs, failures } = checkFleet(news);
    assert.deepEqual(failures, []);
    return inputs as Props;
  }
});
