// Builds the @azure/identity credential that the settings ask for. One instance per process
// and settings, so MSAL's token cache is shared by every resource the engine handles.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import {
  type AccessToken,
  type GetTokenOptions,
  type TokenCredential,
  AzureCliCredential,
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  ManagedIdentityCredential,
} from "@azure/identity";
import { toAuthenticationError } from "./authentication-error";
import type { Settings } from "./settings";

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
  return withReadableErrors(buildCredential(settings), settings);
}

/** Forgets every cached credential (tests). */
export function clearCredentialCache(): void {
  cache.clear();
}

function buildCredential(s: Settings): TokenCredential {
  // Entra ID options shared by the confidential-client credentials.
  const entra = {
    authorityHost: s.authorityHost,
    disableInstanceDiscovery: s.disableInstanceDiscovery,
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

function withReadableErrors(inner: TokenCredential, s: Settings): TokenCredential {
  const context = {
    credential: s.credential,
    authorityHost: s.authorityHost,
    ...(s.tenantId ? { tenantId: s.tenantId } : {}),
    ...(s.clientId ? { clientId: s.clientId } : {}),
    secrets: [s.clientSecret, s.clientCertificatePassword],
  };
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
      try {
        const token = await inner.getToken(scopes, options);
        if (!token) throw new Error("the credential returned no token");
        return token;
      } catch (err) {
        throw toAuthenticationError(err, context);
      }
    },
  };
}
