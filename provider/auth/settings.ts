// Settings: Pulumi stack config (`bitlocker:*`) wins over the environment (`AZURE_*`,
// `BITLOCKER_*`), key by key. Pure: the caller passes both maps, nothing is read from disk.
import { isGuid } from "../plan/ids";
import { quoteForMessage } from "../plan/quote";
import { inspect } from "node:util";
import { CLOUDS, CLOUD_NAMES, isCloudName, isKnownAuthorityHost, scopeFor } from "../graph/clouds";
import type { CloudName } from "../graph/types";
import { DEFAULT_RETRY_CONFIG } from "../graph/retryPolicy";
import { checkOrigin } from "./endpointUrl";
import { SettingsError, type SettingSource } from "./settingsError";
import { SETTING_KEYS, SETTING_NAMES, type SettingName } from "./settingsKeys";

export { SettingsError } from "./settingsError";
export { SETTING_KEYS, type SettingName } from "./settingsKeys";

/** A credential this package can build. */
export type CredentialKind =
  | "clientSecret"
  | "clientCertificate"
  | "workloadIdentity"
  | "managedIdentity"
  | "azureCli"
  | "default";

/** What a user may ask for: a kind, or `auto` (pick from what is present). */
type CredentialChoice = "auto" | CredentialKind;

const CREDENTIAL_CHOICES: readonly CredentialChoice[] = [
  "auto",
  "clientSecret",
  "clientCertificate",
  "workloadIdentity",
  "managedIdentity",
  "azureCli",
  "default",
];

/** What each credential kind cannot do without. */
const REQUIRED_BY_KIND: Readonly<Record<CredentialKind, readonly SettingName[]>> = {
  clientSecret: ["tenantId", "clientId", "clientSecret"],
  clientCertificate: ["tenantId", "clientId", "clientCertificatePath"],
  workloadIdentity: ["tenantId", "clientId", "federatedTokenFile"],
  managedIdentity: [],
  azureCli: [],
  default: [],
};

export interface Settings {
  cloud: CloudName;
  /** Graph origin, no trailing slash (the cloud's, or `graphEndpoint`). */
  graphBaseUrl: string;
  /** `${graphBaseUrl}/.default`. */
  scope: string;
  /** Entra ID authority origin (the cloud's, or `authorityHost`). */
  authorityHost: string;
  /** True when the authority is not a Microsoft one (MSAL must not ask Microsoft about it). */
  disableInstanceDiscovery: boolean;
  /** The credential that will be built (never "auto"). */
  credential: CredentialKind;
  /** What was asked for. */
  credentialChoice: CredentialChoice;
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  clientCertificatePath?: string;
  clientCertificatePassword?: string;
  federatedTokenFile?: string;
  /** Retries per request after the first attempt. */
  maxRetries: number;
  /** Total time one request may spend, retries and waits included. */
  retryBudgetSeconds: number;
  /** Time one attempt may wait for response headers, and between body chunks. */
  requestTimeoutSeconds: number;
  /** Share (0–1] of Intune's POST limit (200 per 20 s per app) this program may use. */
  postShareOfLimit: number;
  /** Upper bound on concurrent connections to Graph. */
  maxConnections: number;
  /**
   * Intune's throttle window in seconds (20). Shorter only against a time-scaled simulated
   * tenant, which tells the engine its window this way.
   */
  throttleWindowSeconds: number;
  /** Blast-radius guard: most devices one fleet change may rotate (plan/fleet/guard.ts). */
  maxRotationsPerUpdate: number;
  /** Where each value came from. */
  sources: Partial<Record<SettingName, SettingSource>>;
}

export const DEFAULT_TUNING = {
  // The retry defaults live with the retry decision (graph/retryPolicy.ts), once.
  maxRetries: DEFAULT_RETRY_CONFIG.maxRetries,
  retryBudgetSeconds: DEFAULT_RETRY_CONFIG.budgetMs / 1000,
  requestTimeoutSeconds: 30,
  // All of 200 POST per 20 s: the pacer holds each request's place until a window after its
  // answer, which is the margin (engine/fleet/windowPacer.ts). Lower it when other tools use the app.
  postShareOfLimit: 1,
  maxConnections: 16,
  // Intune's window: 200 POST per 20 s per app.
  throttleWindowSeconds: 20,
  // Small on purpose: a pilot ring or an incident's handful passes; a change that would rotate
  // a whole fleet (often an accidental edit of the fleet's token) stops at preview until the
  // limit is raised in the same pull request (docs/concepts.md#blast-radius).
  maxRotationsPerUpdate: 100,
} as const;

type Raw = { value: string; source: "config" | "env" };
type Env = Record<string, string | undefined>;

/** Config first, then env; blank values count as unset (CI often exports empty variables). */
function pick(name: SettingName, config: Env, env: Env): Raw | undefined {
  const keys = SETTING_KEYS[name];
  const fromConfig = config[keys.config]?.trim();
  if (fromConfig) return { value: fromConfig, source: "config" };
  const fromEnv = env[keys.env]?.trim();
  if (fromEnv) return { value: fromEnv, source: "env" };
  return undefined;
}

/** Quotes a value for an error message unless it is secret; URLs lose their user info. */
function shown(name: SettingName, value: string): string {
  if (SETTING_KEYS[name].secret) return "";
  return `; got ${quoteForMessage(redactUserInfo(value), 80)}`;
}

/**
 * `https://user:password@host` → `https://<redacted>@host`. Applied to any value, parsable
 * as a URL or not, since the value is wrong when it is shown.
 */
function redactUserInfo(value: string): string {
  return value.replace(
    /^([a-z][a-z0-9+.-]*:\/\/)?[^/?#]*@/i,
    (_all, scheme: string | undefined) => `${scheme ?? ""}<redacted>@`,
  );
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
/** Multi-tenant aliases: app-only tokens need one specific tenant. */
const TENANT_ALIASES = new Set(["common", "organizations", "consumers"]);

function parseNumber(
  name: SettingName,
  raw: Raw | undefined,
  fallback: number,
  rule: { min: number; max: number; integer: boolean; minExclusive?: boolean },
): number {
  if (!raw) return fallback;
  const n = Number(raw.value);
  const tooLow = rule.minExclusive ? n <= rule.min : n < rule.min;
  if (!Number.isFinite(n) || tooLow || n > rule.max || (rule.integer && !Number.isInteger(n))) {
    const kind = rule.integer ? "an integer" : "a number";
    const lower = rule.minExclusive ? `greater than ${rule.min}` : `at least ${rule.min}`;
    throw new SettingsError(
      name,
      raw.source,
      `must be ${kind} ${lower} and at most ${rule.max}${shown(name, raw.value)}`,
    );
  }
  return n;
}

/** Upper bound accepted for maxRotationsPerUpdate: the largest fleet (MAX_FLEET_SIZE, plan/inputs.ts). */
const MAX_ROTATIONS_LIMIT = 100_000;

/**
 * The blast-radius limit alone, for check/diff, which must not need credentials. Config over
 * env like every key; throws `SettingsError` naming the key when the value is not a count.
 */
export function resolveMaxRotationsPerUpdate(config: Env, env: Env): number {
  return parseNumber(
    "maxRotationsPerUpdate",
    pick("maxRotationsPerUpdate", config, env),
    DEFAULT_TUNING.maxRotationsPerUpdate,
    { min: 0, max: MAX_ROTATIONS_LIMIT, integer: true },
  );
}

/** Bounds of each numeric setting (its default is in DEFAULT_TUNING). */
const TUNING_RULES = {
  maxRetries: { min: 0, max: 20, integer: true },
  retryBudgetSeconds: { min: 0, max: 3600, integer: false, minExclusive: true },
  requestTimeoutSeconds: { min: 0, max: 600, integer: false, minExclusive: true },
  postShareOfLimit: { min: 0, max: 1, integer: false, minExclusive: true },
  maxConnections: { min: 1, max: 256, integer: true },
  throttleWindowSeconds: { min: 0, max: 3600, integer: false, minExclusive: true },
} as const;

type RawSettings = Record<SettingName, Raw | undefined>;
type Sources = Partial<Record<SettingName, SettingSource>>;

/**
 * Resolves settings from Pulumi stack config and the environment. Throws `SettingsError`
 * naming the offending key (never a secret value).
 */
export function resolveSettings(config: Env, env: Env): Settings {
  const raw = Object.fromEntries(
    SETTING_NAMES.map((n) => [n, pick(n, config, env)]),
  ) as RawSettings;
  const sources: Sources = {};
  for (const name of SETTING_NAMES) {
    const r = raw[name];
    if (r) sources[name] = r.source;
  }
  const endpoints = resolveEndpoints(raw, sources);
  checkIdentity(raw);
  const credential = resolveCredential(raw, sources);
  const settings: Settings = {
    ...endpoints,
    disableInstanceDiscovery: !isKnownAuthorityHost(endpoints.authorityHost),
    ...credential,
    ...optional("tenantId", raw.tenantId),
    ...optional("clientId", raw.clientId),
    ...optional("clientSecret", raw.clientSecret),
    ...optional("clientCertificatePath", raw.clientCertificatePath),
    ...optional("clientCertificatePassword", raw.clientCertificatePassword),
    ...optional("federatedTokenFile", raw.federatedTokenFile),
    ...resolveTuning(raw),
    maxRotationsPerUpdate: resolveMaxRotationsPerUpdate(config, env),
    sources,
  };
  return redactWhenPrinted(settings);
}

/** The cloud, then the endpoints it implies unless overridden. */
function resolveEndpoints(
  raw: RawSettings,
  sources: Sources,
): Pick<Settings, "cloud" | "graphBaseUrl" | "scope" | "authorityHost"> {
  let cloud: CloudName = "global";
  if (raw.cloud) {
    const value = raw.cloud.value.toLowerCase();
    if (!isCloudName(value)) {
      throw new SettingsError(
        "cloud",
        raw.cloud.source,
        `must be one of ${CLOUD_NAMES.join(", ")}${shown("cloud", raw.cloud.value)}`,
      );
    }
    cloud = value;
  } else {
    sources.cloud = "default";
  }
  const endpoints = CLOUDS[cloud];

  let graphBaseUrl = endpoints.graphBaseUrl;
  let scope = endpoints.scope;
  if (raw.graphEndpoint) {
    graphBaseUrl = origin("graphEndpoint", raw.graphEndpoint, true);
    scope = scopeFor(graphBaseUrl);
  } else {
    sources.graphEndpoint = "default";
  }

  let authorityHost = endpoints.authorityHost;
  if (raw.authorityHost) {
    authorityHost = origin("authorityHost", raw.authorityHost, false);
  } else {
    sources.authorityHost = "default";
  }
  return { cloud, graphBaseUrl, scope, authorityHost };
}

/** An endpoint override's origin, or a SettingsError saying what is wrong with it. */
function origin(name: "graphEndpoint" | "authorityHost", raw: Raw, graph: boolean): string {
  const check = checkOrigin(raw.value, graph);
  if (!check.ok) {
    throw new SettingsError(name, raw.source, `${check.problem}${shown(name, raw.value)}`);
  }
  return check.origin;
}

/** The tenant names one tenant; the client id is a GUID. */
function checkIdentity(raw: RawSettings): void {
  if (raw.tenantId) {
    const v = raw.tenantId.value;
    if (TENANT_ALIASES.has(v.toLowerCase())) {
      throw new SettingsError(
        "tenantId",
        raw.tenantId.source,
        `must name one tenant (its GUID or a verified domain), not "${v}": app-only tokens are issued per tenant`,
      );
    }
    if (!isGuid(v) && !DOMAIN.test(v)) {
      throw new SettingsError(
        "tenantId",
        raw.tenantId.source,
        `must be a tenant GUID or a domain such as contoso.onmicrosoft.com${shown("tenantId", v)}`,
      );
    }
  }
  if (raw.clientId && !isGuid(raw.clientId.value)) {
    throw new SettingsError(
      "clientId",
      raw.clientId.source,
      `must be the application (client) GUID${shown("clientId", raw.clientId.value)}`,
    );
  }
}

/** What was asked for, what will be built, and that its required settings are present. */
function resolveCredential(
  raw: RawSettings,
  sources: Sources,
): Pick<Settings, "credential" | "credentialChoice"> {
  let credentialChoice: CredentialChoice = "auto";
  if (raw.credential) {
    const asked = raw.credential.value.toLowerCase();
    const match = CREDENTIAL_CHOICES.find((c) => c.toLowerCase() === asked);
    if (!match) {
      throw new SettingsError(
        "credential",
        raw.credential.source,
        `must be one of ${CREDENTIAL_CHOICES.join(", ")}${shown("credential", raw.credential.value)}`,
      );
    }
    credentialChoice = match;
  } else {
    sources.credential = "default";
  }
  // auto with no credential material resolves to "default", but createCredential refuses to
  // build it (missingCredential): an explicit choice is needed for the whole chain.
  const credential: CredentialKind =
    credentialChoice !== "auto"
      ? credentialChoice
      : raw.clientSecret
        ? "clientSecret"
        : raw.clientCertificatePath
          ? "clientCertificate"
          : raw.federatedTokenFile
            ? "workloadIdentity"
            : "default";
  for (const needed of REQUIRED_BY_KIND[credential]) {
    if (!raw[needed]) {
      const why = credentialChoice === "auto" ? `${credential} (picked by auto)` : credential;
      throw new SettingsError(needed, undefined, `is required by the ${why} credential`);
    }
  }
  return { credential, credentialChoice };
}

/** Each numeric setting, within its bounds (TUNING_RULES), or its default. */
function resolveTuning(raw: RawSettings): Record<keyof typeof TUNING_RULES, number> {
  const names = Object.keys(TUNING_RULES) as (keyof typeof TUNING_RULES)[];
  return Object.fromEntries(
    names.map((n) => [n, parseNumber(n, raw[n], DEFAULT_TUNING[n], TUNING_RULES[n])]),
  ) as Record<keyof typeof TUNING_RULES, number>;
}

function optional<K extends SettingName>(name: K, raw: Raw | undefined): { [P in K]?: string } {
  return raw ? ({ [name]: raw.value } as { [P in K]?: string }) : {};
}

/** Which settings an unattended run lacks, and the alternatives that need none of them. */
export function missingCredential(settings: Settings): SettingsError | undefined {
  if (settings.credentialChoice !== "auto" || settings.credential !== "default") return undefined;
  const both = (n: SettingName) => `${SETTING_KEYS[n].config} (${SETTING_KEYS[n].env})`;
  const missing = [
    ...(settings.tenantId ? [] : [`the tenant id ${both("tenantId")}`]),
    ...(settings.clientId ? [] : [`the application (client) id ${both("clientId")}`]),
    `one of ${both("clientSecret")}, ${both("clientCertificatePath")} or ${both("federatedTokenFile")}`,
  ];
  return new SettingsError(
    "credential",
    undefined,
    `no credential is configured. Missing: ${missing.join("; ")}. ` +
      `Or set ${both("credential")} to managedIdentity (an Azure host), azureCli (after \`az login\`) or default (the whole DefaultAzureCredential chain)`,
    { whole: true },
  );
}

/** The settings as name → printable value (secrets redacted), with where each came from. */
function settingsSummary(settings: Settings): Record<string, string> {
  const source = (name: SettingName): string => {
    const s = settings.sources[name];
    if (s === "config") return ` (config ${SETTING_KEYS[name].config})`;
    if (s === "env") return ` (env ${SETTING_KEYS[name].env})`;
    return " (default)";
  };
  const secret = (name: SettingName, v: string | undefined) =>
    v === undefined ? undefined : `<redacted>${source(name)}`;
  const plain = (name: SettingName, v: string | number | undefined) =>
    v === undefined ? undefined : `${v}${source(name)}`;
  const entries: [string, string | undefined][] = [
    ["cloud", plain("cloud", settings.cloud)],
    ["graphEndpoint", plain("graphEndpoint", settings.graphBaseUrl)],
    ["scope", settings.scope],
    ["authorityHost", plain("authorityHost", settings.authorityHost)],
    ["disableInstanceDiscovery", String(settings.disableInstanceDiscovery)],
    ["credential", describeCredential(settings, source("credential"))],
    ["tenantId", plain("tenantId", settings.tenantId)],
    ["clientId", plain("clientId", settings.clientId)],
    ["clientSecret", secret("clientSecret", settings.clientSecret)],
    ["clientCertificatePath", plain("clientCertificatePath", settings.clientCertificatePath)],
    [
      "clientCertificatePassword",
      secret("clientCertificatePassword", settings.clientCertificatePassword),
    ],
    ["federatedTokenFile", plain("federatedTokenFile", settings.federatedTokenFile)],
    ["maxRetries", plain("maxRetries", settings.maxRetries)],
    ["retryBudgetSeconds", plain("retryBudgetSeconds", settings.retryBudgetSeconds)],
    ["requestTimeoutSeconds", plain("requestTimeoutSeconds", settings.requestTimeoutSeconds)],
    ["postShareOfLimit", plain("postShareOfLimit", settings.postShareOfLimit)],
    ["maxConnections", plain("maxConnections", settings.maxConnections)],
    ["throttleWindowSeconds", plain("throttleWindowSeconds", settings.throttleWindowSeconds)],
    ["maxRotationsPerUpdate", plain("maxRotationsPerUpdate", settings.maxRotationsPerUpdate)],
  ];
  return Object.fromEntries(entries.filter((e): e is [string, string] => e[1] !== undefined));
}

/** `clientSecret (auto)`, or `clientCertificate (config bitlocker:credential)`. */
function describeCredential(settings: Settings, source: string): string {
  if (settings.credentialChoice !== "auto") return `${settings.credential}${source}`;
  return settings.sources.credential === "default"
    ? `${settings.credential} (auto)`
    : `${settings.credential} (auto, ${source.slice(2)}`;
}

/** Multi-line description, safe to print: secrets are redacted, sources are named. */
export function describeSettings(settings: Settings): string {
  return Object.entries(settingsSummary(settings))
    .map(([k, v]) => `${k}: ${v}`)
    .join("\n");
}

/**
 * Makes `JSON.stringify(settings)`, `console.log(settings)` and `util.inspect` print the
 * redacted summary, so a stray log line cannot leak the secret. Non-enumerable: the
 * object still compares and spreads as plain data.
 */
function redactWhenPrinted(settings: Settings): Settings {
  Object.defineProperty(settings, "toJSON", {
    value: () => settingsSummary(settings),
    enumerable: false,
  });
  Object.defineProperty(settings, inspect.custom, {
    value: () => settingsSummary(settings),
    enumerable: false,
  });
  return settings;
}
