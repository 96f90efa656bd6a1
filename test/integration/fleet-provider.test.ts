// The BitLockerKeyRotationFleet engine against the simulated tenant: batching, pacing,
// skips, partial failure recorded for the next run, refresh, waitFor.
import { deviceLines, fleetDeviceRecords, packDevices } from "../../provider/plan/fleet/packed";
import assert from "node:assert/strict";
import * as engine from "../../provider/engine/fleetEntry";
import { engineContext } from "../../provider/engine/context";
import { isDevice, lookupDevices } from "../../provider/engine/fleet/batchedLookup";
import { WindowPacer } from "../../provider/engine/fleet/windowPacer";
import { checkFleet } from "../../provider/plan/fleet/inputs";
import { parseRecord, tokenHash } from "../../provider/plan/fleet/record";
import type { FleetState } from "../../provider/plan/fleet/plan";
import {
  ERROR_CODES,
  INTUNE_LIMITS,
  ROLES,
  scaleLimits,
  type SimulatedTenant,
} from "../../simulator/index";
import { RotationLedger } from "../reliability/support";
import {
  addEligibleDevice,
  configureEngine,
  engineConfig,
  ROTATE,
  useEngineTenant,
} from "../support/tenant";

type Props = Record<string, unknown>;

describe("integration: BitLockerKeyRotationFleet engine", function () {
  let tenant: SimulatedTenant;
  /** Rotation POSTs that reached devices (inner $batch requests included). */
  const accepted = () => tenant.log.count({ method: "POST", pathMatches: ROTATE, status: 204 });
  const statusOf = (s: FleetState, id: string) =>
    parseRecord(fleetDeviceRecords(s.devices)[id]!)!.status;

  // A time-scaled Intune throttle (200 POST per 2 s) so pacing is exercised in seconds.
  useEngineTenant({ timeScale: 0.1 }, (t) => (tenant = t));
  before(() => {
    process.env.BITLOCKER_THROTTLE_WINDOW_SECONDS = "2";
  });
  after(() => {
    delete process.env.BITLOCKER_THROTTLE_WINDOW_SECONDS;
  });

  function windows(n: number, overrides: Record<string, unknown> = {}) {
    return Array.from({ length: n }, () => addEligibleDevice(tenant, overrides).id);
  }
  /**
   * The inputs as check validates them, without check's preview reads (engine/previewReads.ts):
   * these tests count and fault the run's own requests. Preview reads: test/e2e/preview-reads.
   */
  async function inputs(news: Props): Promise<Props> {
    const { inputs: i, failures } = checkFleet(news);
    assert.deepEqual(failures, []);
    return i as Props;
  }
  async function runCreate(news: Props): Promise<{ id: string; state: FleetState }> {
    const { id, outs } = await engine.create(await inputs(news));
    return { id, state: outs };
  }
  async function runUpdate(id: string, olds: FleetState, news: Props): Promise<FleetState> {
    return (await engine.update(id, olds as unknown as Props, await inputs(news))).outs;
  }

  it("rotates every device exactly once, in $batch requests, within the throttle", async () => {
    const ids = windows(45);
    const { state } = await runCreate({ managedDeviceIds: ids, rotationToken: "A" });
    assert.equal(accepted(), 45);
    assert.equal(tenant.log.count({ throttled: true }), 0, "never throttled");
    assert.ok(tenant.log.count({ method: "POST", path: "/beta/$batch" }) >= 3, "batched");
    for (const id of ids)
      assert.deepEqual(
        [statusOf(state, id), parseRecord(fleetDeviceRecords(state.devices)[id]!)!.token],
        ["requested", tokenHash("A")],
      );
    assert.deepEqual(state.lastRun && [state.lastRun.rotated, state.lastRun.errors], [45, 0]);
  });

  it("rotates only what changed: added devices, per-device tokens; forgets removed ones", async () => {
    const ids = windows(4);
    const { id, state } = await runCreate({ managedDeviceIds: ids, rotationToken: "A" });
    tenant.log.clear();
    const same = await engine.diff(
      id,
      state as unknown as Props,
      await inputs({ managedDeviceIds: [...ids].reverse(), rotationToken: "A" }),
    );
    assert.equal(same.changes, false, "order does not matter");
    const [added] = windows(1);
    const next = await runUpdate(id, state, {
      managedDeviceIds: [...ids.slice(1), added],
      rotationToken: "A",
      deviceTokens: { [ids[2]!]: "INC-7" },
    });
    assert.equal(accepted(), 2, "the added device and the one with its own token");
    assert.equal(fleetDeviceRecords(next.devices)[ids[0]!], undefined, "removed device forgotten");
    assert.equal(
      parseRecord(fleetDeviceRecords(next.devices)[ids[2]!]!)!.token,
      tokenHash("INC-7"),
    );
  });

  it("skips devices that fail a prerequisite, with the reason, instead of failing", async () => {
    const [ok] = windows(1);
    const [old] = windows(1, { osVersion: "10.0.17763.1" });
    const [plain] = windows(1, { isEncrypted: false });
    const gone = "0b7c5a2e-dead-4a2b-9c3d-000000000404";
    const { state } = await runCreate({
      managedDeviceIds: [ok, old, plain, gone],
      rotationToken: "A",
    });
    assert.equal(accepted(), 1);
    assert.deepEqual(
      [old, plain, gone].map((d) => [
        statusOf(state, d!),
        parseRecord(fleetDeviceRecords(state.devices)[d!]!)!.detail,
      ]),
      [
        ["skipped", "osTooOld"],
        ["skipped", "notEncrypted"],
        ["skipped", "notFound"],
      ],
    );
    assert.equal(state.counts.skipped, 3);
  });

  it("skips a device at Entra's recovery-key cap with reason keyCap", async () => {
    const [ok] = windows(1);
    const [full] = windows(1, { recoveryKeys: 197 });
    const { state } = await runCreate({ managedDeviceIds: [ok, full], rotationToken: "A" });
    assert.equal(accepted(), 1);
    assert.deepEqual(
      [statusOf(state, full!), parseRecord(fleetDeviceRecords(state.devices)[full!]!)!.detail],
      ["skipped", "keyCap"],
    );
  });

  it("adopts every device without rotating when rotateOnCreate is false", async () => {
    const ids = windows(3);
    const { state } = await runCreate({
      managedDeviceIds: ids,
      rotationToken: "A",
      rotateOnCreate: false,
    });
    assert.equal(tenant.log.count(), 0, "no Graph call at all");
    assert.equal(state.counts.adopted, 3);
  });

  it("retries throttled inner requests and still rotates each device once", async () => {
    const ids = windows(30);
    tenant.addFault({
      method: "POST",
      path: ROTATE,
      scope: "batchItem",
      kind: "429",
      retryAfterSeconds: 0.2,
      count: 12,
    });
    const { state } = await runCreate({ managedDeviceIds: ids, rotationToken: "A" });
    assert.equal(accepted(), 30);
    assert.equal(state.counts.requested, 30);
  });

  it("settles lost inner answers on the device, never rotating twice", async () => {
    const ids = windows(10);
    // The ledger counts, from the request log, the rotations Intune acted on: 204s, and
    // requests handled before their answer was replaced by a 504.
    const ledger = new RotationLedger(tenant);
    ledger.add({
      method: "POST",
      path: ROTATE,
      scope: "batchItem",
      kind: "504",
      afterProcessing: true,
      count: 3,
    });
    ledger.add({ method: "POST", path: ROTATE, scope: "batchItem", kind: "500", count: 2 });
    configureEngine(
      engineConfig(tenant, tenant.defaultApp, { "bitlocker:requestTimeoutSeconds": "1" }),
    );
    const { state } = await runCreate({ managedDeviceIds: ids, rotationToken: "A" });
    const acted = ledger.accepted();
    for (const d of ids)
      assert.equal(acted.get(d), 1, `device ${d} rotated ${acted.get(d) ?? 0} times`);
    assert.ok(ledger.attempts() > 10, "the faults did fire");
    assert.equal(state.counts.requested, 10);
  });

  it("records a partial failure so that the re-run finishes the rest and repeats nothing", async () => {
    const ids = windows(6);
    const limited = tenant.registerApp({
      roles: [ROLES.managedDevicesRead],
      clientSecret: "limited-secret-9",
    });
    const { id, state } = await runCreate({
      managedDeviceIds: ids.slice(0, 3),
      rotationToken: "A",
    });
    configureEngine(
      engineConfig(tenant, { clientId: limited.clientId, clientSecret: "limited-secret-9" }),
    );
    const news = { managedDeviceIds: ids, rotationToken: "A" };
    const failure = await engine.update(id, state as unknown as Props, await inputs(news)).then(
      () => assert.fail("update must fail"),
      (e: Error & { id?: string; properties?: FleetState }) => e,
    );
    assert.match(failure.message, /Forbidden/);
    assert.match(failure.message, /DeviceManagementManagedDevices\.ReadWrite\.All/);
    assert.match(failure.message, /run `pulumi up` again/);
    assert.ok(!failure.message.includes("limited-secret-9"));
    assert.equal(failure.id, id);
    const recorded = failure.properties!;
    for (const d of ids.slice(0, 3)) assert.equal(statusOf(recorded, d), "requested");
    for (const d of ids.slice(3)) assert.equal(statusOf(recorded, d), "error");
    tenant.log.clear();
    configureEngine(engineConfig(tenant));
    const finished = await runUpdate(id, recorded, news);
    assert.equal(accepted(), 3, "only the three that were not rotated");
    assert.equal(finished.counts.requested, 6);
  });

  it("refresh follows each device's outcome without writing", async () => {
    const [ok] = windows(1);
    const [bad] = windows(1, { outcome: { state: "failed", errorCode: ERROR_CODES.backupBusy } });
    const [gone] = windows(1);
    const { id, state } = await runCreate({
      managedDeviceIds: [ok, bad, gone],
      rotationToken: "A",
    });
    tenant.checkIn();
    tenant.removeDevice(gone!);
    tenant.log.clear();
    const { props } = await engine.read(id, state as unknown as Props);
    assert.equal(tenant.log.count({ method: "POST", pathMatches: ROTATE }), 0);
    const s = props as unknown as FleetState;
    assert.equal(statusOf(s, ok!), "done");
    assert.deepEqual(
      [statusOf(s, bad!), parseRecord(fleetDeviceRecords(s.devices)[bad!]!)!.detail],
      ["failed", "0x803100E1"],
    );
    assert.equal(statusOf(s, gone!), "missing");
    assert.equal(
      parseRecord(fleetDeviceRecords(s.devices)[ok!]!)!.token,
      tokenHash("A"),
      "refresh keeps what was rotated",
    );
  });

  it("waitFor escrowed follows the fleet until new keys are escrowed", async () => {
    const ids = windows(3, { checkInDelayMs: 200 });
    const { state } = await runCreate({
      managedDeviceIds: ids,
      rotationToken: "A",
      waitFor: "escrowed",
      pollIntervalSeconds: 1,
      waitTimeoutSeconds: 20,
    });
    assert.equal(state.counts.escrowed, 3);
  });

  it("reads and rotates at once: rotations start before the last device is read; key counts come in $batches", async () => {
    const ids = windows(600);
    await runCreate({ managedDeviceIds: ids, rotationToken: "A" });
    assert.equal(accepted(), 600);
    assert.equal(tenant.log.count({ throttled: true }), 0, "never throttled, reads included");
    const keys = /\/informationProtection\/bitlocker\/recoveryKeys$/;
    assert.equal(tenant.log.count({ pathMatches: keys, inBatch: false }), 0, "no key read alone");
    assert.equal(tenant.log.count({ pathMatches: keys, inBatch: true }), 600);
    const reads = tenant.log.entries({
      method: "GET",
      pathMatches: /\/managedDevices\/[^/]+$/,
      inBatch: true,
    });
    const firstRotation = tenant.log.entries({ pathMatches: ROTATE, status: 204 })[0]!;
    assert.equal(reads.length, 600);
    assert.ok(
      Date.parse(firstRotation.time) < Date.parse(reads.at(-1)!.time),
      `first rotation ${firstRotation.time}, last device read ${reads.at(-1)!.time}`,
    );
  });

  it("stops reading devices once a rotation is refused for a missing permission", async () => {
    const ids = windows(600);
    const readOnly = tenant.registerApp({
      roles: [ROLES.managedDevicesRead],
      clientSecret: "read-only-secret-7",
    });
    configureEngine(
      engineConfig(tenant, { clientId: readOnly.clientId, clientSecret: "read-only-secret-7" }),
    );
    await assert.rejects(
      runCreate({ managedDeviceIds: ids, rotationToken: "A" }),
      (e: Error & { properties?: FleetState }) => {
        assert.equal(e.properties?.counts.error, 600, "every device recorded, none rotated");
        // The devices not sent carry the app's problem, not the message of the one refused.
        assert.match(
          e.message,
          /× NotSent: not sent: the app lacks DeviceManagementManagedDevices\.ReadWrite\.All/,
        );
        return /Forbidden|permission/i.test(e.message);
      },
    );
    assert.equal(accepted(), 0);
    const read = tenant.log.count({ method: "GET", pathMatches: /\/managedDevices\/[^/]+$/ });
    assert.ok(read < 600, `read ${read} devices after the first refusal`);
  });

  it("paces device reads within Intune's request limit (unpaced, the same reads are throttled)", async () => {
    const ids = windows(200);
    // 100 requests per 2 s window, so that 200 reads need two windows.
    tenant.setThrottle({ ...scaleLimits(0.1, INTUNE_LIMITS), appAll: 100, tenantAll: 200 });
    try {
      const { graph } = engineContext();
      const pacer = new WindowPacer({ limit: 100, windowMs: 2000, share: 1 });
      const paced = await lookupDevices(graph, ids, { pacer });
      assert.equal([...paced.values()].filter(isDevice).length, 200);
      assert.equal(tenant.log.count({ throttled: true }), 0, "paced: never throttled");
      tenant.resetThrottle();
      await lookupDevices(graph, ids);
      assert.ok(tenant.log.count({ throttled: true }) > 0, "unpaced: the same reads are throttled");
    } finally {
      tenant.setThrottle(scaleLimits(0.1, INTUNE_LIMITS));
    }
  });

  it("several fleets at once share the app's budget: never throttled", async () => {
    const [a, b] = [windows(300), windows(300)];
    await Promise.all([
      runCreate({ managedDeviceIds: a, rotationToken: "A", label: "one" }),
      runCreate({ managedDeviceIds: b, rotationToken: "A", label: "two" }),
    ]);
    assert.equal(accepted(), 600);
    assert.equal(tenant.log.count({ throttled: true }), 0);
  });

  it("a lost answer stays unverified when a later run is refused, so the next run looks first", async () => {
    const [lostOne] = windows(1);
    const others = windows(100);
    const ids = [lostOne!, ...others];
    const { id, state } = await runCreate({
      managedDeviceIds: ids,
      rotationToken: "A",
      rotateOnCreate: false,
    });
    // As an earlier run would have left it: the answer to token B's request was lost.
    const lostLine = `unverified 2026-11-27T10:00:00Z ${tokenHash("B")} -`;
    const olds = {
      ...state,
      devices: packDevices(new Map([...deviceLines(state.devices), [lostOne!, lostLine]])),
    };
    const readOnly = tenant.registerApp({
      roles: [ROLES.managedDevicesRead],
      clientSecret: "read-only-secret-8",
    });
    configureEngine(
      engineConfig(tenant, { clientId: readOnly.clientId, clientSecret: "read-only-secret-8" }),
    );
    const failure = await engine
      .update(
        id,
        olds as unknown as Props,
        await inputs({ managedDeviceIds: ids, rotationToken: "B" }),
      )
      .then(
        () => assert.fail("update must fail"),
        (e: Error & { properties?: FleetState }) => e,
      );
    assert.equal(
      fleetDeviceRecords(failure.properties!.devices)[lostOne!],
      lostLine,
      "the lost answer is kept",
    );
    for (const d of others) assert.equal(statusOf(failure.properties!, d), "error");
  });

  it("keeps state under 200 bytes per device", async () => {
    const ids = windows(200);
    const { state } = await runCreate({
      managedDeviceIds: ids,
      rotationToken: "2026-Q4-quarterly-rotation",
    });
    // Inputs and outputs are both stored; pretty-printed as `pulumi stack export` does.
    const inputsBytes = JSON.stringify(
      { managedDeviceIds: ids, rotationToken: "2026-Q4-quarterly-rotation" },
      null,
      4,
    ).length;
    const outputBytes = JSON.stringify(state, null, 4).length;
    assert.ok(
      (inputsBytes + outputBytes) / 200 < 200,
      `${((inputsBytes + outputBytes) / 200).toFixed(0)} bytes per device`,
    );
  });
});
