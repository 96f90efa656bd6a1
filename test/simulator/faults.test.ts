// Fault injection: status faults with each Retry-After form, connection faults (reset, drop,
// hang), latency, counts, probabilities, and faults inside $batch.
import assert from "node:assert/strict";
import type { SimulatedTenant } from "../../simulator/index";
import { USER_AGENT, call, errorOf, getToken, rotatePath, startTenant } from "./helpers";

const ROTATE = /\/rotateBitLockerKeys$/;

const rotationItem = (id: string, device: string) => ({
  id,
  method: "POST",
  url: `/deviceManagement/managedDevices/${device}/rotateBitLockerKeys`,
  headers: { "Content-Type": "application/json" },
  body: {},
});

describe("simulator: faults", () => {
  let tenant: SimulatedTenant;
  let token: string;
  let ids: string[];
  let next = 0;
  const device = (): string => ids[next++ % ids.length] as string;

  before(async () => {
    tenant = await startTenant({ fleet: { size: 200 }, checkInDelayMs: null, throttle: false });
    token = await getToken(tenant);
    ids = tenant.listDevices({ profile: "healthy" }).map((d) => d.id);
  });
  afterEach(() => tenant.clearFaults());
  after(() => tenant?.close());

  const post = (id: string, signal?: AbortSignal) =>
    fetch(`${tenant.url}${rotatePath(id)}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "user-agent": USER_AGENT },
      ...(signal ? { signal } : {}),
    });

  it("429 with Retry-After in whole seconds, fractional seconds, an HTTP-date, or none", async () => {
    tenant.addFault({ method: "POST", path: ROTATE, count: 1, kind: "429", retryAfterSeconds: 7 });
    const whole = await call(tenant, token, rotatePath(device()), { method: "POST" });
    assert.equal(whole.status, 429);
    assert.equal(whole.headers.get("retry-after"), "7");
    assert.equal(errorOf(whole).code, "TooManyRequests");

    tenant.addFault({ path: ROTATE, count: 1, kind: "429", retryAfterSeconds: 2.128 });
    assert.equal(
      (await call(tenant, token, rotatePath(device()), { method: "POST" })).headers.get(
        "retry-after",
      ),
      "2.128",
    );

    tenant.addFault({
      path: ROTATE,
      count: 1,
      kind: "429",
      retryAfterSeconds: 30,
      retryAfterFormat: "http-date",
    });
    const dated = await call(tenant, token, rotatePath(device()), { method: "POST" });
    const when = Date.parse(dated.headers.get("retry-after") ?? "");
    assert.match(dated.headers.get("retry-after") ?? "", /GMT$/);
    assert.ok(when - Date.now() > 25_000 && when - Date.now() <= 31_000);

    tenant.addFault({ path: ROTATE, count: 1, kind: "429", retryAfterFormat: "none" });
    const bare = await call(tenant, token, rotatePath(device()), { method: "POST" });
    assert.equal(bare.status, 429);
    assert.equal(bare.headers.get("retry-after"), null);
  });

  it("429 with the wait in retry-after-ms or x-ms-retry-after-ms, top-level and inside $batch", async () => {
    for (const [format, name, inner] of [
      ["ms", "retry-after-ms", "Retry-After-Ms"],
      ["x-ms", "x-ms-retry-after-ms", "X-Ms-Retry-After-Ms"],
    ] as const) {
      tenant.addFault({
        path: ROTATE,
        count: 2,
        kind: "429",
        retryAfterSeconds: 3600,
        retryAfterFormat: format,
      });
      const top = await call(tenant, token, rotatePath(device()), { method: "POST" });
      assert.equal(top.status, 429);
      assert.equal(top.headers.get(name), "3600000");
      assert.equal(top.headers.get("retry-after"), null);
      const c = await call(tenant, token, "/beta/$batch", {
        method: "POST",
        body: { requests: [rotationItem("0", device())] },
      });
      const [r] = (c.body as { responses: { status: number; headers: Record<string, string> }[] })
        .responses;
      assert.equal(r!.status, 429);
      assert.equal(r!.headers[inner], "3600000", format);
    }
  });

  it("bodyMatches picks a $batch by what it carries (rotations, not reads)", async () => {
    tenant.addFault({
      method: "POST",
      path: /\/\$batch$/,
      scope: "request",
      bodyMatches: "rotateBitLockerKeys",
      kind: "429",
      retryAfterSeconds: 3600,
    });
    const reads = await call(tenant, token, "/beta/$batch", {
      method: "POST",
      body: {
        requests: [{ id: "0", method: "GET", url: `/deviceManagement/managedDevices/${device()}` }],
      },
    });
    assert.equal(reads.status, 200);
    const d = device();
    const rotations = await call(tenant, token, "/beta/$batch", {
      method: "POST",
      body: { requests: [rotationItem("0", d)] },
    });
    assert.equal(rotations.status, 429);
    assert.equal(rotations.headers.get("retry-after"), "3600");
    assert.ok(!tenant.deviceInfo(d)?.pending, "a refused batch rotates nothing");
    assert.equal(tenant.faults()[0]!.bodyMatches, "rotateBitLockerKeys");
  });

  it("503, 504 and 500, each rejected before processing unless afterProcessing", async () => {
    for (const [kind, code] of [
      ["503", "ServiceUnavailable"],
      ["504", "GatewayTimeout"],
      ["500", "InternalError"],
    ] as const) {
      tenant.addFault({ path: ROTATE, count: 1, kind });
      const id = device();
      const c = await call(tenant, token, rotatePath(id), { method: "POST" });
      assert.equal(c.status, Number(kind));
      assert.equal(errorOf(c).code, code);
      assert.equal(tenant.deviceInfo(id)?.pending, false, `${kind} did not process`);
    }
    tenant.addFault({ path: ROTATE, count: 1, kind: "503", retryAfterSeconds: 3 });
    assert.equal(
      (await call(tenant, token, rotatePath(device()), { method: "POST" })).headers.get(
        "retry-after",
      ),
      "3",
    );

    tenant.addFault({ path: ROTATE, count: 1, kind: "504", afterProcessing: true });
    const id = device();
    assert.equal((await call(tenant, token, rotatePath(id), { method: "POST" })).status, 504);
    assert.equal(tenant.deviceInfo(id)?.pending, true, "the rotation happened behind the 504");
  });

  it("reset: the connection dies before the request is handled", async () => {
    tenant.addFault({ path: ROTATE, count: 1, kind: "reset" });
    const id = device();
    await assert.rejects(post(id), TypeError);
    assert.equal(tenant.deviceInfo(id)?.pending, false);
    assert.equal(tenant.log.entries({ path: rotatePath(id) }).at(-1)?.connection, "reset");
  });

  it("drop: the rotation is applied, then the connection dies without an answer", async () => {
    tenant.addFault({ path: ROTATE, count: 1, kind: "drop" });
    const id = device();
    await assert.rejects(post(id), TypeError);
    assert.equal(tenant.deviceInfo(id)?.pending, true, "accepted, then dropped");
    assert.equal(tenant.log.entries({ path: rotatePath(id) }).at(-1)?.status, 0);
  });

  it("hang: no answer until the client gives up (or the hang ends)", async () => {
    tenant.addFault({ path: ROTATE, count: 1, kind: "hang" });
    const started = Date.now();
    await assert.rejects(
      post(device(), AbortSignal.timeout(300)),
      (err: Error) => err.name === "TimeoutError",
    );
    assert.ok(Date.now() - started >= 290);

    tenant.addFault({ path: ROTATE, count: 1, kind: "hang", ms: 100 });
    await assert.rejects(post(device(), AbortSignal.timeout(5000)), TypeError);
  });

  it("latency delays a request; the global latency option delays every request", async () => {
    tenant.addFault({ path: ROTATE, count: 1, kind: "latency", ms: 300 });
    const started = Date.now();
    assert.equal((await post(device())).status, 204);
    assert.ok(Date.now() - started >= 300);

    const slow = await startTenant({ fleet: { size: 1 }, latencyMs: 150, port: 0 });
    try {
      const t0 = Date.now();
      await getToken(slow);
      assert.ok(Date.now() - t0 >= 150);
    } finally {
      await slow.close();
    }
  });

  it("a rule fires its count then retires; method and path must both match", async () => {
    const rule = tenant.addFault({ method: "POST", path: ROTATE, count: 2, kind: "503" });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(device())).status);
    assert.deepEqual(statuses, [503, 503, 204]);
    assert.equal(tenant.faults().find((f) => f.id === rule.id)?.hits, 2);
    tenant.addFault({ method: "POST", path: "managedDevices", kind: "503" });
    assert.equal(
      (await call(tenant, token, `/beta/deviceManagement/managedDevices/${device()}`)).status,
      200,
    );
  });

  it("probability draws from the seed: the same seed fires on the same requests", async () => {
    const pattern = async (t: SimulatedTenant): Promise<number[]> => {
      const tok = await getToken(t);
      t.addFault({ path: /managedDevices$/, probability: 0.5, kind: "500" });
      const out: number[] = [];
      for (let i = 0; i < 30; i++)
        out.push((await call(t, tok, "/beta/deviceManagement/managedDevices?$top=1")).status);
      return out;
    };
    const a = await startTenant({ fleet: { size: 2 }, port: 0, seed: "p" });
    const b = await startTenant({ fleet: { size: 2 }, port: 0, seed: "p" });
    try {
      const pa = await pattern(a);
      const fired = pa.filter((s) => s === 500).length;
      assert.ok(fired > 5 && fired < 25, `${fired} of 30`);
      assert.deepEqual(await pattern(b), pa);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("faults reach inner $batch requests; a lost inner answer takes the batch connection", async () => {
    tenant.addFault({
      path: ROTATE,
      scope: "batchItem",
      count: 1,
      kind: "503",
      retryAfterSeconds: 2,
    });
    const [d1, d2] = [device(), device()];
    const requests = [d1, d2].map((d, i) => ({
      id: String(i),
      method: "POST",
      url: `/deviceManagement/managedDevices/${d}/rotateBitLockerKeys`,
      headers: { "Content-Type": "application/json" },
      body: {},
    }));
    const c = await call(tenant, token, "/beta/$batch", { method: "POST", body: { requests } });
    assert.equal(c.status, 200);
    const statuses = (
      c.body as { responses: { status: number; headers: Record<string, string> }[] }
    ).responses;
    assert.deepEqual(statuses.map((r) => r.status).sort(), [204, 503]);
    assert.equal(statuses.find((r) => r.status === 503)?.headers["Retry-After"], "2");

    // Not at top level when scoped to batch items.
    tenant.clearFaults();
    tenant.addFault({ path: ROTATE, scope: "batchItem", kind: "drop" });
    assert.equal((await post(device())).status, 204);
    const [d3, d4] = [device(), device()];
    const dropped = fetch(`${tenant.url}/beta/$batch`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
      },
      body: JSON.stringify({
        requests: [d3, d4].map((d, i) => ({
          ...requests[0],
          id: String(i),
          url: `/deviceManagement/managedDevices/${d}/rotateBitLockerKeys`,
        })),
      }),
    });
    await assert.rejects(dropped, TypeError);
    assert.ok(
      tenant.deviceInfo(d3)?.pending && tenant.deviceInfo(d4)?.pending,
      "both applied before the drop",
    );
  });
});
