// What the Entra endpoints share: the tenant, its apps and the token issuer.
import type { AppRegistry } from "./apps";
import type { TokenIssuer } from "./accessTokens";

export interface EntraContext {
  /** e.g. https://127.0.0.1:8443 — authority host and Graph base alike. */
  baseUrl: string;
  tenantId: string;
  apps: AppRegistry;
  tokens: TokenIssuer;
  /** Access token lifetime (Entra: 3599 s); small values let tests see expiry. */
  tokenLifetimeSeconds: number;
}

/** The Graph app's well-known application id: a scope on it means Graph. */
export const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";
