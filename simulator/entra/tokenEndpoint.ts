// POST /{tenant}/oauth2/v2.0/token — the client-credentials grant with a secret or a
// client assertion. MSAL's extra parameters and headers are tolerated and ignored.
import { JSON_CONTENT_TYPE, type SimRequest, type SimResponse } from "../http/exchange";
import { aadsts, aadstsResponse, type AadstsError } from "./aadsts";
import type { ClientAuthMethod } from "./accessTokens";
import { checkClientAssertion } from "./clientAssertion";
import { GRAPH_APP_ID, type EntraContext } from "./context";
import { tenantNotFound } from "./discovery";

const JWT_BEARER_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** MSAL adds these to every request; they mean nothing to the client-credentials grant. */
const OIDC_SCOPES = new Set(["openid", "profile", "offline_access", "email"]);

export async function tokenEndpoint(
  req: SimRequest,
  ctx: EntraContext,
  tenant: string,
): Promise<SimResponse> {
  if (tenant !== ctx.tenantId) return tenantNotFound(req, ctx, tenant);
  const form = new URLSearchParams(req.body.toString("utf8"));
  const basic = parseBasicAuth(req.headers.authorization);
  const clientId = form.get("client_id") ?? basic?.clientId ?? null;
  if (clientId) req.appId = clientId;
  const fail = (e: AadstsError): SimResponse => aadstsResponse(req, e, ctx.baseUrl);

  const grantType = form.get("grant_type");
  if (!grantType) return fail(missing("grant_type"));
  if (grantType !== "client_credentials") {
    return fail(
      aadsts(
        400,
        "unsupported_grant_type",
        70003,
        `The app requested an unsupported grant type '${grantType}'.`,
      ),
    );
  }
  if (!clientId) return fail(missing("client_id"));
  const app = ctx.apps.get(clientId);
  if (!app) {
    return fail(
      aadsts(
        400,
        "unauthorized_client",
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${ctx.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      ),
    );
  }
  const scopeError = checkScope(form.get("scope"), ctx);
  if (scopeError) return fail(scopeError);

  let method: ClientAuthMethod;
  const secret = form.get("client_secret") ?? basic?.secret ?? null;
  const assertion = form.get("client_assertion");
  if (secret !== null) {
    if (!app.secrets.includes(secret)) {
      return fail(
        aadsts(
          401,
          "invalid_client",
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
        ),
      );
    }
    method = "secret";
  } else if (assertion !== null) {
    if (form.get("client_assertion_type") !== JWT_BEARER_ASSERTION_TYPE) {
      return fail(
        aadsts(
          400,
          "invalid_request",
          7000216,
          `'client_assertion_type' must be '${JWT_BEARER_ASSERTION_TYPE}'.`,
        ),
      );
    }
    const tokenUrl = `${ctx.baseUrl}/${ctx.tenantId}/oauth2/v2.0/token`;
    const check = await checkClientAssertion(assertion, app, [
      tokenUrl,
      `${ctx.baseUrl}/${ctx.tenantId}/v2.0`,
    ]);
    if (!check.ok) return fail(check.error);
    method = check.method;
  } else {
    return fail(
      aadsts(
        401,
        "invalid_client",
        7000216,
        "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
      ),
    );
  }

  const accessToken = await ctx.tokens.issue(app, ctx.tokenLifetimeSeconds, method);
  return {
    status: 200,
    headers: {
      "content-type": `${JSON_CONTENT_TYPE}; charset=utf-8`,
      "cache-control": "no-store, no-cache",
      "x-ms-request-id": req.requestId,
    },
    body: {
      token_type: "Bearer",
      expires_in: ctx.tokenLifetimeSeconds,
      ext_expires_in: ctx.tokenLifetimeSeconds,
      access_token: accessToken,
    },
  };
}

function checkScope(scope: string | null, ctx: EntraContext): AadstsError | null {
  if (!scope) return missing("scope");
  const scopes = scope.split(/\s+/).filter((s) => s !== "" && !OIDC_SCOPES.has(s));
  if (scopes.length !== 1) {
    return aadsts(
      400,
      "invalid_scope",
      70011,
      `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
    );
  }
  const only = scopes[0] as string;
  if (!only.endsWith("/.default")) {
    return aadsts(
      400,
      "invalid_scope",
      1002012,
      `The provided value for scope ${only} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  }
  const resource = only.slice(0, -"/.default".length).replace(/\/+$/, "");
  if (resource !== ctx.baseUrl && resource !== GRAPH_APP_ID) {
    return aadsts(
      400,
      "invalid_resource",
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${ctx.tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    );
  }
  return null;
}

function missing(parameter: string): AadstsError {
  return aadsts(
    400,
    "invalid_request",
    900144,
    `The request body must contain the following parameter: '${parameter}'.`,
  );
}

function parseBasicAuth(header: string | undefined): { clientId: string; secret: string } | null {
  const m = /^Basic\s+(.+)$/i.exec(header ?? "");
  if (!m) return null;
  const decoded = Buffer.from(m[1] as string, "base64").toString("utf8");
  const i = decoded.indexOf(":");
  if (i < 0) return null;
  return {
    clientId: decodeURIComponent(decoded.slice(0, i)),
    secret: decodeURIComponent(decoded.slice(i + 1)),
  };
}
