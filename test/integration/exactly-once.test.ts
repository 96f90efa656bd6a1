// Exactly once in the field: both engines against the simulated tenant over HTTPS, counting
// per device the rotation requests Intune acted on (the tenant's request log). An answer that
// comes after the client's timeout; a run whose state was never saved, re-run with no memory
// but the old state (a fresh runner); a destroyed-then-recreated fleet and a re-added device;
// one device Intune's scope tags keep out of reach among 300.
import { fleetDeviceRecords } from "../../provider/plan/fleet/packed";
import assert from "node:assert/strict";
import * as fleet from "../../provider/engine/fleetEntry";
import * as single from "../../provider/engine/singleDeviceEntry";
import { SAME_CLOCK_MARGIN_MS } from "../../provider/plan/evidence";
import { recordsOnGraphClock, type FleetState } from "../../provider/plan/fleet/plan";
import { parseRecord, tokenHash } from "../../provider/plan/fleet/record";
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
type Failure = Error & { id?: string; properties?: FleetState };

/**
 * The time between two `pulumi up` runs, at least: a rotation sent later than this after the
 * answer that accepted the last one is told apart from it (plan/evidence.ts). The CLI's own
 * start-up takes longer; engine calls in a test follow each other at once, so they wait it out.
 */
const nextRun = () => new Promise((r) => setTimeout(r, SAME_CLOCK_MARGIN_MS));

const fleetOps = {
  async inputs(news: Props): Promise<Props> {
    const { inputs: i, failures } = await fleet.check({}, news);
    assert.deepEqual(failures, []);
    return i;
  },
  async create(news: Props): Promise<{ id: string; state: FleetState }> {
    const { id, outs } = await fleet.create(await fleetOps.inputs(news));
    return { id, state: outs };
  },
  async update(id: string, olds: FleetState, news: Props): Promise<FleetState> {
    return (await fleet.update(id, olds as unknown as Props, await fleetOps.inputs(news))).outs;
  },
};
const record = (s: FleetState, d: string) => parseRecord(fleetDeviceRecords(s.devices)[d]!)!;

const singleOps = {
  inputs(news: Props): Props {
    const { inputs: i, failures } = checkSingleDevice(news);
    assert.deepEqual(failures, []);
    return i;
  },
  async create(news: Props): Promise<{ id: string; outs: SingleDeviceState }> {
    return (await single.create(singleOps.inputs(news))) as { id: string; outs: SingleDeviceState };
  },
  async update(id: string, olds: SingleDeviceState, news: Props): Promise<SingleDeviceState> {
    return (await single.update(id, olds as unknown as Props, singleOps.inputs(news)))
      .outs as SingleDeviceState;
  },
};

describe("integration: exactly once in the field", function () {
  this.timeout(60_000);
  let tenant: SimulatedTenant;
  useEngineTenant({ timeScale: 0.1 }, (t) => (tenant = t));
  before(() => {
    process.env.BITLOCKER_THROTTLE_WINDOW_SECONDS = "2";
  });
  after(() => {
    delete process.env.BITLOCKER_THROTTLE_WINDOW_SECONDS;
  });

  /** Rotation requests Intune acted on, per device id (inner $batch requests included). */
  function actedOn(): Map<string, number> {
    const by = new Map<string, number>();
    for (const e of tenant.log.entries({ method: "POST", pathMatches: ROTATE, status: 204 })) {
      const id = e.path.split("/").at(-2)!;
      by.set(id, (by.get(id) ?? 0) + 1);
    }
    return by;
  }
  const total = () => [...actedOn().values()].reduce((a, b) => a + b, 0);
  /** After every request the tenant is still handling (ones the client gave up on too). */
  async function assertOncePerDevice(ids: readonly string[]): Promise<void> {
    await tenant.idle();
    const acted = actedOn();
    for (const d of ids)
      assert.equal(acted.get(d), 1, `device ${d} rotated ${acted.get(d) ?? 0} times`);
    assert.equal(total(), ids.length);
  }
  const windows = (n: number) => Array.from({ length: n }, () => addEligibleDevice(tenant).id);
  /** A request timeout of 2 s, so an answer after it comes within the test's time. */
  const shortTimeout = () =>
    configureEngine(
      engineConfig(tenant, tenant.defaultApp, { "bitlocker:requestTimeoutSeconds": "2" }),
    );
  /** Node warns (TimeoutNegativeWarning) when a wait was computed from a time already past. */
  function collectWarnings(): { warnings: string[]; stop: () => void } {
    const warnings: string[] = [];
    const listener = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on("warning", listener);
    return { warnings, stop: () => process.off("warning", listener) };
  }

  describe("BitLockerKeyRotationFleet", () => {
    const { create, update } = fleetOps;

    it("an answer after the timeout: each device rotated once, none sent again", async () => {
      const ids = windows(60);
      shortTimeout();
      // One batch is handled 6 s late (after the 2 s timeout and the 5 s grace counted from
      // the send); another is handled at once and answered 3 s late.
      tenant.addFault({
        method: "POST",
        path: ROTATE,
        scope: "batchItem",
        kind: "latency",
        ms: 6000,
        count: 1,
      });
      tenant.addFault({
        method: "POST",
        path: ROTATE,
        scope: "batchItem",
        kind: "latency",
        afterProcessing: true,
        ms: 3000,
        count: 1,
      });
      const w = collectWarnings();
      const { state } = await create({ managedDeviceIds: ids, rotationToken: "A" }).finally(w.stop);
      await assertOncePerDevice(ids);
      assert.equal(state.counts.requested, 60);
      assert.deepEqual(w.warnings, []);
    });

    it("a re-run with no memory but the old state sends only what the lost run did not", async () => {
      const ids = windows(40);
      const label = `resume-${Date.now()}`;
      const { id, state } = await create({ managedDeviceIds: ids, rotationToken: "A", label });
      assert.equal(recordsOnGraphClock(state), true, "record times are Graph's");
      await nextRun();
      // Killed after 25 rotations: Pulumi never saw its state; it still holds `state`.
      await update(id, state, { managedDeviceIds: ids.slice(0, 25), rotationToken: "B", label });
      tenant.log.clear();
      const replay = await update(id, state, { managedDeviceIds: ids, rotationToken: "B", label });
      await assertOncePerDevice(ids.slice(25));
      for (const d of ids)
        assert.deepEqual(
          [record(replay, d).status, record(replay, d).token],
          ["requested", tokenHash("B")],
        );
      // The record holds the rotation's own start (Graph's clock): a third run compares like with like.
      const start = tenant.rotationResult(ids[0]!)!.startDateTime;
      assert.equal(record(replay, ids[0]!).at, start.replace(/\.\d+Z$/, "Z"));
    });

    it("its own rotation moments ago is not taken for the next token's", async () => {
      const ids = windows(20);
      const { id, state } = await create({ managedDeviceIds: ids, rotationToken: "A" });
      tenant.log.clear();
      await update(id, state, { managedDeviceIds: ids, rotationToken: "B" });
      await assertOncePerDevice(ids);
    });

    it("a key read after another admin's rotation: the read's token rotates again", async () => {
      const ids = windows(3);
      const { id, state } = await create({ managedDeviceIds: ids, rotationToken: "A" });
      await nextRun();
      // Another admin (here: another fleet) rotates them; then someone reads the new keys.
      await create({ managedDeviceIds: ids, rotationToken: "admin", label: `admin-${Date.now()}` });
      await nextRun();
      const readToken = `read ${new Date().toISOString()}`;
      tenant.log.clear();
      const after = await update(id, state, { managedDeviceIds: ids, rotationToken: readToken });
      await assertOncePerDevice(ids);
      assert.equal(after.counts.requested, 3);
    });

    it("destroy, then create with the same token and name: rotates every device again", async () => {
      const ids = windows(15);
      const label = `recreated-${Date.now()}`;
      const first = await create({ managedDeviceIds: ids, rotationToken: "A", label });
      await fleet.delete(first.id, first.state as unknown as Props);
      tenant.log.clear();
      const second = await create({ managedDeviceIds: ids, rotationToken: "A", label });
      await assertOncePerDevice(ids);
      assert.equal(second.state.counts.requested, 15);
    });

    it("a device removed and added back is rotated again", async () => {
      const ids = windows(5);
      const label = `readded-${Date.now()}`;
      const { id, state } = await create({ managedDeviceIds: ids, rotationToken: "A", label });
      const without = await update(id, state, {
        managedDeviceIds: ids.slice(1),
        rotationToken: "A",
        label,
      });
      tenant.log.clear();
      const back = await update(id, without, { managedDeviceIds: ids, rotationToken: "A", label });
      await assertOncePerDevice(ids.slice(0, 1));
      assert.equal(record(back, ids[0]!).status, "requested");
    });

    it("one device refused (403, scope tags) among 300: the other 299 rotate in the same run", async () => {
      const ids = windows(300);
      const refused = ids[137]!;
      tenant.addFault({
        method: "POST",
        path: `${refused}/rotateBitLockerKeys$`,
        scope: "batchItem",
        kind: "403",
      });
      const failure: Failure = await create({ managedDeviceIds: ids, rotationToken: "A" }).then(
        () => assert.fail("the run must report the refused device"),
        (e: Failure) => e,
      );
      await assertOncePerDevice(ids.filter((d) => d !== refused));
      const s = failure.properties!;
      assert.deepEqual([s.counts.requested, s.counts.error], [299, 1]);
      assert.deepEqual(
        [record(s, refused).status, record(s, refused).detail],
        ["error", "Forbidden"],
      );
      assert.match(failure.message, /1 × Forbidden: /);
      assert.ok(failure.message.includes(refused), "the message names the refused device");
      assert.doesNotMatch(failure.message, /NotSent/);
    });
  });

  describe("BitLockerKeyRotation", () => {
    const { create, update } = singleOps;

    for (const [what, afterProcessing, ms] of [
      ["handled after the timeout and the grace from the send", false, 6000],
      ["handled at once, answered after the timeout", true, 3000],
    ] as const) {
      it(`an answer after the timeout (${what}): rotated once`, async () => {
        const d = addEligibleDevice(tenant).id;
        shortTimeout();
        tenant.addFault({
          method: "POST",
          path: ROTATE,
          scope: "request",
          kind: "latency",
          afterProcessing,
          ms,
          count: 1,
        });
        const w = collectWarnings();
        const { outs } = await create({ managedDeviceId: d, rotationToken: "A" }).finally(w.stop);
        await assertOncePerDevice([d]);
        assert.equal(outs.status, "requested");
        assert.deepEqual(w.warnings, []);
      });
    }

    it("a key read after another admin's rotation: the read's token rotates again", async () => {
      const d = addEligibleDevice(tenant).id;
      const { outs } = await create({ managedDeviceId: d, rotationToken: "A" });
      await nextRun();
      await create({ managedDeviceId: d, rotationToken: "admin" }); // another admin's rotation
      await nextRun();
      const readToken = `read ${new Date().toISOString()}`;
      tenant.log.clear();
      const after = await update(d, outs, { managedDeviceId: d, rotationToken: readToken });
      await assertOncePerDevice([d]);
      assert.equal(after.rotationCount, 2);
    });

    it("an update whose state was never saved is not sent again by the next run", async () => {
      const d = addEligibleDevice(tenant).id;
      const { outs } = await create({ managedDeviceId: d, rotationToken: "A" });
      assert.equal(outs.stateVersion, 2, "requestedAt is Graph's time");
      await nextRun();
      await update(d, outs, { managedDeviceId: d, rotationToken: "B" }); // killed before saving
      tenant.log.clear();
      const replay = await update(d, outs, { managedDeviceId: d, rotationToken: "B" });
      await tenant.idle();
      assert.equal(total(), 0, "nothing sent: the device shows B's rotation");
      const start = tenant.rotationResult(d)!.startDateTime;
      assert.deepEqual(
        [replay.rotationToken, replay.rotationCount, replay.requestedAt],
        ["B", 2, start.replace(/\.\d+Z$/, "Z")],
      );
    });
  });

  // Last: each of these starts its own tenant, whose clock is not this machine's.
  for (const offsetMs of [90_000, -90_000]) {
    describe(`Graph's clock ${offsetMs > 0 ? "ahead of" : "behind"} this machine's by 90 s`, () => {
      useEngineTenant({ timeScale: 0.1, clockOffsetMs: offsetMs }, (t) => (tenant = t));

      it("fleet: its own rotation moments ago is not evidence; a lost run's is", async () => {
        const ids = windows(10);
        const { id, state } = await fleetOps.create({ managedDeviceIds: ids, rotationToken: "A" });
        tenant.log.clear();
        const b = await fleetOps.update(id, state, { managedDeviceIds: ids, rotationToken: "B" });
        await assertOncePerDevice(ids);
        await nextRun();
        await fleetOps.update(id, b, { managedDeviceIds: ids, rotationToken: "C" }); // never saved
        tenant.log.clear();
        const replay = await fleetOps.update(id, b, { managedDeviceIds: ids, rotationToken: "C" });
        await tenant.idle();
        assert.equal(total(), 0, "the lost run's rotations are found on the devices");
        for (const d of ids) assert.equal(record(replay, d).token, tokenHash("C"));
      });

      it("single device: the same two edges", async () => {
        const d = addEligibleDevice(tenant).id;
        const { outs } = await singleOps.create({ managedDeviceId: d, rotationToken: "A" });
        tenant.log.clear();
        const b = await singleOps.update(d, outs, { managedDeviceId: d, rotationToken: "B" });
        await assertOncePerDevice([d]);
        await nextRun();
        await singleOps.update(d, b, { managedDeviceId: d, rotationToken: "C" }); // never saved
        tenant.log.clear();
        const replay = await singleOps.update(d, b, { managedDeviceId: d, rotationToken: "C" });
        await tenant.idle();
        assert.equal(total(), 0);
        assert.equal(replay.rotationCount, 3);
      });
    });
  }
});
