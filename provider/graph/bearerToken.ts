// The bearer token for Graph. @azure/identity (MSAL) caches tokens and refreshes them before
// they expire; this keeps the current one in hand so a request does not ask the credential
// each time (the az CLI credential starts a process per call), and renews it once after a 401.
import type { AccessToken, TokenCredential } from "@azure/identity";
import { AuthenticationError, toAuthenticationError } from "../auth/authenticationError";

/** Refresh this long before expiry when the credential gives no refresh time. */
const REFRESH_MARGIN_MS = 5 * 60_000;
/** A token with less left than this is not used even if renewing it failed. */
const MIN_VALIDITY_MS = 30_000;

export class BearerToken {
  private current: AccessToken | undefined;
  private pending: Promise<AccessToken> | undefined;
  private renewing: Promise<AccessToken> | undefined;

  constructor(
    private credential: TokenCredential,
    private readonly scope: string,
    /** A credential with an empty cache, used after a 401 (see createUncachedCredential). */
    private readonly renewCredential: (() => TokenCredential) | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** A token good for the next request. */
  async get(): Promise<string> {
    const token = this.current;
    if (token && this.now() < refreshAt(token)) return token.token;
    try {
      return (await this.fetch()).token;
    } catch (err) {
      // Renewal failed, but the token in hand is still good for a while: use it.
      if (token && token.expiresOnTimestamp - this.now() > MIN_VALIDITY_MS) return token.token;
      throw err;
    }
  }

  /**
   * Graph rejected `rejected` with 401: get a token from Entra ID again, bypassing every
   * cache. Concurrent 401s for the same token share one renewal.
   */
  async renew(rejected: string): Promise<string> {
    if (this.pending) await this.pending.catch(() => undefined);
    // Another request already renewed it: reuse that one, but only while it is still valid.
    if (
      this.current &&
      this.current.token !== rejected &&
      this.current.expiresOnTimestamp - this.now() > MIN_VALIDITY_MS
    ) {
      return this.current.token;
    }
    this.renewing ??= (async () => {
      this.current = undefined;
      if (this.renewCredential) this.credential = this.renewCredential();
      return this.fetch();
    })().finally(() => {
      this.renewing = undefined;
    });
    return (await this.renewing).token;
  }

  private fetch(): Promise<AccessToken> {
    this.pending ??= this.ask().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async ask(): Promise<AccessToken> {
    let token: AccessToken | null;
    try {
      token = await this.credential.getToken(this.scope);
    } catch (err) {
      throw err instanceof AuthenticationError
        ? err
        : toAuthenticationError(err, { authorityHost: "the authority" });
    }
    if (!token) {
      throw toAuthenticationError(new Error("the credential returned no token"), {
        authorityHost: "the authority",
      });
    }
    this.current = token;
    return token;
  }
}

function refreshAt(token: AccessToken): number {
  return token.refreshAfterTimestamp ?? token.expiresOnTimestamp - REFRESH_MARGIN_MS;
}
