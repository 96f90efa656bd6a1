// Builds the @azure/identity credential that the settings ask for. One instance per process
// and settings, so MSAL's token cache is shared by every resource the engine handles.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import {
  type AccessToken,
  type GetTokenOptions,
  type TokenCredential,
  AzureCliCredential,
  type ClientSecretCredentialOptions,
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  ManagedIdentityCredential,
} from "@azure/identity";
import { toAuthenticationError } from "./authenticationError";
import { missingCredential, type Settings } from "./settings";

export type { TokenCredential } from "@azure/identity";

/** The settings that shape a credential; the secret enters only through a hash. */
function fingerprint(settings: Settings): string {
  const parts = [
    settings.credential,
    settings.authorityHost,
    String(settings.disableInstanceDiscovery),
    settings.tenantId ?? "",
    settings.clientId ?? "",
    settings.clientSecret ?? "",
    settings.clientCertificatePath ?? "",
    settings.clientCertificatePassword ?? "",
    settings.federatedTokenFile ?? "",
  ];
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}

const cache = new Map<string, TokenCredential>();

/**
 * The process-wide credential for these settings. Its `getToken` throws
 * `AuthenticationError` (AADSTS code and hint, no secrets) instead of MSAL's errors.
 */
export function createCredential(settings: Settings): TokenCredential {
  const key = fingerprint(settings);
  let credential = cache.get(key);
  if (!credential) {
    credential = createUncachedCredential(settings);
    cache.set(key, credential);
  }
  return credential;
}

/**
 * A new credential instance with an empty token cache. MSAL serves a cached token until it
 * nears expiry, even one Graph has just rejected with 401; a new instance is the way
 * @azure/identity offers to get a token from Entra ID again for every credential kind.
 */
export function createUncachedCredential(settings: Settings): TokenCredential {
  const missing = missingCredential(settings);
  if (missing) throw missing;
  const observed: Observed = {};
  return withReadableErrors(buildCredential(settings, observed), settings, observed);
}

/** Forgets every cached credential (tests). */
export function clearCredentialCache(): void {
  cache.clear();
}

type PipelinePolicyConfig = NonNullable<
  ClientSecretCredentialOptions["additionalPolicies"]
>[number];

/**
 * What the credential's HTTP pipeline saw: MSAL reports an unreachable or untrusted authority
 * as `endpoints_resolution_error` without the cause, and serves a throttled answer from its
 * cache (an error without status) for a while after a 429/5xx; this keeps the facts.
 */
interface Observed {
  /** The transport error code of this getToken call (e.g. CERT_HAS_EXPIRED, ECONNREFUSED). */
  transportCode?: string;
  /** The last HTTP status ≥ 400 of the token service, cleared by a success. */
  failedStatus?: number;
}

function observer(observed: Observed): PipelinePolicyConfig {
  return {
    position: "perRetry",
    policy: {
      name: "bitlockerObserveTokenService",
      async sendRequest(request, next) {
        try {
          const response = await next(request);
          if (response.status >= 400) observed.failedStatus = response.status;
          else observed.failedStatus = undefined;
          return response;
        } catch (err) {
          const code = (err as { code?: unknown }).code;
          if (typeof code === "string") observed.transportCode = code;
          throw err;
        }
      },
    },
  };
}

function buildCredential(s: Settings, observed: Observed): TokenCredential {
  // Entra ID options shared by the confidential-client credentials.
  const entra = {
    authorityHost: s.authorityHost,
    disableInstanceDiscovery: s.disableInstanceDiscovery,
    additionalPolicies: [observer(observed)],
  };
  switch (s.credential) {
    case "clientSecret":
      return new ClientSecretCredential(
        req(s.tenantId),
        req(s.clientId),
        req(s.clientSecret),
        entra,
      );
    case "clientCertificate":
      return new ClientCertificateCredential(
        req(s.tenantId),
        req(s.clientId),
        {
          certificatePath: req(s.clientCertificatePath),
          ...(s.clientCertificatePassword
            ? { certificatePassword: s.clientCertificatePassword }
            : {}),
        },
        entra,
      );
    case "workloadIdentity": {
      // Read on every token request: the platform rotates the projected token file.
      const tokenFile = req(s.federatedTokenFile);
      const readAssertion = async () => (await readFile(tokenFile, "utf8")).trim();
      return new ClientAssertionCredential(req(s.tenantId), req(s.clientId), readAssertion, entra);
    }
    case "managedIdentity":
      return s.clientId
        ? new ManagedIdentityCredential({ clientId: s.clientId })
        : new ManagedIdentityCredential();
    case "azureCli":
      return new AzureCliCredential(s.tenantId ? { tenantId: s.tenantId } : {});
    case "default":
      return new DefaultAzureCredential({
        ...entra,
        ...(s.tenantId ? { tenantId: s.tenantId } : {}),
        ...(s.clientId ? { managedIdentityClientId: s.clientId } : {}),
      });
  }
}

/** resolveSettings guarantees these for the kinds that need them. */
function req(value: string | undefined): string {
  if (value === undefined) throw new Error("internal: a required setting is missing");
  return value;
}

function withReadableErrors(
  inner: TokenCredential,
  s: Settings,
  observed: Observed,
): TokenCredential {
  const context = {
    credential: s.credential,
    authorityHost: s.authorityHost,
    ...(s.tenantId ? { tenantId: s.tenantId } : {}),
    ...(s.clientId ? { clientId: s.clientId } : {}),
    secrets: [s.clientSecret, s.clientCertificatePassword],
  };
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
      observed.transportCode = undefined;
      try {
        const token = await inner.getToken(scopes, options);
        if (!token) throw new Error("the credential returned no token");
        return token;
      } catch (err) {
        const pem =
          s.credential === "clientCertificate" && s.clientCertificatePath
            ? await pemProblem(s.clientCertificatePath)
            : undefined;
        throw toAuthenticationError(err, {
          ...context,
          ...(observed.transportCode ? { transportCode: observed.transportCode } : {}),
          ...(observed.failedStatus ? { tokenServiceStatus: observed.failedStatus } : {}),
          ...(pem ? { pemProblem: pem } : {}),
        });
      }
    },
  };
}

/**
 * What is wrong with the certificate file, read again after a failure (never echoing its
 * content): missing, unreadable, or lacking the certificate or the private key.
 */
async function pemProblem(file: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "an error";
    return `cannot read the certificate file ${file} (${code})`;
  }
  const hasCert = /-----BEGIN CERTIFICATE-----/.test(text);
  const hasKey = /-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(text);
  if (!hasCert && !hasKey) {
    return `the file ${file} holds neither a PEM certificate nor a private key (a .pfx must be converted to PEM)`;
  }
  if (!hasCert) {
    return `the PEM file ${file} holds a private key but no certificate (-----BEGIN CERTIFICATE-----): append the certificate registered on the app`;
  }
  if (!hasKey) {
    return `the PEM file ${file} holds a certificate but no private key (-----BEGIN PRIVATE KEY-----): append the certificate's private key`;
  }
  return undefined;
}
