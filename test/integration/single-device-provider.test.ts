// The BitLockerKeyRotation engine, called as Pulumi's dynamic-provider host calls it, against
// the simulated tenant over HTTPS with the real Graph client and @azure/identity.
import assert from "node:assert/strict";
import * as engine from "../../provider/engine/singleDeviceEntry";
import { ERROR_CODES, ROLES, type SimulatedTenant } from "../../simulator/index";
import { checkSingleDevice, type SingleDeviceState } from "../../provider/plan/singleDevicePlan";
import {
  addEligibleDevice,
  configureEngine,
  engineConfig,
  ROTATE,
  useEngineTenant,
} from "../support/tenant";

type Props = Record<string, unknown>;

describe("integration: BitLockerKeyRotation engine", function () {
  let tenant: SimulatedTenant;
  const posts = () => tenant.log.count({ method: "POST", pathMatches: ROTATE });
  const accepted = () => tenant.log.count({ method: "POST", pathMatches: ROTATE, status: 204 });
  const writes = () =>
    tenant.log.count({ method: "POST" }) -
    tenant.log.count({ method: "POST", pathMatches: /oauth2/ });

  useEngineTenant({}, (t) => (tenant = t));

  function windowsDevice(overrides: Record<string, unknown> = {}) {
    return addEligibleDevice(tenant, overrides);
  }
  /** Normalized inputs, as check returns them (the pure part: no key-cap read). */
  async function inputs(news: Props) {
    const { inputs: i, failures } = checkSingleDevice(news);
    assert.deepEqual(failures, []);
    return i;
  }
  async function create(news: Props) {
    return (await engine.create(await inputs(news))) as { id: string; outs: SingleDeviceState };
  }

  describe("check", () => {
    it("fails bad input at preview time, without calling Graph", async () => {
      const { failures } = await engine.check(
        {},
        { managedDeviceId: "../../users", rotationToken: "" },
      );
      assert.deepEqual(failures.map((f) => f.property).sort(), [
        "managedDeviceId",
        "rotationToken",
      ]);
      assert.equal(tenant.log.count(), 0);
    });
  });

  describe("check: the recovery-key cap", () => {
    it("refuses at preview time a device at the cap, naming it and the count", async () => {
      const d = windowsDevice({ recoveryKeys: 196 });
      const { failures } = await engine.check({}, { managedDeviceId: d.id, rotationToken: "A" });
      assert.equal(failures.length, 1);
      assert.equal(failures[0]!.property, "managedDeviceId");
      assert.match(failures[0]!.reason, new RegExp(`${d.id} has 196 recovery keys`));
      assert.equal(posts(), 0);
    });
    it("lets a device near the cap through (with a warning), and any device when turned off", async () => {
      const near = windowsDevice({ recoveryKeys: 185 });
      assert.deepEqual(
        (await engine.check({}, { managedDeviceId: near.id, rotationToken: "A" })).failures,
        [],
      );
      const full = windowsDevice({ recoveryKeys: 199 });
      tenant.log.clear();
      const off = await engine.check(
        {},
        { managedDeviceId: full.id, rotationToken: "A", recoveryKeyLimit: 0 },
      );
      assert.deepEqual(off.failures, []);
      // Turned off: no recovery-key read. The device itself is still read (it must exist and
      // be eligible for the preview to pass), and nothing is written.
      assert.equal(tenant.log.count({ pathMatches: /recoveryKeys/ }), 0, "turned off: no key read");
      assert.deepEqual(
        tenant.log.entries().map((e) => `${e.method} ${e.path}`),
        [`GET /beta/deviceManagement/managedDevices/${full.id}`],
      );
    });
    it("only looks when this run would rotate the device", async () => {
      const d = windowsDevice({ recoveryKeys: 196 });
      const olds = { managedDeviceId: d.id, rotationToken: "A" };
      const { failures } = await engine.check(olds, {
        managedDeviceId: d.id,
        rotationToken: "A",
        reason: "changed",
      });
      assert.deepEqual(failures, []);
      assert.equal(tenant.log.count(), 0, "no Graph call when nothing rotates");
    });
  });

  describe("create", () => {
    it("rotates once and records the device, the token and Graph's request-id", async () => {
      const d = windowsDevice({ deviceName: "LAPTOP-CREATE" });
      const { id, outs } = await create({ managedDeviceId: d.id, rotationToken: "A" });
      assert.equal(id, d.id);
      assert.equal(posts(), 1);
      const post = tenant.log.entries().find((e) => ROTATE.test(e.path))!;
      assert.equal(post.path, `/beta/deviceManagement/managedDevices/${d.id}/rotateBitLockerKeys`);
      assert.deepEqual(
        [
          outs.deviceName,
          outs.azureADDeviceId,
          outs.collection,
          outs.rotationToken,
          outs.rotationCount,
          outs.status,
        ],
        ["LAPTOP-CREATE", d.azureADDeviceId, "managedDevices", "A", 1, "requested"],
      );
      assert.equal(outs.requestId, post.requestId);
      assert.ok(Date.parse(outs.requestedAt!) > Date.now() - 60_000);
    });

    it("addresses a co-managed device under comanagedDevices", async () => {
      const d = windowsDevice({ managementAgent: "configurationManagerClientMdm" });
      const { outs } = await create({ managedDeviceId: d.id, rotationToken: "A" });
      assert.equal(outs.collection, "comanagedDevices");
      assert.equal(
        tenant.log.count({
          method: "POST",
          pathMatches: /comanagedDevices\/.*\/rotateBitLockerKeys$/,
        }),
        1,
      );
    });

    it("adopts without rotating when rotateOnCreate is false", async () => {
      const d = windowsDevice();
      const { outs } = await create({
        managedDeviceId: d.id,
        rotationToken: "A",
        rotateOnCreate: false,
      });
      assert.deepEqual(
        [outs.status, outs.adopted, outs.rotationCount, posts()],
        ["adopted", true, 0, 0],
      );
    });

    const unmet: [string, Record<string, unknown>, RegExp][] = [
      ["an unencrypted device", { isEncrypted: false }, /isEncrypted is false/],
      ["Windows 10 1903", { osVersion: "10.0.18362.1" }, /older than 10\.0\.18363/],
      ["an Entra-registered device", { joinType: "azureADRegistered" }, /joinType/],
      ["a macOS device", { operatingSystem: "macOS", osVersion: "15.1" }, /needs Windows/],
    ];
    for (const [what, overrides, reason] of unmet) {
      it(`refuses ${what}, naming the device and the prerequisite, and sends nothing`, async () => {
        const d = windowsDevice(overrides);
        await assert.rejects(create({ managedDeviceId: d.id, rotationToken: "A" }), (e: Error) => {
          assert.equal(e.name, "PrerequisiteError");
          assert.match(e.message, new RegExp(d.id));
          assert.match(e.message, reason);
          return true;
        });
        assert.equal(posts(), 0);
      });
    }

    it("fails an unknown device with Graph's 404, its request-id and what to do", async () => {
      const missing = "0b7c5a2e-dead-4a2b-9c3d-000000000404";
      await assert.rejects(
        create({ managedDeviceId: missing, rotationToken: "A" }),
        (e: Error & { code?: string; requestId?: string }) => {
          assert.match(e.message, new RegExp(missing));
          assert.match(e.message, /404/);
          assert.ok(e.requestId && e.message.includes(e.requestId), "request-id in the message");
          assert.match(e.message, /does not exist/);
          return true;
        },
      );
      assert.equal(posts(), 0);
    });

    it("fails a missing permission with the permission to grant; nothing is recorded", async () => {
      const app = tenant.registerApp({
        roles: [ROLES.managedDevicesRead],
        clientSecret: "read-only-secret-1",
      });
      configureEngine(
        engineConfig(tenant, { clientId: app.clientId, clientSecret: "read-only-secret-1" }),
      );
      const d = windowsDevice();
      await assert.rejects(create({ managedDeviceId: d.id, rotationToken: "A" }), (e: Error) => {
        assert.match(e.message, /403/);
        assert.match(e.message, /DeviceManagementManagedDevices\.ReadWrite\.All/);
        assert.match(e.message, new RegExp(d.id));
        assert.ok(!e.message.includes("read-only-secret-1"), "no secret in the message");
        return true;
      });
      assert.equal(accepted(), 0);
    });

    it("gives up on endless throttling within the retry budget, with a clear error", async () => {
      configureEngine(
        engineConfig(tenant, tenant.defaultApp, {
          "bitlocker:retryBudgetSeconds": "2",
          "bitlocker:maxRetries": "3",
        }),
      );
      const d = windowsDevice();
      tenant.addFault({ method: "POST", path: ROTATE, kind: "429", retryAfterSeconds: 0.3 });
      await assert.rejects(create({ managedDeviceId: d.id, rotationToken: "A" }), (e: Error) => {
        assert.match(e.message, /429/);
        assert.match(e.message, /throttl/i);
        return true;
      });
      assert.equal(accepted(), 0);
    });
  });

  describe("diff", () => {
    it("no change for the same inputs; update for a token; replace for a device", async () => {
      const d = windowsDevice();
      const { outs } = await create({ managedDeviceId: d.id, rotationToken: "A" });
      const olds = { ...outs, __provider: "old" } as Props;
      const same = await engine.diff(d.id, olds, {
        ...(await inputs({ managedDeviceId: d.id, rotationToken: "A" })),
        __provider: "new",
      });
      assert.equal(same.changes, false);
      assert.equal(
        (await engine.diff(d.id, olds, await inputs({ managedDeviceId: d.id, rotationToken: "B" })))
          .changes,
        true,
      );
      const other = windowsDevice();
      assert.deepEqual(
        (
          await engine.diff(
            d.id,
            olds,
            await inputs({ managedDeviceId: other.id, rotationToken: "A" }),
          )
        ).replaces,
        ["managedDeviceId"],
      );
    });
  });

  describe("update", () => {
    it("rotates only for a new token; a setting alone changes state with no Graph call", async () => {
      const d = windowsDevice();
      const { outs } = await create({ managedDeviceId: d.id, rotationToken: "A" });
      tenant.log.clear();
      const settingsOnly = await engine.update(
        d.id,
        outs as unknown as Props,
        await inputs({ managedDeviceId: d.id, rotationToken: "A", reason: "audit" }),
      );
      assert.equal(tenant.log.count(), 0, "no Graph call at all");
      assert.equal(settingsOnly.outs.reason, "audit");
      const rotated = await engine.update(
        d.id,
        settingsOnly.outs as unknown as Props,
        await inputs({ managedDeviceId: d.id, rotationToken: "B" }),
      );
      assert.deepEqual(
        [posts(), rotated.outs.rotationToken, rotated.outs.rotationCount],
        [1, "B", 2],
      );
    });

    it("rotates an adopted device at its first token change", async () => {
      const d = windowsDevice();
      const { outs } = await create({
        managedDeviceId: d.id,
        rotationToken: "A",
        rotateOnCreate: false,
      });
      const next = await engine.update(
        d.id,
        outs as unknown as Props,
        await inputs({ managedDeviceId: d.id, rotationToken: "B", rotateOnCreate: false }),
      );
      assert.deepEqual([posts(), next.outs.status, next.outs.rotationCount], [1, "requested", 1]);
    });
  });

  describe("read (refresh)", () => {
    it("follows the action to done, failed with HRESULT text, or missing, and never writes", async () => {
      const ok = windowsDevice();
      const bad = windowsDevice({
        outcome: { state: "failed", errorCode: ERROR_CODES.notEncrypted },
      });
      const gone = windowsDevice();
      const states = await Promise.all(
        [ok, bad, gone].map((d) => create({ managedDeviceId: d.id, rotationToken: "A" })),
      );
      tenant.checkIn();
      tenant.removeDevice(gone.id);
      tenant.log.clear();
      const [r1, r2, r3] = await Promise.all(
        states.map((s) => engine.read(s.id, s.outs as unknown as Props)),
      );
      assert.equal(writes(), 0, "refresh must not write");
      assert.equal(r1!.props.status, "done");
      assert.deepEqual(
        [r2!.props.status, r2!.props.errorText],
        ["failed", "0x80310008 BitLocker is not enabled on the drive"],
      );
      assert.match(r2!.props.hint!, /Enable BitLocker/);
      assert.deepEqual(
        [r3!.props.status, r3!.props.rotationToken, r3!.id],
        ["missing", "A", gone.id],
      );
    });

    it("shows escrow evidence when waiting for it, without reading the key", async () => {
      const d = windowsDevice();
      const { id, outs } = await create({
        managedDeviceId: d.id,
        rotationToken: "A",
        waitFor: "escrowed",
        waitTimeoutSeconds: 0,
      });
      tenant.checkIn();
      const r = await engine.read(id, outs as unknown as Props);
      assert.equal(r.props.status, "escrowed");
      assert.ok(r.props.escrowedAt);
      const readsOfKey = tenant.log
        .entries()
        .filter((e) => /\bkey\b/.test(e.query["$select"] ?? ""));
      assert.equal(readsOfKey.length, 0, "the key itself is never read");
      assert.ok(
        tenant.log.count({ pathMatches: /recoveryKeys$/ }) >= 1,
        "escrow evidence was looked up",
      );
    });
  });

  describe("waitFor", () => {
    it("applied: waits for the device's check-in", async () => {
      const d = windowsDevice({ checkInDelayMs: 300 });
      const { outs } = await create({
        managedDeviceId: d.id,
        rotationToken: "A",
        waitFor: "applied",
        pollIntervalSeconds: 1,
        waitTimeoutSeconds: 20,
      });
      assert.equal(outs.status, "done");
    });
    it("escrowed: waits for a new recovery key", async () => {
      const d = windowsDevice({ checkInDelayMs: 300 });
      const { outs } = await create({
        managedDeviceId: d.id,
        rotationToken: "A",
        waitFor: "escrowed",
        pollIntervalSeconds: 1,
        waitTimeoutSeconds: 20,
      });
      assert.equal(outs.status, "escrowed");
      assert.ok(Date.parse(outs.escrowedAt!) >= Date.parse(outs.requestedAt!));
    });
    it("a device that never checks in is reported pending at the timeout, and recorded", async () => {
      const d = windowsDevice({ outcome: { state: "offline" } });
      const { outs } = await create({
        managedDeviceId: d.id,
        rotationToken: "A",
        waitFor: "applied",
        pollIntervalSeconds: 1,
        waitTimeoutSeconds: 2,
      });
      assert.deepEqual([outs.status, outs.rotationToken, posts()], ["pending", "A", 1]);
      assert.match(outs.hint!, /refresh/);
    });
  });

  describe("a lost answer", () => {
    type Failure = Error & { id?: string; properties?: Props };
    /**
     * A rotation of `deviceId` whose answer is lost (`rotate`: the fault on the POST) and whose
     * outcome cannot be checked: the first read of the device (before the POST) goes through,
     * every later read fails, and the engine has a 1 s retry budget and one retry.
     */
    function uncheckable(deviceId: string, rotate: "drop" | "504"): void {
      const device = new RegExp(`managedDevices/${deviceId}$`);
      tenant.addFault({ method: "GET", path: device, kind: "latency", ms: 0, count: 1 });
      tenant.addFault({ method: "GET", path: device, kind: "503", retryAfterSeconds: 0 });
      tenant.addFault({ method: "POST", path: ROTATE, kind: rotate, count: 1 });
      configureEngine(
        engineConfig(tenant, tenant.defaultApp, {
          "bitlocker:retryBudgetSeconds": "1",
          "bitlocker:maxRetries": "1",
        }),
      );
    }
    /** The error of a create that must fail. */
    async function failedCreate(news: Props): Promise<Failure> {
      return engine.create(news).then(
        () => assert.fail("create must fail"),
        (e: Failure) => e,
      );
    }
    /** The faults gone and the default settings back: the next run. */
    function recover(): void {
      tenant.clearFaults();
      configureEngine(engineConfig(tenant));
    }

    it("is checked on the device, not re-sent: one rotation, recorded", async () => {
      const d = windowsDevice();
      tenant.addFault({ method: "POST", path: ROTATE, kind: "drop", count: 1 });
      const { outs } = await create({ managedDeviceId: d.id, rotationToken: "A" });
      assert.equal(posts(), 1, "exactly one POST reached the tenant");
      assert.equal(
        tenant.actionResults(d.id).filter((r) => /rotate/i.test(r.actionName)).length,
        1,
      );
      assert.equal(outs.status, "requested");
    });

    it("that cannot be checked is kept unverified, and the next run settles it without resending", async () => {
      const d = windowsDevice();
      // Handled, then the answer dropped: the rotation reached Intune.
      uncheckable(d.id, "drop");
      const news = await inputs({ managedDeviceId: d.id, rotationToken: "A" });
      const failure = await failedCreate(news);
      assert.match(failure.message, /answer was lost/);
      assert.equal(failure.id, d.id);
      assert.equal(failure.properties?.status, "unverified");
      assert.equal(failure.properties?.rotationToken, "", "nothing recorded as rotated");
      assert.equal(posts(), 1);

      recover();
      const diff = await engine.diff(d.id, failure.properties!, news);
      assert.equal(diff.changes, true, "the next run must settle it");
      const settled = await engine.update(d.id, failure.properties!, news);
      assert.equal(posts(), 1, "the request that reached Intune is not sent again");
      assert.deepEqual(
        [settled.outs.status, settled.outs.rotationToken, settled.outs.unverifiedRequest],
        ["requested", "A", undefined],
      );
    });

    it("that cannot be checked and did not reach the device is sent on the next run", async () => {
      const d = windowsDevice();
      // Reset before handling: the POST never reaches Intune, but the client cannot know.
      uncheckable(d.id, "504");
      const news = await inputs({ managedDeviceId: d.id, rotationToken: "A" });
      const failure = await failedCreate(news);
      assert.equal(failure.properties?.status, "unverified");
      recover();
      const next = await engine.update(d.id, failure.properties!, news);
      assert.equal(accepted(), 1, "sent once more, since the device shows no rotation");
      assert.equal(next.outs.status, "requested");
    });
  });

  it("delete sends nothing", async () => {
    const d = windowsDevice();
    const { id, outs } = await create({ managedDeviceId: d.id, rotationToken: "A" });
    tenant.log.clear();
    await engine.delete(id, outs as unknown as Props);
    assert.equal(tenant.log.count(), 0);
  });
});
