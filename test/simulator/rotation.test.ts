// rotateBitLockerKeys: 204, pending, check-in, done with a new recovery-key entry — or
// failed with the device's HRESULT, notSupported, or never (offline).
import assert from "node:assert/strict";
import {
  ROTATE_ACTION_ODATA_TYPE,
  type ManagedDevice,
  type RecoveryKeyInfo,
} from "../../provider/graph/types";
import { ERROR_CODES, hresultToInt32, type SimulatedTenant } from "../../simulator/index";
import { call, errorOf, getToken, rotatePath, startTenant } from "./helpers";

interface KeyPage {
  value: RecoveryKeyInfo[];
  "@odata.nextLink"?: string;
}

describe("simulator: rotateBitLockerKeys", () => {
  let tenant: SimulatedTenant;
  let token: string;
  /** The devices' clock: this machine's, unless a test pins it to exact instants. */
  let pinned: number | undefined;

  before(async () => {
    tenant = await startTenant({
      fleet: { size: 40 },
      checkInDelayMs: null,
      deviceClock: () => pinned ?? Date.now(),
    });
    token = await getToken(tenant);
  });
  after(() => tenant?.close());

  const first = (profile: string): ManagedDevice => {
    const d = tenant.listDevices({ profile })[0];
    assert.ok(d, `a ${profile} device`);
    return d;
  };

  async function rotationOf(id: string, collection = "managedDevices") {
    const c = await call(
      tenant,
      token,
      `/beta/deviceManagement/${collection}/${id}?$select=deviceActionResults`,
    );
    return (c.body as ManagedDevice).deviceActionResults?.find(
      (r) => r["@odata.type"] === ROTATE_ACTION_ODATA_TYPE,
    );
  }

  async function keysOf(entraId: string): Promise<RecoveryKeyInfo[]> {
    const c = await call(
      tenant,
      token,
      `/v1.0/informationProtection/bitlocker/recoveryKeys?$filter=deviceId eq '${entraId}'`,
    );
    assert.equal(c.status, 200, JSON.stringify(c.body));
    return (c.body as KeyPage).value;
  }

  it("204 No Content, then pending until the device checks in, then done with a new key", async () => {
    const device = first("healthy");
    const keysBefore = await keysOf(device.azureADDeviceId);
    assert.equal(keysBefore.length, 1, "the fleet seeds one key per device");
    const requestedAt = Date.now();
    const c = await call(tenant, token, rotatePath(device.id), { method: "POST" });
    assert.equal(c.status, 204);
    assert.equal(c.body, undefined);

    const pending = await rotationOf(device.id);
    assert.equal(pending?.actionState, "pending");
    assert.ok(Date.parse(pending.startDateTime) >= requestedAt - 5);
    assert.equal((await keysOf(device.azureADDeviceId)).length, 1, "no escrow before check-in");

    assert.equal(tenant.checkIn([device.id]), 1);
    const done = await rotationOf(device.id);
    assert.equal(done?.actionState, "done");
    assert.equal(done.startDateTime, pending.startDateTime);
    assert.equal(done.errorCode, 0);
    const keys = await keysOf(device.azureADDeviceId);
    assert.equal(keys.length, 2);
    const added = keys.find((k) => !keysBefore.some((b) => b.id === k.id)) as RecoveryKeyInfo;
    assert.deepEqual(Object.keys(added).sort(), [
      "createdDateTime",
      "deviceId",
      "id",
      "volumeType",
    ]);
    assert.equal(added.deviceId, device.azureADDeviceId);
    assert.equal(added.volumeType, "1");
    assert.ok(Date.parse(added.createdDateTime) >= requestedAt);
  });

  it("a second request re-opens the action with a later startDateTime", async () => {
    const device = tenant.listDevices({ profile: "healthy" })[1] as ManagedDevice;
    // A pinned device clock: the second request is exactly 1 s after the first, on any machine.
    const t0 = Date.now();
    pinned = t0;
    let firstStart: string | undefined;
    try {
      await call(tenant, token, rotatePath(device.id), { method: "POST" });
      firstStart = (await rotationOf(device.id))?.startDateTime;
      pinned = t0 + 1000;
      await call(tenant, token, rotatePath(device.id), { method: "POST" });
    } finally {
      pinned = undefined;
    }
    const again = await rotationOf(device.id);
    assert.equal(firstStart, new Date(t0).toISOString());
    assert.equal(again?.actionState, "pending");
    assert.equal(again.startDateTime, new Date(t0 + 1000).toISOString(), "re-opened, later");
    assert.equal(
      tenant
        .deviceInfo(device.id)
        ?.device.deviceActionResults.filter((r) => r["@odata.type"] === ROTATE_ACTION_ODATA_TYPE)
        .length,
      1,
    );
  });

  it("checks in by itself after the configured delay", async () => {
    const [a, b] = tenant.listDevices({ profile: "healthy" }).slice(2, 4) as ManagedDevice[];
    // A pinned device clock: pending until exactly the delay has passed, done from then on,
    // however long the requests themselves take on a loaded machine.
    const t0 = Date.now();
    pinned = t0;
    tenant.setCheckInDelay(1500);
    try {
      await call(tenant, token, rotatePath(a!.id), { method: "POST" });
      assert.equal((await rotationOf(a!.id))?.actionState, "pending");
      pinned = t0 + 1499;
      assert.equal((await rotationOf(a!.id))?.actionState, "pending", "not before the delay");
      // First looked at well after the check-in: dated when the device checked in.
      pinned = t0 + 1750;
      const done = await rotationOf(a!.id);
      assert.equal(done?.actionState, "done");
      assert.equal(done.startDateTime, new Date(t0).toISOString());
      assert.equal(done.lastUpdatedDateTime, new Date(t0 + 1500).toISOString());
      // A later look shows the same.
      pinned = t0 + 60_000;
      await call(tenant, token, `/beta/deviceManagement/managedDevices/${a!.id}`);
      assert.equal((await rotationOf(a!.id))?.lastUpdatedDateTime, done.lastUpdatedDateTime);

      // At exactly the delay, the device has checked in.
      const t1 = pinned;
      await call(tenant, token, rotatePath(b!.id), { method: "POST" });
      pinned = t1 + 1500;
      assert.equal((await rotationOf(b!.id))?.actionState, "done", "done at the delay");
    } finally {
      pinned = undefined;
      tenant.setCheckInDelay(null);
    }
  });

  it("fails with the device's errorCode as a signed Int32 HRESULT", async () => {
    const device = tenant.addDevice({
      outcome: { state: "failed", errorCode: hresultToInt32(0x80310008) },
    });
    await call(tenant, token, rotatePath(device.id), { method: "POST" });
    tenant.checkIn();
    const failed = await rotationOf(device.id);
    assert.equal(failed?.actionState, "failed");
    assert.equal(failed.errorCode, -2144272376);

    const fleetFailing = first("failing");
    await call(tenant, token, rotatePath(fleetFailing.id), { method: "POST" });
    tenant.checkIn([fleetFailing.id]);
    assert.equal((await rotationOf(fleetFailing.id))?.errorCode, ERROR_CODES.backupBusy);
  });

  it("devices that cannot rotate answer by their facts: notSupported, failed, or 400", async () => {
    for (const profile of ["oldBuild", "multiSession", "registered"]) {
      const d = first(profile);
      assert.equal(
        (await call(tenant, token, rotatePath(d.id), { method: "POST" })).status,
        204,
        profile,
      );
      tenant.checkIn([d.id]);
      assert.equal((await rotationOf(d.id))?.actionState, "notSupported", profile);
    }
    const unencrypted = first("notEncrypted");
    await call(tenant, token, rotatePath(unencrypted.id), { method: "POST" });
    tenant.checkIn([unencrypted.id]);
    assert.equal((await rotationOf(unencrypted.id))?.errorCode, ERROR_CODES.notEncrypted);

    const mac = first("notWindows");
    const refused = await call(tenant, token, rotatePath(mac.id), { method: "POST" });
    assert.equal(refused.status, 400);
    assert.equal(errorOf(refused).code, "BadRequest");
    assert.equal(tenant.deviceInfo(mac.id)?.pending, false);
  });

  it("an offline device stays pending, even when told to check in", async () => {
    const d = first("offline");
    await call(tenant, token, rotatePath(d.id), { method: "POST" });
    assert.equal(tenant.checkIn([d.id]), 0);
    assert.equal((await rotationOf(d.id))?.actionState, "pending");
    assert.ok(tenant.pendingRotations().includes(d.id));
  });

  it("404 for an unknown device; co-managed devices under both collections", async () => {
    const unknown = await call(tenant, token, rotatePath("3f0f0f0f-0000-4000-8000-000000000000"), {
      method: "POST",
    });
    assert.equal(unknown.status, 404);
    assert.equal(errorOf(unknown).code, "ResourceNotFound");
    const co = first("coManaged");
    assert.equal(
      (await call(tenant, token, rotatePath(co.id, "comanagedDevices"), { method: "POST" })).status,
      204,
    );
    assert.equal((await rotationOf(co.id, "comanagedDevices"))?.actionState, "pending");
    const plain = tenant.listDevices({ profile: "healthy" })[3] as ManagedDevice;
    assert.equal(
      (await call(tenant, token, rotatePath(plain.id, "comanagedDevices"), { method: "POST" }))
        .status,
      404,
    );
  });

  it("coManagedUnderManagedDevices 'reject' refuses a co-managed device under /managedDevices", async () => {
    const strict = await startTenant({ coManagedUnderManagedDevices: "reject", port: 0 });
    try {
      const t = await getToken(strict);
      const co = strict.listDevices({ profile: "coManaged" })[0] as ManagedDevice;
      const refused = await call(strict, t, rotatePath(co.id), { method: "POST" });
      assert.equal(refused.status, 400);
      assert.match(JSON.parse(errorOf(refused).message).Message, /comanagedDevices/);
      assert.equal(
        (await call(strict, t, rotatePath(co.id, "comanagedDevices"), { method: "POST" })).status,
        204,
      );
    } finally {
      await strict.close();
    }
  });

  it("at the 200-key cap the rotation fails and no key is added", async () => {
    const device = tenant.addDevice({ recoveryKeys: 200 });
    await call(tenant, token, rotatePath(device.id), { method: "POST" });
    tenant.checkIn([device.id]);
    const r = await rotationOf(device.id);
    assert.equal(r?.actionState, "failed");
    assert.equal(r.errorCode, ERROR_CODES.keyCapReached);
    assert.equal(tenant.recoveryKeys(device.id).length, 200);
  });

  describe("recovery keys", () => {
    it("pages with an absolute nextLink; every entry once", async () => {
      const device = tenant.addDevice({ recoveryKeys: 199 });
      const seen: RecoveryKeyInfo[] = [];
      let next: string | undefined =
        `/v1.0/informationProtection/bitlocker/recoveryKeys?$filter=deviceId eq '${device.azureADDeviceId}'`;
      let pages = 0;
      while (next) {
        const c = await call(tenant, token, next);
        const page = c.body as KeyPage;
        seen.push(...page.value);
        next = page["@odata.nextLink"];
        if (next)
          assert.ok(
            next.startsWith(`${tenant.url}/v1.0/informationProtection/bitlocker/recoveryKeys?`),
          );
        pages++;
      }
      assert.equal(pages, 2);
      assert.equal(new Set(seen.map((k) => k.id)).size, 199);
      assert.ok(seen.every((k) => k.deviceId === device.azureADDeviceId));
    });

    it("$top is refused, a User-Agent is required, and no key value is ever served", async () => {
      const device = first("healthy");
      const base = `/v1.0/informationProtection/bitlocker/recoveryKeys?$filter=deviceId eq '${device.azureADDeviceId}'`;
      assert.equal((await call(tenant, token, `${base}&$top=5`)).status, 400);
      const res = await fetch(`${tenant.url}${base}`, {
        headers: { authorization: `Bearer ${token}`, "user-agent": "" },
      });
      assert.equal(res.status, 400);
      const keys = (await call(tenant, token, base)).body as KeyPage;
      const keyId = keys.value[0]?.id as string;
      const one = await call(
        tenant,
        token,
        `/v1.0/informationProtection/bitlocker/recoveryKeys/${keyId}`,
      );
      assert.equal(one.status, 200);
      assert.equal("key" in (one.body as object), false);
      const withKey = await call(
        tenant,
        token,
        `/v1.0/informationProtection/bitlocker/recoveryKeys/${keyId}?$select=key`,
      );
      assert.notEqual(withKey.status, 200);
    });
  });
});
