// Graph's checks of the caller: the bearer token (401) and the app's roles (403, in the
// shape of the refusing service).
import assert from "node:assert/strict";
import { ROLES, type SimulatedTenant } from "../../simulator/index";
import {
  call,
  errorOf,
  getToken,
  healthyDeviceId,
  rotatePath,
  until,
  startTenant,
} from "./helpers";

describe("simulator: Graph authentication and authorization", () => {
  let tenant: SimulatedTenant;
  let token: string;
  let deviceId: string;
  let entraId: string;

  before(async () => {
    tenant = await startTenant({ fleet: { size: 10 } });
    token = await getToken(tenant);
    deviceId = healthyDeviceId(tenant);
    entraId = tenant.getDevice(deviceId)?.azureADDeviceId as string;
  });
  after(() => tenant?.close());

  function assertInvalidToken(c: Awaited<ReturnType<typeof call>>, message: RegExp): void {
    assert.equal(c.status, 401);
    const e = errorOf(c);
    assert.equal(e.code, "InvalidAuthenticationToken");
    assert.match(e.message, message);
    assert.match(e.innerError?.["request-id"] ?? "", /^[0-9a-f-]{36}$/);
    assert.match(c.headers.get("www-authenticate") ?? "", /^Bearer /);
  }

  it("401 without a token, with a tampered one and with one signed by another tenant", async () => {
    assertInvalidToken(
      await call(tenant, undefined, "/beta/deviceManagement/managedDevices"),
      /empty/,
    );
    const [h, p, s] = token.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, "base64url").toString()) as Record<string, unknown>;
    claims.roles = ["Everything.All"];
    const tampered = `${h}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${s}`;
    assertInvalidToken(
      await call(tenant, tampered, "/beta/deviceManagement/managedDevices"),
      /signature/,
    );

    const other = await startTenant({ fleet: false, port: 0, seed: "tests" });
    try {
      // Same seed, same tenant id and app, but another signing key (and another audience).
      const foreign = await getToken(other);
      const c = await call(tenant, foreign, "/beta/deviceManagement/managedDevices");
      assert.equal(c.status, 401);
    } finally {
      await other.close();
    }
  });

  it("401 once the token has expired", async () => {
    // Two seconds: the first call, made at once, lands well inside it even on a loaded machine.
    tenant.setTokenLifetime(2);
    try {
      const short = await getToken(tenant);
      assert.equal(
        (await call(tenant, short, `/beta/deviceManagement/managedDevices/${deviceId}`)).status,
        200,
      );
      // Expiry is the event awaited, not a guessed sleep: the first refusal must say expired.
      const refused = await until(async () => {
        const c = await call(tenant, short, `/beta/deviceManagement/managedDevices/${deviceId}`);
        return c.status === 200 ? undefined : c;
      });
      assertInvalidToken(refused, /expired/);
    } finally {
      tenant.setTokenLifetime(3599);
    }
  });

  it("a POST with a refused token changes nothing", async () => {
    tenant.log.clear();
    await call(tenant, "garbage", rotatePath(deviceId), { method: "POST" });
    assert.equal(tenant.log.count({ status: 401 }), 1);
    assert.equal(tenant.deviceInfo(deviceId)?.pending, false);
  });

  describe("403 per missing role", () => {
    async function tokenWith(roles: string[]): Promise<string> {
      const app = tenant.registerApp({ roles });
      return getToken(tenant, { clientId: app.clientId, clientSecret: app.clientSecret as string });
    }

    function assertIntuneForbidden(c: Awaited<ReturnType<typeof call>>, scopes: string[]): void {
      assert.equal(c.status, 403);
      const e = errorOf(c);
      assert.equal(e.code, "Forbidden");
      const inner = JSON.parse(e.message) as Record<string, unknown>;
      assert.equal(inner._version, 3);
      assert.equal(inner.RetryAfter, null);
      assert.equal(inner.HttpHeaders, "{}");
      assert.match(
        inner.Message as string,
        new RegExp(
          `^Application is not authorized to perform this operation\\. Application must have one of the following scopes: ${scopes.join(", ").replace(/\./g, "\\.")} - Operation ID \\(for customer support\\): 00000000-0000-0000-0000-000000000000 - Activity ID: ${e.innerError?.["request-id"]} - Url: https://`,
        ),
      );
    }

    it("rotateBitLockerKeys needs ManagedDevices.ReadWrite or Configuration.ReadWrite", async () => {
      const readOnly = await tokenWith([ROLES.managedDevicesRead, ROLES.bitlockerKeyReadBasic]);
      const refused = await call(tenant, readOnly, rotatePath(deviceId), { method: "POST" });
      assertIntuneForbidden(refused, [ROLES.managedDevicesReadWrite, ROLES.configurationReadWrite]);
      assert.equal(tenant.deviceInfo(deviceId)?.pending, false, "a refused POST changes nothing");
      const privileged = await tokenWith([ROLES.managedDevicesPrivileged]);
      assert.equal(
        (await call(tenant, privileged, rotatePath(deviceId), { method: "POST" })).status,
        403,
      );

      for (const role of [ROLES.managedDevicesReadWrite, ROLES.configurationReadWrite]) {
        const allowed = await tokenWith([role]);
        assert.equal(
          (await call(tenant, allowed, rotatePath(deviceId), { method: "POST" })).status,
          204,
          role,
        );
      }
    });

    it("device GETs need ManagedDevices.Read or ReadWrite", async () => {
      const keysOnly = await tokenWith([ROLES.bitlockerKeyReadBasic, ROLES.configurationReadWrite]);
      const scopes = [ROLES.managedDevicesRead, ROLES.managedDevicesReadWrite];
      assertIntuneForbidden(
        await call(tenant, keysOnly, "/beta/deviceManagement/managedDevices"),
        scopes,
      );
      assertIntuneForbidden(
        await call(tenant, keysOnly, `/beta/deviceManagement/managedDevices/${deviceId}`),
        scopes,
      );
      assertIntuneForbidden(
        await call(tenant, keysOnly, "/beta/deviceManagement/comanagedDevices"),
        scopes,
      );
      for (const role of scopes) {
        const allowed = await tokenWith([role]);
        assert.equal(
          (await call(tenant, allowed, `/beta/deviceManagement/managedDevices/${deviceId}`)).status,
          200,
        );
      }
    });

    it("recovery keys need BitlockerKey.ReadBasic or Read, refused in their own shape", async () => {
      const devicesOnly = await tokenWith([ROLES.managedDevicesReadWrite]);
      const path = `/v1.0/informationProtection/bitlocker/recoveryKeys?$filter=deviceId eq '${entraId}'`;
      const refused = await call(tenant, devicesOnly, path);
      assert.equal(refused.status, 403);
      assert.equal(errorOf(refused).code, "authorization_error");
      for (const role of [ROLES.bitlockerKeyReadBasic, ROLES.bitlockerKeyRead]) {
        const allowed = await tokenWith([role]);
        assert.equal((await call(tenant, allowed, path)).status, 200, role);
      }
    });

    it("an app with no roles gets a token without a roles claim, and 403 everywhere", async () => {
      const none = await tokenWith([]);
      const claims = JSON.parse(
        Buffer.from(none.split(".")[1] as string, "base64url").toString(),
      ) as Record<string, unknown>;
      assert.equal("roles" in claims, false);
      assert.equal((await call(tenant, none, "/beta/deviceManagement/managedDevices")).status, 403);
    });
  });
});
