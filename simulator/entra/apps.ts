// App registrations of the simulated tenant: credentials (secret, certificate, federated
// identity) and the application permissions that become the token's `roles`.
import { X509Certificate, createPublicKey, type KeyObject } from "node:crypto";
import type { JSONWebKeySet } from "../jose";
import { thumbprints } from "../tls/certificates";
import type { SeededRandom } from "../random";

export const ROLES = {
  managedDevicesRead: "DeviceManagementManagedDevices.Read.All",
  managedDevicesReadWrite: "DeviceManagementManagedDevices.ReadWrite.All",
  managedDevicesPrivileged: "DeviceManagementManagedDevices.PrivilegedOperations.All",
  configurationReadWrite: "DeviceManagementConfiguration.ReadWrite.All",
  // Graph spells these with a lower-case l.
  bitlockerKeyReadBasic: "BitlockerKey.ReadBasic.All",
  bitlockerKeyRead: "BitlockerKey.Read.All",
  // Who read a recovery key: Entra's directory audit log.
  auditLogRead: "AuditLog.Read.All",
} as const;

export const ALL_ROLES: string[] = Object.values(ROLES);

export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

export interface FederatedCredentialInput {
  /** The external issuer, exactly as in the assertion's `iss`. */
  issuer: string;
  /** The assertion's `sub`, exactly. */
  subject: string;
  /** Default ["api://AzureADTokenExchange"]. */
  audiences?: string[];
  /** The issuer's signing keys. Entra fetches them from the issuer; the test hands them over. */
  jwks?: JSONWebKeySet;
  /** Alternatively one SPKI public key (PEM). */
  publicKeyPem?: string;
  name?: string;
}

export interface AppRegistrationInput {
  clientId?: string;
  displayName?: string;
  /** Application permissions granted (admin-consented). Default: none. */
  roles?: string[];
  clientSecret?: string;
  /** Certificate credential(s), PEM (public part only). */
  certificatePem?: string | string[];
  federatedCredentials?: FederatedCredentialInput[];
}

interface RegisteredCertificate {
  /** base64url SHA-1 thumbprint (the JWT `x5t` header). */
  x5t: string;
  /** base64url SHA-256 thumbprint (the JWT `x5t#S256` header). */
  x5tS256: string;
  publicKey: KeyObject;
  notAfter: number;
}

export interface RegisteredApp {
  clientId: string;
  displayName: string;
  /** The service principal's object id: the token's `oid`/`sub`. */
  objectId: string;
  roles: string[];
  secrets: string[];
  certificates: RegisteredCertificate[];
  federatedCredentials: (FederatedCredentialInput & { audiences: string[] })[];
}

/** What registerApp hands back: enough to configure a credential. */
export interface AppCredentials {
  clientId: string;
  clientSecret?: string;
}

export class AppRegistry {
  private readonly apps = new Map<string, RegisteredApp>();

  constructor(private readonly random: SeededRandom) {}

  register(input: AppRegistrationInput): RegisteredApp {
    const clientId = input.clientId ?? this.random.guid();
    const certificates = ([] as string[]).concat(input.certificatePem ?? []).map(toCertificate);
    const federatedCredentials = (input.federatedCredentials ?? []).map((f) => ({
      ...f,
      audiences: f.audiences ?? [TOKEN_EXCHANGE_AUDIENCE],
    }));
    // An app with no credential at all gets a secret, so it can be used.
    const secret =
      input.clientSecret ??
      (certificates.length === 0 && federatedCredentials.length === 0
        ? this.newSecret()
        : undefined);
    const app: RegisteredApp = {
      clientId,
      displayName: input.displayName ?? `app-${clientId.slice(0, 8)}`,
      objectId: this.random.guid(),
      roles: [...(input.roles ?? [])],
      secrets: secret === undefined ? [] : [secret],
      certificates,
      federatedCredentials,
    };
    this.apps.set(clientId, app);
    return app;
  }

  get(clientId: string): RegisteredApp | undefined {
    return this.apps.get(clientId);
  }

  list(): RegisteredApp[] {
    return [...this.apps.values()];
  }

  /** Entra-style secret: 40 characters with the `~` marker. */
  private newSecret(): string {
    return `${this.random.alnum(3)}8Q~${this.random.alnum(34)}`.replace(/[A-Z]/g, (c) =>
      this.random.chance(0.5) ? c.toLowerCase() : c,
    );
  }
}

function toCertificate(pem: string): RegisteredCertificate {
  const cert = new X509Certificate(pem);
  const tp = thumbprints(pem);
  return {
    x5t: tp.sha1.toString("base64url"),
    x5tS256: tp.sha256.toString("base64url"),
    publicKey: createPublicKey(pem),
    notAfter: Date.parse(cert.validTo),
  };
}
