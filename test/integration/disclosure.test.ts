// selectDisclosedDevices against the simulated tenant over HTTPS: Entra's `Read BitLocker key`
// audit events → recovery key → managed device, with the real client and credential.
import assert from "node:assert/strict";
import { GraphClient, GraphError } from "../../provider/graph";
import { findDisclosedDevices } from "../../provider/query/selectDisclosedDevices";
import { ROLES, type SimulatedTenant } from "../../simulator/index";
import { addEligibleDevice, engineConfig, startTenant, tenantSettings } from "../support/tenant";

describe("integration: selectDisclosedDevices (who read which key)", function () {
  let tenant: SimulatedTenant;
  const clients: GraphClient[] = [];

  before(async () => {
    tenant = await startTenant({ auditPageSize: 3 });
  });
  after(async () => tenant.close());
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
  });

  function settings(app = tenant.defaultApp) {
    return tenantSettings(tenant, engineConfig(tenant, app));
  }

  async function query(
    q: Parameters<typeof findDisclosedDevices>[0] = {},
    app = tenant.defaultApp,
  ) {
    const s = settings(app);
    const client = new GraphClient({ settings: s });
    clients.push(client);
    return findDisclosedDevices(q, client, s);
  }

  it("returns exactly the devices whose key was read, with who and when, across pages", async () => {
    const devices = Array.from({ length: 5 }, (_, i) =>
      addEligibleDevice(tenant, { deviceName: `LAPTOP-D${i}` }),
    );
    const since = new Date(Date.now() - 1000);
    tenant.readRecoveryKey({ deviceId: devices[1]!.id, userPrincipalName: "bob@contoso.example" });
    tenant.readRecoveryKey({ deviceId: devices[3]!.id, userPrincipalName: "eve@contoso.example" });
    // More reads of one device than a page holds: paging must be followed.
    for (let i = 0; i < 4; i++)
      tenant.readRecoveryKey({
        deviceId: devices[3]!.id,
        userPrincipalName: `r${i}@contoso.example`,
        at: new Date(Date.now() - 500 + i).toISOString(),
      });
    tenant.log.clear();
    const result = await query({ since });

    assert.deepEqual(result.devices.map((d) => d.deviceName).sort(), ["LAPTOP-D1", "LAPTOP-D3"]);
    const d3 = result.devices.find((d) => d.id === devices[3]!.id)!;
    assert.equal(d3.reads.length, 5);
    const latest = tenant
      .auditEvents()
      .filter((e) => e.targetResources[0]?.id === devices[3]!.azureADDeviceId)
      .sort((a, b) => b.activityDateTime.localeCompare(a.activityDateTime))[0]!;
    assert.equal(d3.lastReadAt, latest.activityDateTime);
    assert.equal(d3.lastReadBy, latest.initiatedBy.user?.userPrincipalName);
    assert.equal(d3.token, `read ${latest.activityDateTime}`);
    assert.equal(result.unresolved.length, 0);

    const pages = tenant.log.entries({
      method: "GET",
      pathMatches: /\/auditLogs\/directoryAudits$/,
    });
    assert.equal(pages.length, 2, "6 events at 3 a page");
    assert.match(
      pages[0]!.query.$filter ?? "",
      /^activityDisplayName eq 'Read BitLocker key' and activityDateTime ge \d{4}-/,
    );
    // Device lookups go by azureADDeviceId inside $batch.
    const lookups = tenant.log.entries({
      method: "GET",
      inBatch: true,
      path: "/beta/deviceManagement/managedDevices",
    });
    assert.equal(lookups.length, 2);
  });

  it("reads before `since` are not returned; a read listed late shows up once it is listed", async () => {
    const d = addEligibleDevice(tenant, { deviceName: "LAPTOP-LATE" });
    const old = addEligibleDevice(tenant, { deviceName: "LAPTOP-OLD" });
    const since = new Date(Date.now() - 60_000);
    tenant.readRecoveryKey({ deviceId: old.id, at: new Date(Date.now() - 120_000).toISOString() });
    tenant.setAuditDelay(3_600_000);
    tenant.readRecoveryKey({ deviceId: d.id });
    try {
      assert.deepEqual(
        (await query({ since })).devices.map((x) => x.deviceName),
        [],
      );
      tenant.setAuditDelay(0);
      assert.deepEqual(
        (await query({ since })).devices.map((x) => x.deviceName).filter((n) => /LATE|OLD/.test(n)),
        ["LAPTOP-LATE"],
      );
    } finally {
      tenant.setAuditDelay(0);
    }
  });

  it("events older than the retention are not listed", async () => {
    const d = addEligibleDevice(tenant, { deviceName: "LAPTOP-AGED" });
    tenant.readRecoveryKey({
      deviceId: d.id,
      at: new Date(Date.now() - 2 * 86_400_000).toISOString(),
    });
    const names = async () => (await query()).devices.map((x) => x.deviceName);
    assert.ok((await names()).includes("LAPTOP-AGED"));
    tenant.setAuditRetentionDays(1);
    try {
      assert.ok(!(await names()).includes("LAPTOP-AGED"));
    } finally {
      tenant.setAuditRetentionDays(30);
    }
  });

  it("a key whose device left Intune is reported as unresolved, not rotated", async () => {
    const d = addEligibleDevice(tenant, { deviceName: "LAPTOP-GONE" });
    const since = new Date(Date.now() - 1000);
    const event = tenant.readRecoveryKey({ deviceId: d.id });
    tenant.removeDevice(d.id);
    const result = await query({ since });
    assert.ok(!result.devices.some((x) => x.id === d.id));
    const u = result.unresolved.find((x) => x.keyId === event.targetResources[0]!.displayName);
    assert.match(u?.reason ?? "", /no Intune managed device has azureADDeviceId/);
  });

  it("without AuditLog.Read.All the error names the permission", async () => {
    const app = tenant.registerApp({
      roles: [ROLES.managedDevicesRead, ROLES.bitlockerKeyReadBasic],
      clientSecret: "s3cret-audit",
    });
    await assert.rejects(
      query({}, { clientId: app.clientId, clientSecret: app.clientSecret! }),
      (err: unknown) => {
        assert.ok(err instanceof GraphError);
        assert.equal(err.status, 403);
        assert.match(err.message, /AuditLog\.Read\.All/);
        return true;
      },
    );
  });

  it("the query itself never reads a key: no `$select=key`, no audit event of its own", async () => {
    const d = addEligibleDevice(tenant, { deviceName: "LAPTOP-SELF" });
    tenant.readRecoveryKey({ deviceId: d.id });
    const before = tenant.auditEvents().length;
    tenant.log.clear();
    await query();
    await query();
    assert.equal(tenant.auditEvents().length, before, "no Read BitLocker key event from the query");
    const keyGets = tenant.log.entries({ pathMatches: /recoveryKeys/ });
    assert.ok(keyGets.length > 0);
    for (const e of keyGets) assert.ok(!/\bkey\b/.test(e.query.$select ?? ""), e.path);
  });
});
