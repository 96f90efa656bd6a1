// Intune's limits as sliding windows, scaled by timeScale, counting every request.
import assert from "node:assert/strict";
import { INTUNE_LIMITS, scaleLimits, type SimulatedTenant } from "../../simulator/index";
import { Throttle } from "../../simulator/throttle";
import { call, getToken, rotatePath, sleep, startTenant } from "./helpers";

describe("simulator: throttling", () => {
  describe("the sliding window", () => {
    it("allows the limit per window, then refuses until the oldest request leaves it", () => {
      const t = new Throttle({
        windowMs: 1000,
        appWrites: 3,
        tenantWrites: 100,
        appAll: 100,
        tenantAll: 100,
      });
      for (let i = 0; i < 3; i++)
        assert.equal(t.check("app", "POST", 1000 + i * 100).throttled, false);
      const refused = t.check("app", "POST", 1300);
      assert.ok(refused.throttled);
      assert.equal(
        refused.retryAfterMs,
        1000 - 300 + 100,
        "when the 2nd request leaves the window, a new one fits",
      );
      assert.equal(refused.limit, "appWrites");
      assert.equal(t.check("app", "GET", 1300).throttled, false, "reads have their own limit");
      assert.equal(t.check("other-app", "POST", 1300).throttled, false, "per app");
    });

    it("keeps counting refused requests: retrying early extends the throttle", () => {
      const t = new Throttle({
        windowMs: 1000,
        appWrites: 2,
        tenantWrites: 100,
        appAll: 100,
        tenantAll: 100,
      });
      t.check("app", "POST", 0);
      t.check("app", "POST", 0);
      const a = t.check("app", "POST", 500);
      const b = t.check("app", "POST", 900);
      assert.ok(a.throttled && b.throttled);
      // Without counting refusals, time 1000 would be free; with it, the refusals at 500
      // and 900 fill the window until 1500.
      const c = t.check("app", "POST", 1000);
      assert.ok(c.throttled);
      assert.ok(c.retryAfterMs >= 500);
      assert.equal(t.check("app", "POST", 2000).throttled, false);
    });

    it("per tenant across apps", () => {
      const t = new Throttle({
        windowMs: 1000,
        appWrites: 10,
        tenantWrites: 3,
        appAll: 100,
        tenantAll: 100,
      });
      t.check("a", "POST", 0);
      t.check("b", "POST", 0);
      t.check("c", "POST", 0);
      const d = t.check("d", "POST", 0);
      assert.ok(d.throttled && d.limit === "tenantWrites");
    });

    it("timeScale runs the clock faster: 0.1 → 200 writes per 2 s", () => {
      const s = scaleLimits(0.1);
      assert.deepEqual(s, {
        windowMs: 2000,
        appWrites: 200,
        tenantWrites: 400,
        appAll: 2000,
        tenantAll: 4000,
      });
      assert.equal(
        (INTUNE_LIMITS.appWrites / INTUNE_LIMITS.windowMs) * 10,
        s.appWrites / s.windowMs,
      );
    });
  });

  describe("over HTTPS", () => {
    let tenant: SimulatedTenant;
    let token: string;

    before(async () => {
      // 20 writes per app per 2 s: small counts so the 21st request is reached quickly.
      tenant = await startTenant({
        fleet: { size: 40 },
        timeScale: 0.1,
        throttle: { appWrites: 20, tenantWrites: 40, appAll: 200, tenantAll: 400 },
        checkInDelayMs: null,
      });
      token = await getToken(tenant);
    });
    after(() => tenant?.close());

    it("refuses the 21st POST within 2 s with 429 TooManyRequests and Retry-After; reads still pass", async () => {
      const ids = tenant.listDevices({ operatingSystem: "Windows" }).map((d) => d.id);
      const statuses: number[] = [];
      for (let i = 0; i < 21; i++) {
        statuses.push(
          (await call(tenant, token, rotatePath(ids[i % ids.length] as string), { method: "POST" }))
            .status,
        );
      }
      assert.deepEqual(
        statuses.slice(0, 20).filter((s) => s === 429),
        [],
      );
      assert.equal(statuses[20], 429);
      const again = await call(tenant, token, rotatePath(ids[0] as string), { method: "POST" });
      assert.equal(again.status, 429);
      const retryAfter = Number(again.headers.get("retry-after"));
      assert.ok(
        retryAfter > 0 && retryAfter <= 2,
        `Retry-After ${again.headers.get("retry-after")}`,
      );
      assert.equal((again.body as { error: { code: string } }).error.code, "TooManyRequests");
      assert.equal(
        (await call(tenant, token, "/beta/deviceManagement/managedDevices?$top=1")).status,
        200,
      );
      assert.equal(tenant.log.count({ method: "POST", throttled: true }), 2);

      await sleep(retryAfter * 1000 + 50);
      assert.equal(
        (await call(tenant, token, rotatePath(ids[1] as string), { method: "POST" })).status,
        204,
      );
    });
  });
});
