// The simulated directory audit log: `Read BitLocker key` events as Graph lists them, and the
// control call that reads a key as a person would.
import assert from "node:assert/strict";
import type { DirectoryAudit, SimulatedTenant } from "../../simulator/index";
import { call, getToken, startTenant } from "./helpers";

const AUDITS = "/v1.0/auditLogs/directoryAudits";
const FILTER = (since: string) =>
  `$filter=${encodeURIComponent(`activityDisplayName eq 'Read BitLocker key' and activityDateTime ge ${since}`)}`;

describe("simulator: directory audit (Read BitLocker key)", () => {
  let tenant: SimulatedTenant;
  let token: string;
  let deviceId: string;

  before(async () => {
    tenant = await startTenant({ fleet: false, checkInDelayMs: null, auditPageSize: 2 });
    deviceId = tenant.addDevice({ isEncrypted: true, joinType: "azureADJoined" }).id;
    token = await getToken(tenant);
  });
  after(() => tenant?.close());

  it("a read through the control API becomes an event in the documented shape", async () => {
    const res = await fetch(`${tenant.url}/_sim/recovery-keys/read`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ deviceId, userPrincipalName: "carol@contoso.example" }),
    });
    assert.equal(res.status, 201);
    const event = (await res.json()) as DirectoryAudit;
    const [key] = tenant.recoveryKeys(deviceId);
    assert.equal(event.activityDisplayName, "Read BitLocker key");
    assert.equal(event.targetResources[0]?.displayName, key!.id);
    assert.equal(event.initiatedBy.user?.userPrincipalName, "carol@contoso.example");

    const listed = await call(tenant, token, `${AUDITS}?${FILTER("2020-01-01T00:00:00Z")}`);
    assert.equal(listed.status, 200);
    assert.deepEqual(
      (listed.body as { value: { id: string }[] }).value.map((e) => e.id),
      [event.id],
    );
  });

  it("filters on time (ge and gt), pages newest first, and refuses other filters", async () => {
    const t0 = Date.parse("2026-11-01T00:00:00Z");
    for (let i = 0; i < 5; i++)
      tenant.readRecoveryKey({ deviceId, at: new Date(t0 + i * 60_000).toISOString() });
    const seen: string[] = [];
    let url: string | undefined = `${AUDITS}?${FILTER("2026-11-01T00:01:00Z")}`;
    let pages = 0;
    while (url) {
      const page = await call(tenant, token, url);
      const body = page.body as {
        value: { activityDateTime: string }[];
        "@odata.nextLink"?: string;
      };
      seen.push(
        ...body.value.map((e) => e.activityDateTime).filter((t) => t.startsWith("2026-11-01")),
      );
      url = body["@odata.nextLink"];
      pages++;
    }
    assert.deepEqual(seen, [
      "2026-11-01T00:04:00.000Z",
      "2026-11-01T00:03:00.000Z",
      "2026-11-01T00:02:00.000Z",
      "2026-11-01T00:01:00.000Z",
    ]);
    assert.ok(pages >= 3, "pages of 2");
    const gt = await call(
      tenant,
      token,
      `${AUDITS}?$filter=${encodeURIComponent("activityDateTime gt 2026-11-01T00:03:00Z and activityDisplayName eq 'Read BitLocker key'")}&$top=50`,
    );
    assert.ok(
      (gt.body as { value: { activityDateTime: string }[] }).value.every(
        (e) => e.activityDateTime > "2026-11-01T00:03:00.000Z",
      ),
    );
    const bad = await call(
      tenant,
      token,
      `${AUDITS}?$filter=${encodeURIComponent("category eq 'Device'")}`,
    );
    assert.equal(bad.status, 400);
  });

  it("lists an event only after the delay, and not beyond the retention", async () => {
    tenant.setAuditDelay(3_600_000);
    const late = tenant.readRecoveryKey({ deviceId });
    const ids = async () =>
      (
        (await call(tenant, token, `${AUDITS}?$top=999`)).body as { value: { id: string }[] }
      ).value.map((e) => e.id);
    assert.ok(!(await ids()).includes(late.id));
    tenant.setAuditDelay(0);
    assert.ok((await ids()).includes(late.id));
    const old = tenant.readRecoveryKey({
      deviceId,
      at: new Date(Date.now() - 31 * 86_400_000).toISOString(),
    });
    assert.ok(!(await ids()).includes(old.id), "older than 30 days");
    assert.equal(
      tenant.auditEvents().filter((e) => e.id === old.id).length,
      1,
      "recorded all the same",
    );
  });

  it("needs AuditLog.Read.All: 403 Authorization_RequestDenied otherwise", async () => {
    const app = tenant.registerApp({ roles: ["BitlockerKey.ReadBasic.All"], clientSecret: "s" });
    const other = await getToken(tenant, { clientId: app.clientId, clientSecret: "s" });
    const res = await call(tenant, other, AUDITS);
    assert.equal(res.status, 403);
    assert.equal(
      (res.body as { error: { code: string } }).error.code,
      "Authorization_RequestDenied",
    );
  });

  it("a Graph read of a key ($select=key) is audited as the app's read", async () => {
    const [key] = tenant.recoveryKeys(deviceId);
    const before = tenant.auditEvents().length;
    const res = await call(
      tenant,
      token,
      `/v1.0/informationProtection/bitlocker/recoveryKeys/${key!.id}?$select=key`,
    );
    assert.equal(res.status, 501, "the simulator holds no key material");
    const events = tenant.auditEvents();
    assert.equal(events.length, before + 1);
    assert.equal(events.at(-1)?.initiatedBy.app?.appId, tenant.defaultApp.clientId);
  });
});
