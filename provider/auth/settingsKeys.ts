// Every setting this package reads, with its Pulumi config key and its environment variable.
// One table, so that resolution, error messages and `describeSettings` agree on the names.

export type SettingName =
  | "tenantId"
  | "clientId"
  | "clientSecret"
  | "clientCertificatePath"
  | "clientCertificatePassword"
  | "federatedTokenFile"
  | "authorityHost"
  | "cloud"
  | "graphEndpoint"
  | "credential"
  | "maxRetries"
  | "retryBudgetSeconds"
  | "requestTimeoutSeconds"
  | "postShareOfLimit"
  | "maxConnections"
  | "throttleWindowSeconds"
  | "maxRotationsPerUpdate";

export interface SettingKey {
  /** Pulumi stack config key (namespaced). */
  config: string;
  /** Environment variable. */
  env: string;
  /** Secret values are never echoed: not in errors, not in `describeSettings`. */
  secret: boolean;
}

export const SETTING_KEYS: Readonly<Record<SettingName, SettingKey>> = {
  tenantId: { config: "bitlocker:tenantId", env: "AZURE_TENANT_ID", secret: false },
  clientId: { config: "bitlocker:clientId", env: "AZURE_CLIENT_ID", secret: false },
  clientSecret: { config: "bitlocker:clientSecret", env: "AZURE_CLIENT_SECRET", secret: true },
  clientCertificatePath: {
    config: "bitlocker:clientCertificatePath",
    env: "AZURE_CLIENT_CERTIFICATE_PATH",
    secret: false,
  },
  clientCertificatePassword: {
    config: "bitlocker:clientCertificatePassword",
    env: "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    secret: true,
  },
  federatedTokenFile: {
    config: "bitlocker:federatedTokenFile",
    env: "AZURE_FEDERATED_TOKEN_FILE",
    secret: false,
  },
  authorityHost: { config: "bitlocker:authorityHost", env: "AZURE_AUTHORITY_HOST", secret: false },
  cloud: { config: "bitlocker:cloud", env: "BITLOCKER_CLOUD", secret: false },
  graphEndpoint: {
    config: "bitlocker:graphEndpoint",
    env: "BITLOCKER_GRAPH_ENDPOINT",
    secret: false,
  },
  credential: { config: "bitlocker:credential", env: "BITLOCKER_CREDENTIAL", secret: false },
  maxRetries: { config: "bitlocker:maxRetries", env: "BITLOCKER_MAX_RETRIES", secret: false },
  retryBudgetSeconds: {
    config: "bitlocker:retryBudgetSeconds",
    env: "BITLOCKER_RETRY_BUDGET_SECONDS",
    secret: false,
  },
  requestTimeoutSeconds: {
    config: "bitlocker:requestTimeoutSeconds",
    env: "BITLOCKER_REQUEST_TIMEOUT_SECONDS",
    secret: false,
  },
  postShareOfLimit: {
    config: "bitlocker:postShareOfLimit",
    env: "BITLOCKER_POST_SHARE_OF_LIMIT",
    secret: false,
  },
  maxConnections: {
    config: "bitlocker:maxConnections",
    env: "BITLOCKER_MAX_CONNECTIONS",
    secret: false,
  },
  throttleWindowSeconds: {
    config: "bitlocker:throttleWindowSeconds",
    env: "BITLOCKER_THROTTLE_WINDOW_SECONDS",
    secret: false,
  },
  maxRotationsPerUpdate: {
    config: "bitlocker:maxRotationsPerUpdate",
    env: "BITLOCKER_MAX_ROTATIONS_PER_UPDATE",
    secret: false,
  },
};

export const SETTING_NAMES = Object.keys(SETTING_KEYS) as SettingName[];
