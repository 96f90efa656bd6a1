// GET /beta/deviceManagement/managedDevices (paging, $select, $filter) and single devices.
import assert from "node:assert/strict";
import { ROTATE_ACTION_ODATA_TYPE, type ManagedDevice } from "../../provider/graph/types";
import type { SimulatedTenant } from "../../simulator/index";
import { call, errorOf, getToken, startTenant } from "./helpers";

interface Page {
  "@odata.context": string;
  "@odata.nextLink"?: string;
  value: Record<string, unknown>[];
}

describe("simulator: managed devices", () => {
  let tenant: SimulatedTenant;
  let token: string;

  before(async () => {
    tenant = await startTenant({ fleet: { size: 60 } });
    token = await getToken(tenant);
  });
  after(() => tenant?.close());

  async function allPages(
    first: string,
  ): Promise<{ pages: Page[]; items: Record<string, unknown>[] }> {
    const pages: Page[] = [];
    let next: string | undefined = first;
    while (next) {
      const c = await call(tenant, token, next);
      assert.equal(c.status, 200, JSON.stringify(c.body));
      const page = c.body as Page;
      pages.push(page);
      next = page["@odata.nextLink"];
    }
    return { pages, items: pages.flatMap((p) => p.value) };
  }

  it("pages by $top with an absolute nextLink that keeps the query and ends without one", async () => {
    const { pages, items } = await allPages(
      "/beta/deviceManagement/managedDevices?$top=25&$select=id,deviceName",
    );
    assert.deepEqual(
      pages.map((p) => p.value.length),
      [25, 25, 10],
    );
    const link = pages[0]?.["@odata.nextLink"] as string;
    assert.ok(link.startsWith(`${tenant.url}/beta/deviceManagement/managedDevices?`), link);
    assert.match(link, /\$skiptoken=/);
    assert.match(link, /\$top=25/);
    assert.equal(pages[2]?.["@odata.nextLink"], undefined);
    assert.equal(new Set(items.map((d) => d.id)).size, 60, "every device once");
    assert.deepEqual(
      items.map((d) => d.id),
      tenant.listDevices().map((d) => d.id),
    );
  });

  it("pages of at most 1000: $top above 1000 is clamped, the default page is 1000", async () => {
    const big = await startTenant({ fleet: { size: 1001 }, port: 0 });
    try {
      const t = await getToken(big);
      const first = await call(
        big,
        t,
        "/beta/deviceManagement/managedDevices?$top=5000&$select=id",
      );
      const page = first.body as Page;
      assert.equal(page.value.length, 1000);
      const second = await call(big, t, page["@odata.nextLink"] as string);
      assert.equal((second.body as Page).value.length, 1);
      const byDefault = await call(big, t, "/beta/deviceManagement/managedDevices?$select=id");
      assert.equal((byDefault.body as Page).value.length, 1000);
    } finally {
      await big.close();
    }
  });

  it("$select returns only the selected properties", async () => {
    const c = await call(
      tenant,
      token,
      "/beta/deviceManagement/managedDevices?$top=3&$select=id,osVersion,deviceActionResults",
    );
    const page = c.body as Page;
    assert.match(page["@odata.context"], /managedDevices\(id,osVersion,deviceActionResults\)$/);
    for (const d of page.value)
      assert.deepEqual(Object.keys(d).sort(), ["deviceActionResults", "id", "osVersion"]);
  });

  it("$filter with one eq on a string or boolean property; other properties are ignored", async () => {
    const windows = await allPages(
      "/beta/deviceManagement/managedDevices?$filter=operatingSystem eq 'windows'&$select=id,operatingSystem",
    );
    assert.ok(windows.items.length > 0);
    assert.ok(windows.items.every((d) => d.operatingSystem === "Windows"));
    assert.equal(windows.items.length, tenant.listDevices({ operatingSystem: "Windows" }).length);

    const unencrypted = await allPages(
      "/beta/deviceManagement/managedDevices?$filter=isEncrypted eq false",
    );
    assert.deepEqual(
      unencrypted.items.map((d) => d.id),
      tenant
        .listDevices()
        .filter((d) => !d.isEncrypted)
        .map((d) => d.id),
    );
    const registered = await allPages(
      "/beta/deviceManagement/managedDevices?$filter=joinType eq 'azureADRegistered'",
    );
    assert.ok(
      registered.items.length > 0 &&
        registered.items.every((d) => d.joinType === "azureADRegistered"),
    );

    const entra = tenant.listDevices()[3]?.azureADDeviceId as string;
    const one = await allPages(
      `/beta/deviceManagement/managedDevices?$filter=azureADDeviceId eq '${entra}'`,
    );
    assert.equal(one.items.length, 1);

    // Graph silently ignores a clause on a property it does not filter on.
    const ignored = await allPages(
      "/beta/deviceManagement/managedDevices?$filter=notAProperty eq 'x'&$select=id",
    );
    assert.equal(ignored.items.length, 60);

    const malformed = await call(
      tenant,
      token,
      "/beta/deviceManagement/managedDevices?$filter=startswith(deviceName,'D')",
    );
    assert.equal(malformed.status, 400);
    assert.equal(errorOf(malformed).code, "BadRequest");
  });

  it("a device carries the fields the client reads, typed as Graph sends them", async () => {
    const id = tenant.listDevices({ profile: "priorRotation" })[0]?.id as string;
    const c = await call(tenant, token, `/beta/deviceManagement/managedDevices/${id}`);
    assert.equal(c.status, 200);
    const d = c.body as ManagedDevice;
    assert.equal(d.id, id);
    for (const k of [
      "deviceName",
      "operatingSystem",
      "osVersion",
      "joinType",
      "managementAgent",
      "azureADDeviceId",
      "lastSyncDateTime",
      "skuFamily",
    ] as const) {
      assert.equal(typeof d[k], "string", k);
    }
    assert.equal(typeof d.isEncrypted, "boolean");
    const rotation = d.deviceActionResults?.find(
      (r) => r["@odata.type"] === ROTATE_ACTION_ODATA_TYPE,
    );
    assert.ok(rotation, "a prior rotation result");
    assert.equal(rotation.actionState, "done");
    assert.equal(Number.isInteger(rotation.errorCode), true);
    assert.ok(!Number.isNaN(Date.parse(rotation.startDateTime)));
    assert.ok(!Number.isNaN(Date.parse(rotation.lastUpdatedDateTime)));

    const selected = await call(
      tenant,
      token,
      `/beta/deviceManagement/managedDevices/${id}?$select=id,joinType`,
    );
    assert.deepEqual(
      Object.keys(selected.body as object)
        .filter((k) => !k.startsWith("@"))
        .sort(),
      ["id", "joinType"],
    );
  });

  it("comanagedDevices holds only co-managed devices", async () => {
    const { items } = await allPages(
      "/beta/deviceManagement/comanagedDevices?$select=id,managementAgent",
    );
    const expected = tenant
      .listDevices()
      .filter((d) => d.managementAgent.startsWith("configurationManagerClient"));
    assert.ok(expected.length > 0);
    assert.deepEqual(
      items.map((d) => d.id),
      expected.map((d) => d.id),
    );
    const coId = expected[0]?.id as string;
    assert.equal(
      (await call(tenant, token, `/beta/deviceManagement/comanagedDevices/${coId}`)).status,
      200,
    );
    assert.equal(
      (await call(tenant, token, `/beta/deviceManagement/managedDevices/${coId}`)).status,
      200,
    );
    const plain = tenant.listDevices({ profile: "healthy" })[0]?.id as string;
    assert.equal(
      (await call(tenant, token, `/beta/deviceManagement/comanagedDevices/${plain}`)).status,
      404,
    );
  });

  it("404 ResourceNotFound for an unknown id; request-id and client-request-id on every answer", async () => {
    const c = await call(
      tenant,
      token,
      "/beta/deviceManagement/managedDevices/6d2c1f1e-0000-4000-8000-000000000000",
      {
        headers: { "client-request-id": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0" },
      },
    );
    assert.equal(c.status, 404);
    const e = errorOf(c);
    assert.equal(e.code, "ResourceNotFound");
    assert.equal(c.headers.get("client-request-id"), "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0");
    assert.equal(e.innerError?.["client-request-id"], "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0");
    assert.equal(e.innerError?.["request-id"], c.headers.get("request-id"));
    assert.match(e.innerError?.date ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    const ok = await call(tenant, token, "/beta/deviceManagement/managedDevices?$top=1");
    assert.match(ok.headers.get("request-id") ?? "", /^[0-9a-f-]{36}$/);
    assert.match(
      ok.headers.get("client-request-id") ?? "",
      /^[0-9a-f-]{36}$/,
      "a new one when the client sent none",
    );
    assert.notEqual(ok.headers.get("request-id"), c.headers.get("request-id"));
  });

  it("there is no v1.0 rotateBitLockerKeys", async () => {
    const id = tenant.listDevices({ profile: "healthy" })[0]?.id as string;
    const c = await call(
      tenant,
      token,
      `/v1.0/deviceManagement/managedDevices/${id}/rotateBitLockerKeys`,
      { method: "POST" },
    );
    assert.equal(c.status, 400);
    assert.match(errorOf(c).message, /segment 'rotateBitLockerKeys'/);
    assert.equal(tenant.deviceInfo(id)?.pending, false);
  });
});
