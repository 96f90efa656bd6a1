// Entra's metadata endpoints: OpenID configuration, signing keys, and the instance discovery
// MSAL calls unless told `disableInstanceDiscovery`.
import { jsonResponse, type SimRequest, type SimResponse } from "../http/exchange";
import { aadsts, aadstsResponse } from "./aadsts";
import type { EntraContext } from "./context";

const DISCOVERY_TENANTS = new Set(["common", "organizations", "consumers"]);

export function openIdConfiguration(
  req: SimRequest,
  ctx: EntraContext,
  tenant: string,
): SimResponse {
  if (tenant !== ctx.tenantId && !DISCOVERY_TENANTS.has(tenant))
    return tenantNotFound(req, ctx, tenant);
  const b = ctx.baseUrl;
  const t = tenant;
  // For the multi-tenant aliases Entra publishes an issuer template with {tenantid}.
  const issuerTenant = DISCOVERY_TENANTS.has(tenant) ? "{tenantid}" : ctx.tenantId;
  const host = new URL(b).host;
  return jsonResponse(200, {
    token_endpoint: `${b}/${t}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: [
      "client_secret_post",
      "private_key_jwt",
      "client_secret_basic",
    ],
    jwks_uri: `${b}/${t}/discovery/v2.0/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    issuer: `${b}/${issuerTenant}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${b}/oidc/userinfo`,
    authorization_endpoint: `${b}/${t}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${b}/${t}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${b}/${t}/oauth2/v2.0/logout`,
    claims_supported: [
      "sub",
      "iss",
      "aud",
      "exp",
      "iat",
      "auth_time",
      "acr",
      "nonce",
      "tid",
      "ver",
    ],
    kerberos_endpoint: `${b}/${t}/kerberos`,
    tenant_region_scope: null,
    cloud_instance_name: host,
    cloud_graph_host_name: host,
    msgraph_host: host,
    rbac_url: b,
  });
}

export function signingKeys(ctx: EntraContext): SimResponse {
  return jsonResponse(200, ctx.tokens.jwks());
}

/** GET /common/discovery/instance?api-version=1.1&authorization_endpoint=… */
export function instanceDiscovery(req: SimRequest, ctx: EntraContext): SimResponse {
  const endpoint = req.url.searchParams.get("authorization_endpoint") ?? "";
  const tenant = /^https:\/\/[^/]+\/([^/]+)\//.exec(endpoint)?.[1] ?? ctx.tenantId;
  const host = new URL(ctx.baseUrl).host;
  return jsonResponse(200, {
    tenant_discovery_endpoint: `${ctx.baseUrl}/${tenant}/v2.0/.well-known/openid-configuration`,
    "api-version": "1.1",
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  });
}

export function tenantNotFound(req: SimRequest, ctx: EntraContext, tenant: string): SimResponse {
  return aadstsResponse(
    req,
    aadsts(
      400,
      "invalid_tenant",
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    ),
    ctx.baseUrl,
  );
}
