// Access tokens: RS256 JWTs shaped like Entra's v1 app-only tokens for Graph, signed by a key
// made at start (published at jwks_uri) and checked by the simulated Graph on every request.
import { randomUUID } from "node:crypto";
import { loadJose, type CryptoKey, type JSONWebKeySet, type JWK, type JWTPayload } from "../jose";

import type { RegisteredApp } from "./apps";

interface AccessTokenClaims extends JWTPayload {
  tid: string;
  appid: string;
  roles?: string[];
}

export type TokenCheck =
  | { ok: true; claims: AccessTokenClaims }
  | { ok: false; reason: "empty" | "malformed" | "signature" | "expired" | "audience" | "issuer" };

/** How the client proved itself: Entra's appidacr (1 = secret, 2 = certificate/assertion). */
export type ClientAuthMethod = "secret" | "certificate" | "federated";

export class TokenIssuer {
  private constructor(
    private readonly privateKey: CryptoKey,
    private readonly publicKey: CryptoKey,
    private readonly publicJwk: JWK,
    readonly issuer: string,
    readonly audience: string,
    readonly tenantId: string,
  ) {}

  static async create(audience: string, tenantId: string): Promise<TokenIssuer> {
    const jose = await loadJose();
    const { privateKey, publicKey } = await jose.generateKeyPair("RS256", { extractable: true });
    const jwk = await jose.exportJWK(publicKey);
    const kid = await jose.calculateJwkThumbprint(jwk);
    const publicJwk: JWK = { ...jwk, kid, use: "sig", alg: "RS256" };
    // Graph's tokens are v1 tokens: issuer is the STS of the tenant.
    const issuer = `https://sts.windows.net/${tenantId}/`;
    return new TokenIssuer(privateKey, publicKey, publicJwk, issuer, audience, tenantId);
  }

  jwks(): JSONWebKeySet {
    return { keys: [this.publicJwk] };
  }

  async issue(
    app: RegisteredApp,
    lifetimeSeconds: number,
    method: ClientAuthMethod,
    now = Date.now(),
  ): Promise<string> {
    const jose = await loadJose();
    const iat = Math.floor(now / 1000);
    const claims: Record<string, unknown> = {
      aio: randomUUID(),
      app_displayname: app.displayName,
      appid: app.clientId,
      appidacr: method === "secret" ? "1" : "2",
      idp: this.issuer,
      idtyp: "app",
      oid: app.objectId,
      sub: app.objectId,
      tid: this.tenantId,
      uti: randomUUID().replace(/-/g, "").slice(0, 22),
      ver: "1.0",
    };
    // Entra omits `roles` when the app holds none.
    if (app.roles.length > 0) claims.roles = [...app.roles];
    // exp is rounded up: a token is good for at least `lifetimeSeconds` (rounded down, a
    // 1-second token issued late in a second expired at once: a flaky 401 in tests).
    return new jose.SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: this.publicJwk.kid as string })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(Math.ceil(now / 1000) + lifetimeSeconds)
      .sign(this.privateKey);
  }

  async verify(token: string | undefined): Promise<TokenCheck> {
    if (!token) return { ok: false, reason: "empty" };
    const jose = await loadJose();
    try {
      const { payload } = await jose.jwtVerify(token, this.publicKey, {
        algorithms: ["RS256"],
        issuer: this.issuer,
        audience: this.audience,
        clockTolerance: 0,
      });
      if (typeof payload.tid !== "string" || typeof payload.appid !== "string") {
        return { ok: false, reason: "malformed" };
      }
      return { ok: true, claims: payload as AccessTokenClaims };
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "ERR_JWT_EXPIRED") return { ok: false, reason: "expired" };
      if (code === "ERR_JWT_CLAIM_VALIDATION_FAILED") {
        const claim = (err as { claim?: string }).claim;
        if (claim === "aud") return { ok: false, reason: "audience" };
        if (claim === "iss") return { ok: false, reason: "issuer" };
        if (claim === "nbf") return { ok: false, reason: "expired" };
      }
      if (code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED")
        return { ok: false, reason: "signature" };
      return { ok: false, reason: "malformed" };
    }
  }
}
