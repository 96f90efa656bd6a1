// The control API under /_sim/, as another process would use it.
import assert from "node:assert/strict";
import type { SimulatedTenant } from "../../simulator/index";
import { call, getToken, rotatePath, startTenant } from "./helpers";

describe("simulator: control API", () => {
  let tenant: SimulatedTenant;

  before(async () => {
    tenant = await startTenant({ fleet: { size: 20 }, checkInDelayMs: null });
  });
  after(() => tenant?.close());

  async function control(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${tenant.url}/_sim${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  it("tells what a client needs to connect", async () => {
    const info = await control("GET", "/info");
    assert.deepEqual(info.body, {
      url: tenant.url,
      authorityHost: tenant.url,
      graphScope: `${tenant.url}/.default`,
      tenantId: tenant.tenantId,
      clientId: tenant.defaultApp.clientId,
      clientSecret: tenant.defaultApp.clientSecret,
      caCertPath: tenant.caCertPath,
      timeScale: 1,
    });
  });

  it("log, count and reset; check-in; device inspection and changes", async () => {
    const token = await getToken(tenant);
    const id = tenant.listDevices({ profile: "healthy" })[0]?.id as string;
    await control("DELETE", "/log");
    await call(tenant, token, rotatePath(id), { method: "POST" });
    const count = await control(
      "GET",
      `/log/count?method=POST&pathMatches=${encodeURIComponent("rotateBitLockerKeys$")}`,
    );
    assert.deepEqual(count.body, { count: 1 });
    const entries = (await control("GET", "/log?status=204")).body as {
      entries: { path: string }[];
    };
    assert.deepEqual(
      entries.entries.map((e) => e.path),
      [rotatePath(id)],
    );

    assert.deepEqual((await control("GET", "/rotations/pending")).body, { ids: [id] });
    assert.deepEqual((await control("POST", "/check-in", { ids: [id] })).body, { checkedIn: 1 });
    const info = (await control("GET", `/devices/${id}/info`)).body as {
      pending: boolean;
      device: { deviceActionResults: { actionState: string }[] };
    };
    assert.equal(info.pending, false);
    assert.ok(info.device.deviceActionResults.some((r) => r.actionState === "done"));
    const keys = (await control("GET", `/devices/${id}/recovery-keys`)).body as {
      value: unknown[];
    };
    assert.equal(keys.value.length, 2);

    const patched = await control("PATCH", `/devices/${id}`, {
      osVersion: "10.0.17763.1",
      outcome: { state: "offline" },
    });
    assert.equal((patched.body as { osVersion: string }).osVersion, "10.0.17763.1");
    assert.deepEqual(tenant.deviceInfo(id)?.outcome, { state: "offline" });

    const added = await control("POST", "/devices", { deviceName: "KIOSK-01", recoveryKeys: 3 });
    assert.equal(added.status, 201);
    const newId = (added.body as { id: string }).id;
    assert.equal(tenant.getDevice(newId)?.deviceName, "KIOSK-01");
    assert.equal(tenant.recoveryKeys(newId).length, 3);
    assert.equal((await control("DELETE", `/devices/${newId}`)).status, 204);
    assert.equal((await control("GET", `/devices/${newId}`)).status, 404);
    assert.equal((await control("DELETE", "/log")).status, 204);
    assert.equal(tenant.log.size, 0);
  });

  it("faults, apps, settings and throttle from another process", async () => {
    const token = await getToken(tenant);
    const added = await control("POST", "/faults", {
      path: "managedDevices$",
      kind: "503",
      count: 1,
    });
    assert.equal(added.status, 201);
    assert.equal((await call(tenant, token, "/beta/deviceManagement/managedDevices")).status, 503);
    assert.equal((await call(tenant, token, "/beta/deviceManagement/managedDevices")).status, 200);
    const listed = (await control("GET", "/faults")).body as {
      faults: { id: string; hits: number; path: string }[];
    };
    assert.deepEqual(
      listed.faults.map((f) => [f.path, f.hits]),
      [["managedDevices$", 1]],
    );
    assert.equal((await control("DELETE", `/faults/${listed.faults[0]?.id}`)).status, 204);
    assert.deepEqual(tenant.faults(), []);

    const app = (await control("POST", "/apps", { roles: [] })).body as {
      clientId: string;
      clientSecret: string;
    };
    const appToken = await getToken(tenant, app);
    assert.equal(
      (await call(tenant, appToken, "/beta/deviceManagement/managedDevices")).status,
      403,
    );

    assert.equal((await control("PATCH", "/settings", { tokenLifetimeSeconds: 120 })).status, 204);
    const r = await fetch(`${tenant.url}/${tenant.tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: app.clientId,
        client_secret: app.clientSecret,
        scope: tenant.graphScope,
      }),
    });
    assert.equal(((await r.json()) as { expires_in: number }).expires_in, 120);

    assert.equal(
      (await control("PUT", "/throttle", { limits: { appAll: 1 }, timeScale: 1 })).status,
      204,
    );
    assert.equal(
      (await call(tenant, token, "/beta/deviceManagement/managedDevices?$top=1")).status,
      200,
    );
    assert.equal(
      (await call(tenant, token, "/beta/deviceManagement/managedDevices?$top=1")).status,
      429,
    );
    assert.equal((await control("POST", "/throttle/reset")).status, 204);
    assert.equal(
      (await call(tenant, token, "/beta/deviceManagement/managedDevices?$top=1")).status,
      200,
    );
    await control("PUT", "/throttle", { limits: null });
    assert.equal((await control("GET", "/nothing-here")).status, 404);
  });
});
