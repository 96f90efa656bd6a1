// The tenant's events, for tests that wait on what the tenant did rather than on a guessed
// time: log.onEntry / log.waitFor (a request answered or lost), onReceived (a request
// arrived), hold (a request kept in the tenant's hands until released), openConnections /
// noConnections (a client's sockets), and deviceClock (check-ins at exact instants).
import assert from "node:assert/strict";
import https from "node:https";
import { ROTATE_ACTION_ODATA_TYPE, type ManagedDevice } from "../../provider/graph/types";
import type { LogEntry, SimulatedTenant } from "../../simulator/index";
import { call, getToken, rotatePath, startTenant } from "./helpers";

/** A POST on its own agent (its own sockets), so the test can drop the client like a kill. */
function rawPost(tenant: SimulatedTenant, token: string | undefined, path: string) {
  const agent = new https.Agent({ keepAlive: true });
  const req = https.request(`${tenant.url}${path}`, {
    method: "POST",
    agent,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), "content-length": 0 },
  });
  const answered = new Promise<number>((resolve, reject) => {
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
  });
  req.end();
  return { answered, kill: () => agent.destroy() };
}

describe("simulator: events for tests (no sleeps)", () => {
  let tenant: SimulatedTenant;
  let token: string;
  const clock = { t: Date.parse("2026-03-01T10:00:00Z") };

  before(async () => {
    tenant = await startTenant({
      fleet: { size: 40 },
      checkInDelayMs: 1500,
      deviceClock: () => clock.t,
    });
    token = await getToken(tenant);
  });
  after(() => tenant?.close());
  const healthy = (i: number) => tenant.listDevices({ profile: "healthy" })[i] as ManagedDevice;

  it("log.onEntry sees each entry as it is logged, in order; unsubscribing stops it", async () => {
    const seen: LogEntry[] = [];
    const stop = tenant.log.onEntry((e) => seen.push(e));
    await call(tenant, token, `/beta/deviceManagement/managedDevices/${healthy(0).id}`);
    stop();
    await call(tenant, token, `/beta/deviceManagement/managedDevices/${healthy(1).id}`);
    assert.deepEqual(
      seen.map((e) => e.path),
      [`/beta/deviceManagement/managedDevices/${healthy(0).id}`],
    );
    assert.equal(seen[0], tenant.log.entries().at(-2), "the very entry the log keeps");
  });

  it("log.waitFor resolves at the Nth match, counting entries already logged", async () => {
    tenant.log.clear();
    const path = `/beta/deviceManagement/managedDevices/${healthy(2).id}`;
    await call(tenant, token, path);
    const three = tenant.log.waitFor({ method: "GET", path }, { count: 3 });
    let done = false;
    void three.then(() => (done = true));
    await call(tenant, token, path);
    await new Promise((r) => setImmediate(r));
    assert.equal(done, false, "two of three: still waiting");
    await call(tenant, token, path);
    assert.equal((await three).length, 3);
    // Already there: resolves at once.
    assert.equal((await tenant.log.waitFor({ method: "GET", path })).length, 3);
    await assert.rejects(
      tenant.log.waitFor({ method: "DELETE" }, { timeoutMs: 10 }),
      /0 of 1 log entries matching/,
    );
  });

  it("hold keeps a request in the tenant's hands, unhandled, until released; it then takes effect even with its client gone", async () => {
    const d = healthy(3);
    const before = new Set(tenant.openConnections());
    const held = tenant.hold({ method: "POST", path: /rotateBitLockerKeys$/ });
    const arrivals: string[] = [];
    const stopReceived = tenant.onReceived((r) => arrivals.push(`${r.method} ${r.path}`));
    const client = rawPost(tenant, token, rotatePath(d.id));
    client.answered.catch(() => undefined);
    const got = await held.received;
    stopReceived();
    assert.equal(got.path, rotatePath(d.id));
    assert.deepEqual(arrivals, [`POST ${rotatePath(d.id)}`]);
    assert.ok(!before.has(got.connectionId) && tenant.openConnections().includes(got.connectionId));
    assert.equal(tenant.log.count({ method: "POST", path: rotatePath(d.id) }), 0, "not handled");
    assert.equal(tenant.rotationResult(d.id), undefined, "Graph has not acted");

    // The client dies (as a killed process): its socket closes. Once every client connection
    // is gone the tenant says so (the test's own fetch connections are closed too).
    client.kill();
    await new Promise<void>((resolve) => {
      const check = () =>
        tenant.openConnections().includes(got.connectionId) ? setImmediate(check) : resolve();
      check();
    });
    assert.equal(tenant.rotationResult(d.id), undefined);
    held.release();
    const [entry] = await tenant.log.waitFor({ method: "POST", path: rotatePath(d.id) });
    assert.equal(entry?.status, 204);
    assert.equal(tenant.rotationResult(d.id)?.actionState, "pending", "acted on after release");
  });

  it("noConnections resolves once every client connection is closed", async () => {
    // A tenant of its own: fetch's pool keeps the other tenant's connections open.
    const quiet = await startTenant({ fleet: { size: 1 } });
    try {
      const client = rawPost(quiet, undefined, rotatePath("any"));
      assert.equal(await client.answered, 401);
      assert.equal(quiet.openConnections().length, 1, "keep-alive: the socket stays open");
      let closed = false;
      const all = quiet.noConnections().then(() => (closed = true));
      await new Promise((r) => setImmediate(r));
      assert.equal(closed, false);
      client.kill();
      await all;
      assert.deepEqual(quiet.openConnections(), []);
    } finally {
      await quiet.close();
    }
  });

  it("deviceClock: a device checks in exactly checkInDelayMs after the request, dated then", async () => {
    const d = healthy(5);
    const start = clock.t;
    await call(tenant, token, rotatePath(d.id), { method: "POST" });
    const rotation = () =>
      tenant.actionResults(d.id).find((r) => r["@odata.type"] === ROTATE_ACTION_ODATA_TYPE);
    assert.equal(rotation()?.startDateTime, new Date(start).toISOString());
    clock.t = start + 1499;
    assert.equal(rotation()?.actionState, "pending");
    clock.t = start + 1500;
    assert.equal(rotation()?.actionState, "done");
    assert.equal(rotation()?.lastUpdatedDateTime, new Date(start + 1500).toISOString());
  });
});
