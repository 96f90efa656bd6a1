// The Microsoft clouds this package can talk to: where Graph lives, where Entra ID issues
// tokens, and the scope that asks for Graph's application permissions.
import type { CloudName } from "./types";

export interface CloudEndpoints {
  /** Graph origin, no trailing slash. */
  graphBaseUrl: string;
  /** Entra ID authority host, no trailing slash. */
  authorityHost: string;
  /** The `.default` scope: "every application permission admin-consented for Graph". */
  scope: string;
}

export const CLOUD_NAMES: readonly CloudName[] = ["global", "usgov", "usgovdod", "china"];

export const CLOUDS: Readonly<Record<CloudName, CloudEndpoints>> = {
  global: {
    graphBaseUrl: "https://graph.microsoft.com",
    authorityHost: "https://login.microsoftonline.com",
    scope: "https://graph.microsoft.com/.default",
  },
  usgov: {
    graphBaseUrl: "https://graph.microsoft.us",
    authorityHost: "https://login.microsoftonline.us",
    scope: "https://graph.microsoft.us/.default",
  },
  usgovdod: {
    graphBaseUrl: "https://dod-graph.microsoft.us",
    authorityHost: "https://login.microsoftonline.us",
    scope: "https://dod-graph.microsoft.us/.default",
  },
  china: {
    graphBaseUrl: "https://microsoftgraph.chinacloudapi.cn",
    authorityHost: "https://login.chinacloudapi.cn",
    scope: "https://microsoftgraph.chinacloudapi.cn/.default",
  },
};

/**
 * Authority hosts MSAL knows. Any other host (a simulator, a proxy) needs
 * `disableInstanceDiscovery`, or MSAL asks login.microsoftonline.com whether it is trusted.
 */
const KNOWN_AUTHORITY_HOSTS = new Set([
  "login.microsoftonline.com",
  "login.microsoft.com",
  "login.windows.net",
  "login.sts.windows.net",
  "login.microsoftonline.us",
  "login.usgovcloudapi.net",
  "login.chinacloudapi.cn",
  "login.partner.microsoftonline.cn",
]);

export function isCloudName(value: string): value is CloudName {
  return (CLOUD_NAMES as readonly string[]).includes(value);
}

export function isKnownAuthorityHost(authorityHost: string): boolean {
  try {
    return KNOWN_AUTHORITY_HOSTS.has(new URL(authorityHost).hostname.toLowerCase());
  } catch {
    return false;
  }
}

/** The `.default` scope for a Graph origin. */
export function scopeFor(graphBaseUrl: string): string {
  return `${graphBaseUrl}/.default`;
}
