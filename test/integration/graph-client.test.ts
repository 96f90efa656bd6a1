// The Graph client against the simulated tenant, over real HTTPS, with the real
// @azure/identity. Run with NODE_EXTRA_CA_CERTS=<repo>/.sim/ca.pem (the test falls back to
// adding the CA to this process's default trust store when it is not set).
import assert from "node:assert/strict";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { clearCredentialCache, createCredential } from "../../provider/auth/credential";
import type { Settings } from "../../provider/auth/settings";
import { GraphClient, type GraphClientOptions } from "../../provider/graph/client";
import { GraphError, OutcomeUnknownError } from "../../provider/graph/errors";
import { ROLES, type SimulatedTenant } from "../../simulator/index";
import { startTrustedTenant, tenantSettings } from "../support/tenant";

/** Settings of an app of the tenant (its client secret, if any), all from stack config. */
function settingsFor(
  tenant: SimulatedTenant,
  app: { clientId: string; clientSecret?: string },
  extra: Record<string, string> = {},
): Settings {
  return tenantSettings(tenant, {
    "bitlocker:tenantId": tenant.tenantId,
    "bitlocker:clientId": app.clientId,
    "bitlocker:clientSecret": app.clientSecret,
    ...extra,
  });
}

const rotatePath = (id: string) =>
  `/beta/deviceManagement/managedDevices/${id}/rotateBitLockerKeys`;
const escape = (s: string) => s.replace(/[$/]/g, (c) => `\\${c}`);

describe("integration: Graph client against the simulated tenant", function () {
  this.timeout(60_000);
  let tenant: SimulatedTenant;
  let settings: Settings;
  let client: GraphClient;
  const clients: GraphClient[] = [];
  /** A client with the default app; fast retries unless told otherwise. */
  const newClient = (
    options: Partial<GraphClientOptions> = {},
    extra: Record<string, string> = {},
  ) => {
    const c = new GraphClient({
      settings: settingsFor(tenant, tenant.defaultApp, extra),
      retry: { minDelayMs: 20, maxDelayMs: 200 },
      ...options,
    });
    clients.push(c);
    return c;
  };
  /** A healthy Windows device of the fleet. */
  const windowsDevice = () => {
    const d = tenant.listDevices({ profile: "healthy" })[0] ?? tenant.addDevice({});
    return d;
  };

  before(async () => {
    tenant = await startTrustedTenant({
      fleet: { size: 12 },
      checkInDelayMs: null,
      throttle: false,
      managedDevicesPageSize: 5,
      recoveryKeysPageSize: 2,
    });
    settings = settingsFor(tenant, tenant.defaultApp);
    client = new GraphClient({ settings });
    clients.push(client);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await tenant?.close();
    clearCredentialCache();
  });

  beforeEach(() => {
    tenant.clearFaults();
    tenant.log.clear();
  });

  it("gets a device", async () => {
    const sim = windowsDevice();
    const d = await client.getManagedDevice(sim.id);
    assert.equal(d.id, sim.id);
    assert.equal(d.azureADDeviceId, sim.azureADDeviceId);
    const [entry] = tenant.log.entries({
      method: "GET",
      pathMatches: escape(`/beta/deviceManagement/managedDevices/${sim.id}`),
    });
    assert.match(entry!.userAgent ?? "", /^pulumi-intune-bitlocker\/\d+\.\d+\.\d+ node\//);
    assert.match(entry!.clientRequestId, /^[0-9a-f-]{36}$/);
  });

  it("lists every device across pages (nextLink followed verbatim)", async () => {
    const ids: string[] = [];
    for await (const d of client.listManagedDevices({ select: ["id", "deviceName"] }))
      ids.push(d.id);
    assert.deepEqual(
      ids.sort(),
      tenant
        .listDevices()
        .map((d) => d.id)
        .sort(),
    );
    assert.ok(
      tenant.log.count({ method: "GET", path: "/beta/deviceManagement/managedDevices" }) >= 3,
    );
  });

  it("filters with one eq", async () => {
    const windows: string[] = [];
    for await (const d of client.listManagedDevices({
      filter: { property: "operatingSystem", value: "Windows" },
    })) {
      windows.push(d.operatingSystem);
    }
    assert.ok(windows.length > 0);
    assert.ok(windows.every((os) => os === "Windows"));
  });

  it("rotates (204) and the new recovery key shows after check-in", async () => {
    const sim = windowsDevice();
    const before = await client.listRecoveryKeys(sim.azureADDeviceId);
    const r = await client.rotateBitLockerKeys(sim.id, "managedDevices");
    assert.ok(r.requestId, "request-id kept");
    assert.equal(
      tenant.log.entries({ method: "POST", path: rotatePath(sim.id) })[0]!.requestId,
      r.requestId,
    );
    assert.equal(tenant.log.entries({ method: "POST", path: rotatePath(sim.id) })[0]!.status, 204);
    tenant.checkIn([sim.id]);
    const after = await client.listRecoveryKeys(sim.azureADDeviceId);
    assert.equal(after.length, before.length + 1);
    assert.ok(after.some((k) => Date.parse(k.createdDateTime) >= r.sentAt.getTime() - 1000));
    for (const k of after)
      assert.deepEqual(Object.keys(k).sort(), ["createdDateTime", "deviceId", "id", "volumeType"]);
    for (const e of tenant.log.entries({
      path: "/v1.0/informationProtection/bitlocker/recoveryKeys",
    })) {
      assert.ok(!("$select" in e.query), "never asks for $select (key)");
    }
  });

  it("batches GETs and POSTs", async () => {
    const [a, b] = tenant.listDevices({ profile: "healthy" });
    const out = await client.batch([
      { id: "get", method: "GET", url: `/deviceManagement/managedDevices/${a!.id}?$select=id` },
      {
        id: "rotate",
        method: "POST",
        url: `/deviceManagement/managedDevices/${b!.id}/rotateBitLockerKeys`,
      },
    ]);
    assert.deepEqual(
      out.map((r) => [r.id, r.status]),
      [
        ["get", 200],
        ["rotate", 204],
      ],
    );
    assert.equal(tenant.log.count({ method: "POST", path: "/beta/$batch" }), 1);
  });

  it("404 → GraphError ResourceNotFound naming the device", async () => {
    const missing = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9";
    await assert.rejects(client.getManagedDevice(missing), (err: GraphError) => {
      assert.equal(err.status, 404);
      assert.equal(err.code, "ResourceNotFound");
      assert.equal(err.deviceId, missing);
      assert.ok(err.requestId);
      assert.match(
        err.message,
        new RegExp(
          `^device ${missing}: Graph 404 Not Found \\(request-id .*\\): the device does not exist in this tenant \\(deleted or wrong id\\)`,
        ),
      );
      return true;
    });
  });

  it("403 names the permission the app lacks", async () => {
    const readOnly = tenant.registerApp({
      roles: [ROLES.managedDevicesRead],
      clientSecret: "read-only-secret-1234",
    });
    const c = new GraphClient({ settings: settingsFor(tenant, readOnly) });
    clients.push(c);
    const sim = windowsDevice();
    await c.getManagedDevice(sim.id);
    await assert.rejects(c.rotateBitLockerKeys(sim.id, "managedDevices"), (err: GraphError) => {
      assert.equal(err.status, 403);
      assert.ok(!(err instanceof OutcomeUnknownError));
      assert.match(
        err.message,
        /Graph 403 Forbidden \(request-id .*\): the app lacks a permission\. .*Application must have one of the following scopes: .*DeviceManagementManagedDevices\.ReadWrite\.All/,
      );
      assert.match(
        err.message,
        /Grant DeviceManagementManagedDevices\.ReadWrite\.All \(application\) and admin-consent it\.$/,
      );
      assert.ok(!err.message.includes("Operation ID"));
      return true;
    });
    await assert.rejects(c.listRecoveryKeys(sim.azureADDeviceId), (err: GraphError) => {
      assert.equal(err.status, 403);
      assert.match(err.message, /Grant BitlockerKey\.ReadBasic\.All \(application\)/);
      return true;
    });
    assert.equal(
      tenant.log.count({ method: "POST", path: rotatePath(sim.id) }),
      1,
      "a 403 is not retried",
    );
  });

  it("a 401 renews the token once (bypassing the cache) and re-sends", async () => {
    // A token Graph will reject, as if the cache held a revoked one; the renewal goes to
    // Entra ID through a new credential instance (createUncachedCredential).
    const real = createCredential(settings);
    let handedOut = 0;
    const stale: TokenCredential = {
      async getToken(scopes): Promise<AccessToken> {
        handedOut += 1;
        const t = await real.getToken(scopes);
        if (!t) throw new Error("no token");
        return { ...t, token: `${t.token.slice(0, -4)}AAAA` };
      },
    };
    const c = newClient({ credential: stale });
    tenant.log.clear();
    const sim = windowsDevice();
    const r = await c.rotateBitLockerKeys(sim.id, "managedDevices");
    const posts = tenant.log.entries({ method: "POST", path: rotatePath(sim.id) });
    assert.deepEqual(
      posts.map((p) => p.status),
      [401, 204],
    );
    assert.equal(posts[0]!.clientRequestId, r.clientRequestId);
    assert.equal(handedOut, 1);
    assert.equal(
      tenant.log.count({ method: "POST", pathMatches: "/oauth2/v2.0/token$" }),
      1,
      "one new token from Entra ID",
    );
    assert.equal(c.stats().tokenRenewals, 1);
  });

  it("a 429 is retried after Retry-After (fractional seconds)", async () => {
    const c = newClient();
    const sim = windowsDevice();
    tenant.addFault({
      method: "POST",
      path: escape(rotatePath(sim.id)),
      kind: "429",
      count: 1,
      retryAfterSeconds: 0.6,
    });
    const started = Date.now();
    await c.rotateBitLockerKeys(sim.id, "managedDevices");
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 550, `waited ${elapsed} ms`);
    assert.ok(elapsed < 5_000, `waited ${elapsed} ms`);
    const posts = tenant.log.entries({ method: "POST", path: rotatePath(sim.id) });
    assert.deepEqual(
      posts.map((p) => p.status),
      [429, 204],
    );
    assert.equal(posts[0]!.clientRequestId, posts[1]!.clientRequestId);
    assert.deepEqual(c.stats(), { requests: 2, retries: 1, throttled: 1, tokenRenewals: 0 });
  });

  it("a 429 with an HTTP-date Retry-After is honoured too", async () => {
    const c = newClient();
    const sim = windowsDevice();
    tenant.addFault({
      method: "GET",
      path: escape(`/beta/deviceManagement/managedDevices/${sim.id}`),
      kind: "429",
      count: 1,
      retryAfterSeconds: 1,
      retryAfterFormat: "http-date",
    });
    const started = Date.now();
    await c.getManagedDevice(sim.id);
    // An HTTP date has whole seconds: the wait is up to ~2 s.
    assert.ok(Date.now() - started < 3_500);
    assert.deepEqual(
      tenant.log
        .entries({ method: "GET", path: `/beta/deviceManagement/managedDevices/${sim.id}` })
        .map((e) => e.status),
      [429, 200],
    );
  });

  it("a 503 on a GET is retried with backoff when there is no Retry-After", async () => {
    const c = newClient();
    const sim = windowsDevice();
    tenant.addFault({
      method: "GET",
      path: escape(`/beta/deviceManagement/managedDevices/${sim.id}`),
      kind: "503",
      count: 2,
    });
    await c.getManagedDevice(sim.id);
    assert.equal(c.stats().retries, 2);
  });

  it("stops when the retry budget is exhausted, with a clear error", async () => {
    const c = newClient({}, { "bitlocker:retryBudgetSeconds": "2" });
    const sim = windowsDevice();
    tenant.addFault({
      method: "POST",
      path: escape(rotatePath(sim.id)),
      kind: "429",
      retryAfterSeconds: 0.8,
    });
    const started = Date.now();
    await assert.rejects(c.rotateBitLockerKeys(sim.id, "managedDevices"), (err: GraphError) => {
      assert.ok(!(err instanceof OutcomeUnknownError));
      assert.equal(err.status, 429);
      assert.equal(err.code, "TooManyRequests");
      assert.match(
        err.message,
        /Graph asked to wait 0\.8 s \(Retry-After\), more than the 0\.\d s left of the retry budget \(bitlocker:retryBudgetSeconds = 2 s\)/,
      );
      assert.match(err.message, /postShareOfLimit/);
      return true;
    });
    assert.ok(Date.now() - started < 4_000);
    // 0 s, 0.8 s, 1.6 s; a wait to 2.4 s would overrun the 2 s budget.
    assert.equal(tenant.log.count({ method: "POST", path: rotatePath(sim.id) }), 3);
  });

  it("stops after maxRetries", async () => {
    const c = newClient({}, { "bitlocker:maxRetries": "2" });
    const sim = windowsDevice();
    tenant.addFault({
      method: "GET",
      path: escape(`/beta/deviceManagement/managedDevices/${sim.id}`),
      kind: "503",
      retryAfterSeconds: 0.05,
    });
    await assert.rejects(
      c.getManagedDevice(sim.id),
      (err: GraphError) => err.status === 503 && /service trouble/.test(err.message),
    );
    assert.equal(
      tenant.log.count({ method: "GET", path: `/beta/deviceManagement/managedDevices/${sim.id}` }),
      3,
    );
  });

  it("a POST accepted then dropped is OutcomeUnknownError and is never re-sent", async () => {
    const c = newClient();
    const sim = windowsDevice();
    tenant.addFault({ method: "POST", path: escape(rotatePath(sim.id)), kind: "drop", count: 1 });
    const before = new Date();
    await assert.rejects(
      c.rotateBitLockerKeys(sim.id, "managedDevices"),
      (err: OutcomeUnknownError) => {
        assert.ok(err instanceof OutcomeUnknownError);
        assert.equal(err.deviceId, sim.id);
        assert.equal(err.operation, "rotateBitLockerKeys");
        assert.ok(err.sentAt.getTime() >= before.getTime() - 5);
        assert.match(err.clientRequestId ?? "", /^[0-9a-f-]{36}$/);
        assert.match(err.message, /deviceActionResults/);
        return true;
      },
    );
    assert.equal(
      tenant.log.count({ method: "POST", path: rotatePath(sim.id) }),
      1,
      "exactly one POST",
    );
    assert.ok(tenant.pendingRotations().includes(sim.id), "the simulator did act on it");
  });

  it("a POST reset by the server after sending is OutcomeUnknownError too (one POST)", async () => {
    const c = newClient();
    const sim = windowsDevice();
    tenant.addFault({ method: "POST", path: escape(rotatePath(sim.id)), kind: "reset", count: 1 });
    await assert.rejects(c.rotateBitLockerKeys(sim.id, "managedDevices"), OutcomeUnknownError);
    assert.equal(tenant.log.count({ method: "POST", path: rotatePath(sim.id) }), 1);
  });

  it("a POST that times out is OutcomeUnknownError (one POST)", async () => {
    const c = newClient({}, { "bitlocker:requestTimeoutSeconds": "1" });
    const sim = windowsDevice();
    tenant.addFault({
      method: "POST",
      path: escape(rotatePath(sim.id)),
      kind: "hang",
      count: 1,
      afterProcessing: true,
      ms: 5_000,
    });
    await assert.rejects(
      c.rotateBitLockerKeys(sim.id, "managedDevices"),
      (err: OutcomeUnknownError) => {
        assert.ok(err instanceof OutcomeUnknownError);
        assert.match(err.reason, /no answer within 1 s/);
        return true;
      },
    );
    assert.equal(tenant.log.count({ method: "POST", path: rotatePath(sim.id) }), 1);
  });

  it("a POST answered 504 is OutcomeUnknownError with its request-id (one POST)", async () => {
    const c = newClient();
    const sim = windowsDevice();
    tenant.addFault({
      method: "POST",
      path: escape(rotatePath(sim.id)),
      kind: "504",
      count: 1,
      afterProcessing: true,
    });
    await assert.rejects(
      c.rotateBitLockerKeys(sim.id, "managedDevices"),
      (err: OutcomeUnknownError) => {
        assert.ok(err instanceof OutcomeUnknownError);
        assert.equal(err.status, 504);
        assert.equal(err.requestIds.length, 1);
        assert.equal(
          err.requestIds[0],
          tenant.log.entries({ method: "POST", path: rotatePath(sim.id) })[0]!.requestId,
        );
        return true;
      },
    );
    assert.equal(tenant.log.count({ method: "POST", path: rotatePath(sim.id) }), 1);
  });

  it("a GET whose connection is reset is retried", async () => {
    const c = newClient();
    const sim = windowsDevice();
    tenant.addFault({
      method: "GET",
      path: escape(`/beta/deviceManagement/managedDevices/${sim.id}`),
      kind: "reset",
      count: 1,
    });
    await c.getManagedDevice(sim.id);
    assert.equal(c.stats().retries, 1);
  });

  it("a rotation refused by a dead endpoint is retried and then reported as a network error", async () => {
    // Nothing listens on port 9 of loopback: the POST is never written, so retrying is safe.
    const c = new GraphClient({
      baseUrl: "https://127.0.0.1:9",
      scope: settings.scope,
      credential: createCredential(settings),
      retry: { minDelayMs: 10, maxDelayMs: 20, maxRetries: 2 },
    });
    clients.push(c);
    const sim = windowsDevice();
    await assert.rejects(c.rotateBitLockerKeys(sim.id, "managedDevices"), (err: GraphError) => {
      assert.ok(!(err instanceof OutcomeUnknownError));
      assert.equal(err.code, "ECONNREFUSED");
      assert.match(err.message, /no answer from https:\/\/127\.0\.0\.1:9/);
      return true;
    });
    assert.equal(c.stats().requests, 3);
  });
});
