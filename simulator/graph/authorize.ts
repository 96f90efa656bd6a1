// Bearer-token checks (401 InvalidAuthenticationToken) and application-permission checks
// (403 in the shape of the service that refuses: Intune or the BitLocker key service).
import { graphError, intuneError, type SimRequest, type SimResponse } from "../http/exchange";
import type { GraphContext, Principal } from "./context";

const TOKEN_MESSAGES: Record<string, string> = {
  empty: "Access token is empty.",
  malformed: "Access token validation failure. Invalid token.",
  signature: "Access token validation failure. Invalid signature.",
  expired: "Lifetime validation failed, the token is expired.",
  audience: "Access token validation failure. Invalid audience.",
  issuer: "Access token validation failure. Invalid issuer.",
};

export async function authenticate(
  req: SimRequest,
  ctx: GraphContext,
): Promise<Principal | SimResponse> {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
  const check = await ctx.tokens.verify(m?.[1]);
  if (!check.ok) {
    return graphError(
      req,
      401,
      "InvalidAuthenticationToken",
      TOKEN_MESSAGES[check.reason] ?? "Access token validation failure.",
      {
        "www-authenticate": `Bearer realm="", authorization_uri="${ctx.baseUrl}/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
      },
    );
  }
  const { claims } = check;
  req.appId = claims.appid;
  return { appId: claims.appid, tenantId: claims.tid, roles: claims.roles ?? [] };
}

export function hasAnyRole(principal: Principal, roles: readonly string[]): boolean {
  return roles.some((r) => principal.roles.includes(r));
}

export function intuneForbidden(req: SimRequest, roles: readonly string[]): SimResponse {
  return intuneError(
    req,
    403,
    "Forbidden",
    `Application is not authorized to perform this operation. Application must have one of the following scopes: ${roles.join(", ")}`,
  );
}

export function bitlockerForbidden(req: SimRequest): SimResponse {
  return graphError(
    req,
    403,
    "authorization_error",
    "Failed to authorize, token doesn't have the required permissions.",
  );
}
