// The seeded fleet: deterministic, with each unusual kind of device present and as described.
import assert from "node:assert/strict";
import { ERROR_CODES, NIL_GUID, type SimulatedTenant } from "../../simulator/index";
import { startTenant } from "./helpers";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("simulator: seeded fleet", () => {
  let tenant: SimulatedTenant;

  before(async () => {
    tenant = await startTenant({ seed: "fleet-a", fleet: { size: 400, recoveryKeysPerDevice: 3 } });
  });
  after(() => tenant?.close());

  it("the same seed gives the same tenant, app and devices; another seed does not", async () => {
    const same = await startTenant({
      seed: "fleet-a",
      fleet: { size: 400, recoveryKeysPerDevice: 3 },
      port: 0,
    });
    const other = await startTenant({ seed: "fleet-b", fleet: { size: 400 }, port: 0 });
    try {
      assert.equal(same.tenantId, tenant.tenantId);
      assert.deepEqual(same.defaultApp, tenant.defaultApp);
      assert.deepEqual(
        same.listDevices().map((d) => [d.id, d.azureADDeviceId, d.deviceName, d.osVersion]),
        tenant.listDevices().map((d) => [d.id, d.azureADDeviceId, d.deviceName, d.osVersion]),
      );
      assert.notEqual(other.tenantId, tenant.tenantId);
      assert.notEqual(other.listDevices()[0]?.id, tenant.listDevices()[0]?.id);
    } finally {
      await same.close();
      await other.close();
    }
  });

  it("ids are GUIDs, unique, and the Intune id differs from the Entra device id", () => {
    const devices = tenant.listDevices();
    assert.equal(devices.length, 400);
    assert.match(tenant.tenantId, GUID);
    assert.equal(new Set(devices.map((d) => d.id)).size, 400);
    for (const d of devices) {
      assert.match(d.id, GUID);
      assert.notEqual(d.id, d.azureADDeviceId);
    }
  });

  it("mixes operating systems and every unusual profile, each as its facts say", () => {
    const os = new Set(tenant.listDevices().map((d) => d.operatingSystem));
    assert.deepEqual([...os].sort(), ["Android", "Windows", "iOS", "macOS"]);
    const of = (profile: string) => {
      const list = tenant.listDevices({ profile });
      assert.ok(list.length > 0, profile);
      return list;
    };
    const build = (v: string) => Number(v.split(".")[2]);
    assert.ok(of("oldBuild").every((d) => build(d.osVersion) < 18363));
    assert.ok(
      of("healthy").every(
        (d) => build(d.osVersion) >= 18363 && d.isEncrypted && d.skuFamily === "Enterprise",
      ),
    );
    assert.ok(
      of("healthy").every(
        (d) => d.joinType === "azureADJoined" || d.joinType === "hybridAzureADJoined",
      ),
    );
    assert.ok(of("registered").every((d) => d.joinType === "azureADRegistered"));
    assert.ok(of("notEncrypted").every((d) => d.isEncrypted === false));
    assert.ok(of("coManaged").every((d) => d.managementAgent === "configurationManagerClientMdm"));
    assert.ok(of("multiSession").every((d) => d.skuFamily === "EnterpriseMultiSession"));
    assert.ok(of("noEntraDevice").every((d) => d.azureADDeviceId === NIL_GUID));
    assert.ok(of("notWindows").every((d) => d.operatingSystem !== "Windows"));
    for (const d of of("offline"))
      assert.deepEqual(tenant.deviceInfo(d.id)?.outcome, { state: "offline" });
    for (const d of of("failing")) {
      assert.deepEqual(tenant.deviceInfo(d.id)?.outcome, {
        state: "failed",
        errorCode: ERROR_CODES.backupBusy,
      });
    }
    assert.ok(
      of("priorRotation").every((d) =>
        d.deviceActionResults?.some((r) => r.actionState === "done"),
      ),
    );
  });

  it("seeds recovery keys for Windows devices with an Entra object", () => {
    const healthy = tenant.listDevices({ profile: "healthy" })[0]?.id as string;
    assert.equal(tenant.recoveryKeys(healthy).length, 3);
    const keys = tenant.recoveryKeys(healthy);
    assert.ok(keys.every((k) => Date.parse(k.createdDateTime) < Date.now()));
    const mac = tenant.listDevices({ profile: "notWindows" })[0]?.id as string;
    assert.equal(tenant.recoveryKeys(mac).length, 0);
  });

  it("explicit devices keep the fields given and fill in the rest", async () => {
    const t = await startTenant({
      fleet: false,
      devices: [
        {
          deviceName: "LAB-01",
          osVersion: "10.0.18363.1",
          joinType: "hybridAzureADJoined",
          recoveryKeys: 0,
        },
        { operatingSystem: "iOS", osVersion: "17.0" },
      ],
      port: 0,
    });
    try {
      const [lab, phone] = t.listDevices();
      assert.equal(lab?.deviceName, "LAB-01");
      assert.equal(lab?.joinType, "hybridAzureADJoined");
      assert.equal(lab?.isEncrypted, true);
      assert.match(lab?.azureADDeviceId ?? "", GUID);
      assert.deepEqual(t.deviceInfo(lab?.id as string)?.outcome, { state: "done" });
      assert.equal(t.recoveryKeys(lab?.id as string).length, 0);
      assert.deepEqual(t.deviceInfo(phone?.id as string)?.outcome, { state: "notSupported" });
    } finally {
      await t.close();
    }
  });
});
