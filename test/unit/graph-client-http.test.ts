// The client's HTTP behaviour against undici's MockAgent: headers, retries, the POST rule,
// 401 renewal, paging and batching. No sockets: what crosses a real network is tested in
// test/integration/graph-client.test.ts against the simulated tenant.
import assert from "node:assert/strict";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { MockAgent } from "undici";
import { GraphClient, type GraphClientOptions } from "../../provider/graph/client";
import { GraphError, OutcomeUnknownError } from "../../provider/graph/errors";
import { PACKAGE_VERSION } from "../../provider/graph/userAgent";

const BASE = "https://graph.test";
const ID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
const ENTRA = "8c6d7b1a-2222-4333-8444-555566667777";
const ROTATE = `/beta/deviceManagement/managedDevices/${ID}/rotateBitLockerKeys`;

class FakeCredential implements TokenCredential {
  calls = 0;
  constructor(private readonly prefix = "token") {}
  async getToken(): Promise<AccessToken> {
    this.calls += 1;
    return { token: `${this.prefix}-${this.calls}`, expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}

type Seen = { method: string; path: string; headers: Record<string, string> };

function setup(extra: Partial<GraphClientOptions> = {}) {
  const mock = new MockAgent();
  mock.disableNetConnect();
  const pool = mock.get(BASE);
  const seen: Seen[] = [];
  const credential = new FakeCredential();
  const client = new GraphClient({
    baseUrl: BASE,
    credential,
    dispatcher: mock,
    retry: { minDelayMs: 5, maxDelayMs: 20, budgetMs: 5_000, maxRetries: 3 },
    ...extra,
  });
  /** Intercepts one request, records what was sent, answers with `reply`. */
  const answer = (
    method: string,
    path: string,
    status: number,
    body: unknown = "",
    headers: Record<string, string> = {},
  ) =>
    pool.intercept({ method, path }).reply((opts) => {
      seen.push({ method, path, headers: { ...(opts.headers as Record<string, string>) } });
      return {
        statusCode: status,
        data: typeof body === "string" ? body : JSON.stringify(body),
        responseOptions: { headers: { "request-id": `rid-${seen.length}`, ...headers } },
      };
    });
  return { mock, pool, client, seen, credential, answer };
}

const device = { id: ID, deviceName: "PC-1", azureADDeviceId: ENTRA };

describe("graph client over MockAgent", () => {
  it("sends User-Agent, client-request-id and the bearer token; keeps request-id", async () => {
    const { client, seen, answer } = setup();
    answer("GET", `/beta/deviceManagement/managedDevices/${ID}`, 200, device);
    const got = await client.getManagedDevice(ID);
    assert.equal(got.deviceName, "PC-1");
    const h = seen[0]!.headers;
    assert.equal(
      h["user-agent"],
      `pulumi-intune-bitlocker/${PACKAGE_VERSION} node/${process.versions.node}`,
    );
    assert.match(h["client-request-id"]!, /^[0-9a-f-]{36}$/);
    assert.equal(h.authorization, "Bearer token-1");
    assert.equal(h["retry-attempt"], undefined);
  });

  it("passes $select and the collection", async () => {
    const { client, answer } = setup();
    answer(
      "GET",
      `/beta/deviceManagement/comanagedDevices/${ID}?$select=id,deviceName`,
      200,
      device,
    );
    await client.getManagedDevice(ID, {
      collection: "comanagedDevices",
      select: ["id", "deviceName"],
    });
  });

  it("refuses a non-GUID id before sending anything", async () => {
    const { client } = setup();
    await assert.rejects(client.getManagedDevice("../me"), TypeError);
    await assert.rejects(client.rotateBitLockerKeys(`${ID}/../x`, "managedDevices"), TypeError);
  });

  it("404 → GraphError ResourceNotFound with the device hint", async () => {
    const { client, answer } = setup();
    answer("GET", `/beta/deviceManagement/managedDevices/${ID}`, 404, {
      error: { code: "ResourceNotFound", message: "Resource not found" },
    });
    await assert.rejects(client.getManagedDevice(ID), (err: GraphError) => {
      assert.equal(err.code, "ResourceNotFound");
      assert.equal(err.deviceId, ID);
      assert.equal(err.requestId, "rid-1");
      assert.match(err.hint, /the device does not exist in this tenant \(deleted or wrong id\)/);
      return true;
    });
  });

  it("retries a throttled GET after Retry-After, with Retry-Attempt and one client-request-id", async () => {
    const { client, seen, answer } = setup();
    answer(
      "GET",
      `/beta/deviceManagement/managedDevices/${ID}`,
      429,
      { error: { code: "TooManyRequests", message: "x" } },
      { "retry-after": "0.05" },
    );
    answer("GET", `/beta/deviceManagement/managedDevices/${ID}`, 200, device);
    const started = Date.now();
    await client.getManagedDevice(ID);
    assert.ok(Date.now() - started >= 45, "waited for Retry-After");
    assert.equal(seen.length, 2);
    assert.equal(seen[1]!.headers["retry-attempt"], "1");
    assert.equal(seen[0]!.headers["client-request-id"], seen[1]!.headers["client-request-id"]);
    assert.deepEqual(client.stats(), { requests: 2, retries: 1, throttled: 1, tokenRenewals: 0 });
  });

  it("retries a rotation answered 429 or 503 (Graph did not act)", async () => {
    const { client, seen, answer } = setup();
    answer(
      "POST",
      ROTATE,
      429,
      { error: { code: "TooManyRequests", message: "x" } },
      { "retry-after": "0" },
    );
    answer("POST", ROTATE, 503, "");
    answer("POST", ROTATE, 204, "", { "request-id": "accepted" });
    const r = await client.rotateBitLockerKeys(ID, "managedDevices");
    assert.equal(r.requestId, "accepted");
    assert.equal(seen.length, 3);
    assert.deepEqual(
      seen.map((s) => s.headers["retry-attempt"]),
      [undefined, "1", "2"],
    );
    assert.ok(r.sentAt instanceof Date);
  });

  it("never re-sends a rotation answered 504: OutcomeUnknownError", async () => {
    const { client, seen, answer } = setup();
    answer("POST", ROTATE, 504, "<html>Gateway Timeout</html>", { "request-id": "gw" });
    answer("POST", ROTATE, 204, "");
    await assert.rejects(
      client.rotateBitLockerKeys(ID, "managedDevices"),
      (err: OutcomeUnknownError) => {
        assert.ok(err instanceof OutcomeUnknownError);
        assert.equal(err.deviceId, ID);
        assert.equal(err.status, 504);
        assert.deepEqual(err.requestIds, ["gw"]);
        assert.ok(err.sentAt instanceof Date);
        return true;
      },
    );
    assert.equal(seen.length, 1);
  });

  it("retries a rotation whose connection was refused before it was written", async () => {
    const { client, seen, pool, answer } = setup();
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    pool.intercept({ method: "POST", path: ROTATE }).replyWithError(refused);
    answer("POST", ROTATE, 204, "");
    await client.rotateBitLockerKeys(ID, "managedDevices");
    assert.equal(seen.length, 1);
    assert.equal(client.stats().retries, 1);
  });

  it("gives up on a throttled request when Retry-After overruns the budget, with a clear error", async () => {
    const { client, seen, answer } = setup({ retry: { budgetMs: 1_000 } });
    answer(
      "POST",
      ROTATE,
      429,
      { error: { code: "TooManyRequests", message: "Too many requests" } },
      { "retry-after": "5" },
    );
    await assert.rejects(client.rotateBitLockerKeys(ID, "managedDevices"), (err: GraphError) => {
      assert.ok(!(err instanceof OutcomeUnknownError));
      assert.equal(err.status, 429);
      assert.equal(err.retryAfterSeconds, 5);
      assert.match(err.message, new RegExp(`^device ${ID}: Graph 429 .*\\(request-id rid-1\\)`));
      assert.match(
        err.message,
        /Graph asked to wait 5 s \(Retry-After\), more than the 1 s left of the retry budget \(bitlocker:retryBudgetSeconds = 1 s\)/,
      );
      assert.match(err.message, /Run `pulumi up` again after that time/);
      return true;
    });
    assert.equal(seen.length, 1);
  });

  it("reads retry-after-ms and x-ms-retry-after-ms on a top-level answer", async () => {
    for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
      const { client, seen, answer } = setup({ retry: { budgetMs: 10_000 } });
      answer(
        "POST",
        ROTATE,
        429,
        { error: { code: "TooManyRequests", message: "slow" } },
        {
          [name]: "3600000",
        },
      );
      await assert.rejects(client.rotateBitLockerKeys(ID, "managedDevices"), (err: GraphError) => {
        assert.match(err.message, /Graph asked to wait 3600 s \(Retry-After\)/, name);
        return true;
      });
      assert.equal(seen.length, 1, `${name}: not sent again`);
    }
  });

  it("a 401 renews the token once (from the renewal credential) and re-sends", async () => {
    const renewal = new FakeCredential("fresh");
    const { client, seen, answer, credential } = setup({ renewCredential: () => renewal });
    answer("POST", ROTATE, 401, {
      error: { code: "InvalidAuthenticationToken", message: "expired" },
    });
    answer("POST", ROTATE, 204, "");
    await client.rotateBitLockerKeys(ID, "managedDevices");
    assert.deepEqual(
      seen.map((s) => s.headers.authorization),
      ["Bearer token-1", "Bearer fresh-1"],
    );
    assert.equal(credential.calls, 1);
    assert.equal(client.stats().tokenRenewals, 1);
  });

  it("a second 401 is an error, not a loop", async () => {
    const { client, seen, answer } = setup();
    answer("GET", `/beta/deviceManagement/managedDevices/${ID}`, 401, {
      error: { code: "InvalidAuthenticationToken", message: "no" },
    });
    answer("GET", `/beta/deviceManagement/managedDevices/${ID}`, 401, {
      error: { code: "InvalidAuthenticationToken", message: "no" },
    });
    await assert.rejects(client.getManagedDevice(ID), (err: GraphError) => err.status === 401);
    assert.equal(seen.length, 2);
  });

  it("lists devices page by page, following @odata.nextLink verbatim", async () => {
    const { client, seen, answer } = setup();
    answer(
      "GET",
      "/beta/deviceManagement/managedDevices?$filter=operatingSystem%20eq%20'Windows'&$top=2",
      200,
      {
        value: [device, { ...device, id: "a" }],
        "@odata.nextLink": `${BASE}/beta/deviceManagement/managedDevices?$top=2&$skiptoken=X%2BY`,
      },
    );
    answer("GET", "/beta/deviceManagement/managedDevices?$top=2&$skiptoken=X%2BY", 200, {
      value: [{ ...device, id: "b" }],
    });
    const ids: string[] = [];
    for await (const d of client.listManagedDevices({
      filter: { property: "operatingSystem", value: "Windows" },
      pageSize: 2,
    })) {
      ids.push(d.id);
    }
    assert.deepEqual(ids, [ID, "a", "b"]);
    assert.equal(seen.length, 2);
  });

  it("refuses a nextLink to another host", async () => {
    const { client, answer } = setup();
    answer("GET", "/beta/deviceManagement/managedDevices", 200, {
      value: [],
      "@odata.nextLink": "https://evil.test/steal",
    });
    await assert.rejects(async () => {
      for await (const _ of client.listManagedDevices()) void _;
    }, /outside/);
  });

  it("lists recovery keys without ever keeping a key", async () => {
    const { client, seen, answer } = setup();
    const path = `/v1.0/informationProtection/bitlocker/recoveryKeys?$filter=deviceId%20eq%20'${ENTRA}'`;
    answer("GET", path, 200, {
      value: [
        {
          id: "k1",
          createdDateTime: "2026-11-27T09:00:00Z",
          deviceId: ENTRA,
          volumeType: 1,
          key: "111111-222222",
        },
      ],
    });
    const keys = await client.listRecoveryKeys(ENTRA);
    assert.deepEqual(keys, [
      { id: "k1", createdDateTime: "2026-11-27T09:00:00Z", deviceId: ENTRA, volumeType: "1" },
    ]);
    assert.ok(!seen[0]!.path.includes("key&") && !seen[0]!.path.includes("$select"));
    assert.equal(seen[0]!.headers["ocp-client-name"], "pulumi-intune-bitlocker");
  });

  it("batches, returning inner answers in request order", async () => {
    const { client, answer } = setup();
    answer("POST", "/beta/$batch", 200, {
      responses: [
        {
          id: "2",
          status: 429,
          headers: { "Retry-After": "1" },
          body: { error: { code: "TooManyRequests", message: "x" } },
        },
        { id: "1", status: 204 },
      ],
    });
    const out = await client.batch([
      {
        id: "1",
        method: "POST",
        url: `/deviceManagement/managedDevices/${ID}/rotateBitLockerKeys`,
      },
      {
        id: "2",
        method: "POST",
        url: `/deviceManagement/managedDevices/${ID}/rotateBitLockerKeys`,
      },
    ]);
    assert.deepEqual(
      out.map((r) => [r.id, r.status]),
      [
        ["1", 204],
        ["2", 429],
      ],
    );
  });

  it("a batch with POSTs whose answer lacks an inner response is OutcomeUnknownError", async () => {
    const { client, answer } = setup();
    answer("POST", "/beta/$batch", 200, { responses: [{ id: "1", status: 204 }] });
    await assert.rejects(
      client.batch([
        {
          id: "1",
          method: "POST",
          url: `/deviceManagement/managedDevices/${ID}/rotateBitLockerKeys`,
        },
        {
          id: "2",
          method: "POST",
          url: `/deviceManagement/managedDevices/${ID}/rotateBitLockerKeys`,
        },
      ]),
      OutcomeUnknownError,
    );
  });

  it("calls onRequest for every attempt", async () => {
    const events: number[] = [];
    const { client, answer } = setup({ onRequest: (e) => events.push(e.attempt) });
    answer("GET", `/beta/deviceManagement/managedDevices/${ID}`, 503, "");
    answer("GET", `/beta/deviceManagement/managedDevices/${ID}`, 200, device);
    await client.getManagedDevice(ID);
    assert.deepEqual(events, [0, 1]);
  });

  it("refuses an http base URL off loopback", () => {
    assert.throws(
      () => new GraphClient({ baseUrl: "http://graph.test", credential: new FakeCredential() }),
      /https/,
    );
  });
});
