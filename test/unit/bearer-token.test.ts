// BearerToken (graph/bearerToken.ts): the token in hand is reused until its refresh time, renewed
// after it, kept through a failed renewal only while it has time left, and renewed once, past
// every cache, after a 401. The credential is a stub (an @azure/identity TokenCredential: not our
// code) and the clock is injected, so each rule is checked at exact instants.
import assert from "node:assert/strict";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import { AuthenticationError } from "../../provider/auth/authenticationError";
import { BearerToken } from "../../provider/graph/bearerToken";

const SCOPE = "https://graph.example/.default";
const MIN = 60_000;

/** A credential that hands out tok1, tok2, … and counts the calls; `fail` makes the next calls throw. */
class StubCredential implements TokenCredential {
  calls = 0;
  fail: Error | undefined;
  returnNull = false;
  /** Resolves each pending call when released (for the "shared" rules). */
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  constructor(
    private readonly clock: { t: number },
    private readonly lifetimeMs = 60 * MIN,
    private readonly refreshAfterMs?: number,
    readonly prefix = "tok",
  ) {}
  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }
  release(): void {
    this.open?.();
    this.gate = undefined;
  }
  async getToken(_scopes: string | string[], _o?: GetTokenOptions): Promise<AccessToken | null> {
    this.calls++;
    const n = this.calls;
    if (this.gate) await this.gate;
    if (this.fail) throw this.fail;
    if (this.returnNull) return null;
    return {
      token: `${this.prefix}${n}`,
      expiresOnTimestamp: this.clock.t + this.lifetimeMs,
      ...(this.refreshAfterMs !== undefined
        ? { refreshAfterTimestamp: this.clock.t + this.refreshAfterMs }
        : {}),
    };
  }
}

describe("BearerToken: token reuse and renewal", () => {
  it("reuses the token in hand: one credential call for many requests before the refresh time", async () => {
    const clock = { t: 1_000_000 };
    const cred = new StubCredential(clock);
    const bearer = new BearerToken(cred, SCOPE, undefined, () => clock.t);
    assert.equal(await bearer.get(), "tok1");
    clock.t += 54 * MIN; // 60 min token, refreshed 5 min before expiry: still before that
    assert.equal(await bearer.get(), "tok1");
    assert.equal(cred.calls, 1);
  });

  it("asks again from 5 minutes before expiry when the credential gives no refresh time", async () => {
    const clock = { t: 1_000_000 };
    const cred = new StubCredential(clock);
    const bearer = new BearerToken(cred, SCOPE, undefined, () => clock.t);
    await bearer.get();
    clock.t += 55 * MIN; // exactly expiry - 5 min
    assert.equal(await bearer.get(), "tok2");
    assert.equal(cred.calls, 2);
  });

  it("honours the credential's refreshAfterTimestamp over the 5-minute margin", async () => {
    const clock = { t: 1_000_000 };
    const cred = new StubCredential(clock, 60 * MIN, 10 * MIN);
    const bearer = new BearerToken(cred, SCOPE, undefined, () => clock.t);
    await bearer.get();
    clock.t += 10 * MIN - 1;
    assert.equal(await bearer.get(), "tok1");
    clock.t += 1;
    assert.equal(await bearer.get(), "tok2");
  });

  it("concurrent requests share one credential call", async () => {
    const clock = { t: 1_000_000 };
    const cred = new StubCredential(clock);
    cred.hold();
    const bearer = new BearerToken(cred, SCOPE, undefined, () => clock.t);
    const all = Promise.all([bearer.get(), bearer.get(), bearer.get()]);
    cred.release();
    assert.deepEqual(await all, ["tok1", "tok1", "tok1"]);
    assert.equal(cred.calls, 1);
  });

  it("keeps the token in hand through a failed renewal while it has more than 30 s left", async () => {
    const clock = { t: 1_000_000 };
    const cred = new StubCredential(clock);
    const bearer = new BearerToken(cred, SCOPE, undefined, () => clock.t);
    await bearer.get();
    cred.fail = new AuthenticationError({
      message: "Entra ID is down",
      aadstsCode: undefined,
      azureErrorName: "AuthenticationError",
      credential: undefined,
      tenantId: undefined,
      clientId: undefined,
      hint: "try again later",
    });
    clock.t += 60 * MIN - 30_001; // 30.001 s left
    assert.equal(await bearer.get(), "tok1");
    clock.t += 1; // exactly 30 s left: no longer used
    await assert.rejects(bearer.get(), (e: Error) => e === cred.fail);
  });

  it("a credential that returns no token is an AuthenticationError, not an empty bearer", async () => {
    const clock = { t: 0 };
    const cred = new StubCredential(clock);
    cred.returnNull = true;
    const bearer = new BearerToken(cred, SCOPE, undefined, () => clock.t);
    await assert.rejects(bearer.get(), (e: Error) => {
      assert.ok(e instanceof AuthenticationError, `got ${e.name}`);
      assert.match(e.message, /returned no token/);
      return true;
    });
  });

  it("after a 401, renews from a fresh (uncached) credential even though the token is not due", async () => {
    const clock = { t: 1_000_000 };
    const cached = new StubCredential(clock, 60 * MIN, undefined, "cached");
    const fresh: StubCredential[] = [];
    const bearer = new BearerToken(
      cached,
      SCOPE,
      () => {
        const c = new StubCredential(clock, 60 * MIN, undefined, "fresh");
        fresh.push(c);
        return c;
      },
      () => clock.t,
    );
    assert.equal(await bearer.get(), "cached1");
    assert.equal(await bearer.renew("cached1"), "fresh1");
    assert.equal(cached.calls, 1, "the cached credential is not asked again");
    // The renewed token is the one in hand from now on.
    assert.equal(await bearer.get(), "fresh1");
    assert.equal(fresh.length, 1);
  });

  it("concurrent 401s for the same token share one renewal", async () => {
    const clock = { t: 1_000_000 };
    const cred = new StubCredential(clock);
    const bearer = new BearerToken(cred, SCOPE, undefined, () => clock.t);
    await bearer.get();
    cred.hold();
    const renewals = Promise.all([
      bearer.renew("tok1"),
      bearer.renew("tok1"),
      bearer.renew("tok1"),
    ]);
    cred.release();
    assert.deepEqual(await renewals, ["tok2", "tok2", "tok2"]);
    assert.equal(cred.calls, 2);
  });

  it("a 401 for a token already replaced reuses the replacement, unless it is about to expire", async () => {
    const clock = { t: 1_000_000 };
    const cred = new StubCredential(clock);
    const bearer = new BearerToken(cred, SCOPE, undefined, () => clock.t);
    await bearer.get();
    assert.equal(await bearer.renew("tok1"), "tok2");
    // A request sent with tok1 before the renewal comes back 401 now: tok2 is already in hand.
    assert.equal(await bearer.renew("tok1"), "tok2");
    assert.equal(cred.calls, 2);
    // With 30 s or less left, the replacement is not trusted: renew again.
    clock.t += 60 * MIN - 30_000;
    assert.equal(await bearer.renew("tok1"), "tok3");
  });
});
