// BitLockerKeyRotation reads the device once per rotation: the read check makes for the
// recovery-key cap is handed to the create/update that follows, counted here in the simulated
// tenant's request log. And only when it is safe: single use, fresh, same Graph client, and
// never across a rotation request for the device.
import assert from "node:assert/strict";
import * as engine from "../../provider/engine/singleDeviceEntry";
import { CHECK_READ_MAX_AGE_MS } from "../../provider/engine/checkRead";
import { checkSingleDevice, type SingleDeviceState } from "../../provider/plan/singleDevicePlan";
import type { SimulatedTenant } from "../../simulator/index";
import {
  addEligibleDevice,
  configureEngine,
  engineConfig,
  ROTATE,
  useEngineTenant,
} from "../support/tenant";

type Props = Record<string, unknown>;

describe("integration: BitLockerKeyRotation reads the device once per rotation", function () {
  let tenant: SimulatedTenant;
  const deviceGets = (id: string) =>
    tenant.log.count({ method: "GET", pathMatches: new RegExp(`/managedDevices/${id}$`) });
  const keyLists = () => tenant.log.count({ method: "GET", pathMatches: /recoveryKeys$/ });
  const posts = () => tenant.log.count({ method: "POST", pathMatches: ROTATE });

  useEngineTenant({}, (t) => (tenant = t));

  /** check, as Pulumi's host calls it before create/update; its inputs go on to them. */
  async function check(olds: Props, news: Props): Promise<Props> {
    const { inputs, failures } = await engine.check(olds, news);
    assert.deepEqual(failures, []);
    return inputs;
  }
  async function create(inputs: Props) {
    return (await engine.create(inputs)) as { id: string; outs: SingleDeviceState };
  }

  it("check then create: one device read, one key count, one rotation", async () => {
    const d = addEligibleDevice(tenant, { deviceName: "LAPTOP-ONE-READ" });
    const { id, outs } = await create(
      await check({}, { managedDeviceId: d.id, rotationToken: "A" }),
    );
    assert.deepEqual([deviceGets(d.id), keyLists(), posts()], [1, 1, 1]);
    assert.equal(id, d.id);
    assert.deepEqual(
      [outs.deviceName, outs.azureADDeviceId, outs.status, outs.rotationCount],
      ["LAPTOP-ONE-READ", d.azureADDeviceId, "requested", 1],
    );
  });

  it("check then update for a new token: one device read", async () => {
    const d = addEligibleDevice(tenant);
    const { outs } = await create(await check({}, { managedDeviceId: d.id, rotationToken: "A" }));
    tenant.log.clear();
    const oldInputs = { managedDeviceId: d.id, rotationToken: "A" };
    const news = await check(oldInputs, { managedDeviceId: d.id, rotationToken: "B" });
    const next = await engine.update(d.id, outs as unknown as Props, news);
    assert.deepEqual([deviceGets(d.id), keyLists(), posts()], [1, 1, 1]);
    assert.deepEqual([next.outs.rotationToken, next.outs.rotationCount], ["B", 2]);
  });

  it("is used once: a later update without its own check reads the device", async () => {
    const d = addEligibleDevice(tenant);
    const { outs } = await create(await check({}, { managedDeviceId: d.id, rotationToken: "A" }));
    tenant.log.clear();
    // Inputs as check would return them, but without its read (the pure part only).
    const news = checkSingleDevice({ managedDeviceId: d.id, rotationToken: "B" }).inputs;
    await engine.update(d.id, outs as unknown as Props, news);
    assert.deepEqual([deviceGets(d.id), posts()], [1, 1]);
  });

  it("is not used once older than the bound", async () => {
    const d = addEligibleDevice(tenant);
    const inputs = await check({}, { managedDeviceId: d.id, rotationToken: "A" });
    const real = performance.now.bind(performance);
    performance.now = () => real() + CHECK_READ_MAX_AGE_MS + 1;
    try {
      await create(inputs);
    } finally {
      delete (performance as { now?: unknown }).now;
    }
    assert.deepEqual([deviceGets(d.id), posts()], [2, 1]);
  });

  it("is not used by a reconfigured engine", async () => {
    const d = addEligibleDevice(tenant);
    const inputs = await check({}, { managedDeviceId: d.id, rotationToken: "A" });
    configureEngine(engineConfig(tenant));
    await create(inputs);
    assert.deepEqual([deviceGets(d.id), posts()], [2, 1]);
  });

  it("a check that could not read the device leaves no older read behind", async () => {
    configureEngine(engineConfig(tenant, tenant.defaultApp, { "bitlocker:maxRetries": "0" }));
    const d = addEligibleDevice(tenant);
    const news = { managedDeviceId: d.id, rotationToken: "A" };
    await check({}, news);
    const device = new RegExp(`managedDevices/${d.id}$`);
    tenant.addFault({ method: "GET", path: device, kind: "503", retryAfterSeconds: 0, count: 1 });
    const inputs = await check({}, news); // the guard could not look; check still passes
    tenant.clearFaults();
    await create(inputs);
    const answered = tenant.log.count({ method: "GET", pathMatches: device, status: 200 });
    assert.deepEqual([answered, posts()], [2, 1], "create read the device itself");
  });

  it("a read made while a rotation of the device was in flight is not used after it", async () => {
    const d = addEligibleDevice(tenant);
    const first = await check({}, { managedDeviceId: d.id, rotationToken: "A" });
    // The first rotation is held inside the tenant, unhandled; a second resource's check
    // reads the device meanwhile, and sees it before that rotation. Then Intune acts on it.
    const held = tenant.hold({ method: "POST", path: ROTATE });
    const rotating = create(first);
    await held.received;
    const second = await check({}, { managedDeviceId: d.id, rotationToken: "X" });
    held.release();
    await rotating;
    await create(second);
    const sequence = tenant.log
      .entries()
      .filter((e) => e.path.includes(d.id) && !e.path.endsWith("recoveryKeys"))
      .map((e) => `${e.method} ${ROTATE.test(e.path) ? "rotate" : "device"}`);
    assert.deepEqual(sequence, [
      "GET device", // first check
      "GET device", // second check, while the first rotation is in flight
      "POST rotate",
      "GET device", // second create: read again, after the first rotation
      "POST rotate",
    ]);
  });

  it("a lost answer after check's read is settled on the device, not re-sent", async () => {
    // The device is read again 5 s (the shortest grace) after the answer was lost.
    configureEngine(
      engineConfig(tenant, tenant.defaultApp, { "bitlocker:requestTimeoutSeconds": "2" }),
    );
    const d = addEligibleDevice(tenant);
    const inputs = await check({}, { managedDeviceId: d.id, rotationToken: "A" });
    tenant.addFault({ method: "POST", path: ROTATE, kind: "drop", count: 1 });
    const { outs } = await create(inputs);
    assert.equal(posts(), 1, "exactly one POST reached the tenant");
    assert.equal(tenant.actionResults(d.id).filter((r) => /rotate/i.test(r.actionName)).length, 1);
    assert.equal(outs.status, "requested");
    // check's read, then the read that settled the lost answer.
    assert.equal(deviceGets(d.id), 2);
  });
});
