// The request log: what tests count on.
import assert from "node:assert/strict";
import type { SimulatedTenant } from "../../simulator/index";
import { RequestLog } from "../../simulator/requestLog";
import { USER_AGENT, call, getToken, rotatePath, startTenant } from "./helpers";

describe("simulator: request log", () => {
  let tenant: SimulatedTenant;

  before(async () => {
    tenant = await startTenant({ fleet: { size: 30 }, checkInDelayMs: null });
  });
  after(() => tenant?.close());

  it("records each request with method, path, query, status, app, ids and user agent", async () => {
    tenant.log.clear();
    const token = await getToken(tenant);
    const id = tenant.listDevices({ profile: "healthy" })[0]?.id as string;
    await call(tenant, token, rotatePath(id), {
      method: "POST",
      headers: { "client-request-id": "c0ffee00-0000-4000-8000-000000000001" },
    });
    await call(tenant, token, "/beta/deviceManagement/managedDevices?$top=2&$select=id");

    assert.equal(tenant.log.size, 3);
    assert.equal(tenant.log.count({ method: "POST", pathMatches: /rotateBitLockerKeys$/ }), 1);
    assert.equal(
      tenant.log.count({ method: "post", pathMatches: "rotateBitLockerKeys$", status: 204 }),
      1,
    );
    const [tokenEntry, rotate, list] = tenant.log.entries();
    assert.equal(tokenEntry?.path, `/${tenant.tenantId}/oauth2/v2.0/token`);
    assert.equal(
      tokenEntry?.appId,
      tenant.defaultApp.clientId,
      "token requests carry the client id",
    );
    assert.equal(rotate?.status, 204);
    assert.equal(rotate?.appId, tenant.defaultApp.clientId);
    assert.equal(rotate?.clientRequestId, "c0ffee00-0000-4000-8000-000000000001");
    assert.match(rotate?.requestId ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(rotate?.userAgent, USER_AGENT);
    assert.equal(rotate?.batchId, undefined);
    assert.deepEqual(list?.query, { $top: "2", $select: "id" });
    assert.ok(!Number.isNaN(Date.parse(list?.time ?? "")));
  });

  it("clear() empties it; control calls are never logged", async () => {
    tenant.log.clear();
    assert.equal(tenant.log.size, 0);
    await fetch(`${tenant.url}/_sim/info`);
    assert.equal(tenant.log.size, 0);
  });

  it("filters by app, status, batch membership and time; keeps at most its limit", () => {
    const log = new RequestLog(3);
    const base = {
      method: "GET",
      path: "/p",
      query: {},
      requestId: "r",
      clientRequestId: "c",
      durationMs: 1,
    };
    log.add({ ...base, time: "2026-01-01T00:00:00.000Z", status: 200, appId: "a" });
    log.add({
      ...base,
      time: "2026-01-01T00:00:01.000Z",
      status: 429,
      appId: "b",
      throttled: true,
    });
    log.add({
      ...base,
      time: "2026-01-01T00:00:02.000Z",
      status: 204,
      appId: "a",
      batchId: "outer",
      batchItemId: "1",
    });
    assert.equal(log.count({ appId: "a" }), 2);
    assert.equal(log.count({ throttled: true }), 1);
    assert.equal(log.count({ inBatch: true }), 1);
    assert.equal(log.count({ inBatch: false }), 2);
    assert.equal(log.count({ since: "2026-01-01T00:00:01.000Z" }), 2);
    log.add({ ...base, time: "2026-01-01T00:00:03.000Z", status: 200 });
    assert.equal(log.size, 3);
    assert.equal(log.entries()[0]?.status, 429, "the oldest went first");
  });
});
