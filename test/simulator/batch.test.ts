// POST /beta/$batch: validation, inner answers in any order, inner 429s with their own
// Retry-After, dependsOn, and each inner request logged and counted.
import assert from "node:assert/strict";
import type { SimulatedTenant } from "../../simulator/index";
import { call, errorOf, getToken, startTenant } from "./helpers";

interface BatchAnswer {
  responses: { id: string; status: number; headers: Record<string, string>; body?: unknown }[];
}

const rotateItem = (id: string, deviceId: string, extra: Record<string, unknown> = {}) => ({
  id,
  method: "POST",
  url: `/deviceManagement/managedDevices/${deviceId}/rotateBitLockerKeys`,
  headers: { "Content-Type": "application/json" },
  body: {},
  ...extra,
});

describe("simulator: $batch", () => {
  let tenant: SimulatedTenant;
  let token: string;
  let healthy: string[];

  before(async () => {
    tenant = await startTenant({ fleet: { size: 100 }, checkInDelayMs: null });
    token = await getToken(tenant);
    healthy = tenant.listDevices({ profile: "healthy" }).map((d) => d.id);
    assert.ok(healthy.length >= 30);
  });
  after(() => tenant?.close());

  const batch = (requests: unknown[]) =>
    call(tenant, token, "/beta/$batch", { method: "POST", body: { requests } });

  it("answers every inner request under an outer 200, in an order of its own", async () => {
    const ids = healthy.slice(0, 20);
    const c = await batch(ids.map((d, i) => rotateItem(String(i), d)));
    assert.equal(c.status, 200);
    const answer = c.body as BatchAnswer;
    assert.deepEqual(answer.responses.map((r) => r.id).sort(), ids.map((_, i) => String(i)).sort());
    assert.ok(answer.responses.every((r) => r.status === 204 && r.body === undefined));
    assert.notDeepEqual(
      answer.responses.map((r) => r.id),
      ids.map((_, i) => String(i)),
      "shuffled",
    );
    assert.ok(ids.every((d) => tenant.deviceInfo(d)?.pending));
  });

  it("mixes statuses: 204, 404 and a GET's 200 body, each with its own envelope", async () => {
    const c = await batch([
      rotateItem("a", healthy[20] as string),
      rotateItem("b", "4d4d4d4d-0000-4000-8000-000000000000"),
      { id: "c", method: "GET", url: `deviceManagement/managedDevices/${healthy[21]}?$select=id` },
    ]);
    const byId = new Map((c.body as BatchAnswer).responses.map((r) => [r.id, r]));
    assert.equal(byId.get("a")?.status, 204);
    assert.equal(byId.get("b")?.status, 404);
    assert.equal(
      (byId.get("b")?.body as { error: { code: string } }).error.code,
      "ResourceNotFound",
    );
    assert.equal(byId.get("c")?.status, 200);
    assert.equal((byId.get("c")?.body as { id: string }).id, healthy[21]);
  });

  it("refuses more than 20 requests, and writes without a body or Content-Type, as a whole", async () => {
    const tooMany = await batch(healthy.slice(0, 21).map((d, i) => rotateItem(String(i), d)));
    assert.equal(tooMany.status, 400);
    assert.equal(errorOf(tooMany).code, "BadRequest");
    const bodyless = await batch([
      {
        id: "1",
        method: "POST",
        url: `/deviceManagement/managedDevices/${healthy[22]}/rotateBitLockerKeys`,
      },
    ]);
    assert.equal(bodyless.status, 400);
    assert.equal(
      errorOf(bodyless).message,
      "Write request id : 1 does not contain Content-Type header or body.",
    );
    assert.equal(
      tenant.deviceInfo(healthy[22] as string)?.pending,
      false,
      "nothing in a refused batch runs",
    );
    const duplicate = await batch([
      rotateItem("x", healthy[22] as string),
      rotateItem("x", healthy[23] as string),
    ]);
    assert.equal(duplicate.status, 400);
  });

  it("dependsOn: a request after a failed one answers 424 and does not run", async () => {
    const c = await batch([
      rotateItem("1", "5e5e5e5e-0000-4000-8000-000000000000"),
      rotateItem("2", healthy[24] as string, { dependsOn: ["1"] }),
    ]);
    const byId = new Map((c.body as BatchAnswer).responses.map((r) => [r.id, r]));
    assert.equal(byId.get("1")?.status, 404);
    assert.equal(byId.get("2")?.status, 424);
    assert.equal(tenant.deviceInfo(healthy[24] as string)?.pending, false);
  });

  it("an outer request without a valid token is refused before any inner one runs", async () => {
    const c = await call(tenant, "nope", "/beta/$batch", {
      method: "POST",
      body: { requests: [rotateItem("1", healthy[25] as string)] },
    });
    assert.equal(c.status, 401);
    assert.equal(tenant.deviceInfo(healthy[25] as string)?.pending, false);
  });

  it("inner requests are throttled one by one, each 429 with its own Retry-After, and logged", async () => {
    const throttled = await startTenant({
      fleet: { size: 40 },
      throttle: { appWrites: 5 },
      port: 0,
    });
    try {
      const t = await getToken(throttled);
      const devices = throttled
        .listDevices({ profile: "healthy" })
        .slice(0, 10)
        .map((d) => d.id);
      throttled.log.clear();
      const c = await call(throttled, t, "/beta/$batch", {
        method: "POST",
        body: { requests: devices.map((d, i) => rotateItem(String(i), d)) },
      });
      assert.equal(c.status, 200);
      const responses = (c.body as BatchAnswer).responses;
      const ok = responses.filter((r) => r.status === 204);
      const limited = responses.filter((r) => r.status === 429);
      assert.equal(ok.length, 5);
      assert.equal(limited.length, 5);
      for (const r of limited) {
        assert.match(r.headers["Retry-After"] ?? "", /^\d+(\.\d+)?$/);
        assert.ok(Number(r.headers["Retry-After"]) > 0 && Number(r.headers["Retry-After"]) <= 20);
        assert.equal((r.body as { error: { code: string } }).error.code, "TooManyRequests");
      }
      assert.equal(devices.filter((d) => throttled.deviceInfo(d)?.pending).length, 5);

      const outer = c.headers.get("request-id") as string;
      assert.equal(throttled.log.count({ inBatch: true, batchId: outer }), 10);
      assert.equal(throttled.log.count({ inBatch: true, status: 429, throttled: true }), 5);
      assert.equal(throttled.log.count({ inBatch: false, path: "/beta/$batch", status: 200 }), 1);
      const inner = throttled.log.entries({ inBatch: true })[0];
      assert.match(
        inner?.path ?? "",
        /^\/beta\/deviceManagement\/managedDevices\/.+\/rotateBitLockerKeys$/,
      );
      assert.equal(inner?.appId, throttled.defaultApp.clientId);
    } finally {
      await throttled.close();
    }
  });
});
