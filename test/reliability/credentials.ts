// The three credential types an unattended `pulumi up` uses, registered on a simulated tenant:
// a client secret, a client certificate (PEM with its private key) and workload identity (a
// federated token file), each with a read-only twin (for 403s) and a bad variant. Plus what
// must never be printed or stored: every secret, key line and token, and a scanner for them.
import { createSign, generateKeyPairSync, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  ALL_ROLES,
  ROLES,
  TOKEN_EXCHANGE_AUDIENCE,
  createClientCertificate,
  type SimulatedTenant,
} from "../../simulator/index";

export type CredentialType = "clientSecret" | "clientCertificate" | "workloadIdentity";
export const CREDENTIAL_TYPES: CredentialType[] = [
  "clientSecret",
  "clientCertificate",
  "workloadIdentity",
];

/** The settings of one credential, as stack config keys (bitlocker:*) and as environment. */
export interface CredentialSettings {
  config: Record<string, string>;
  env: Record<string, string | undefined>;
}

export interface Credentials {
  /** Full rights, read-only (403 on rotation), and wrong (refused by Entra ID). */
  good: Record<CredentialType, CredentialSettings>;
  readOnly: Record<CredentialType, CredentialSettings>;
  bad: Record<CredentialType, CredentialSettings>;
  /** Whole values that must appear nowhere. */
  secrets: string[];
  /** Fragments of them (a PEM body line, a token's signature): none may appear either. */
  fragments: string[];
}

const ISSUER = "https://token.ci.example.test";
const SUBJECT = "repo:contoso/fleet:environment:production";

/** An RS256 JWT as a CI system's OIDC issuer mints it for workload identity federation. */
function federatedToken(privateKeyPem: string, subject: string): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: "RS256", typ: "JWT" })}.${b64({
    iss: ISSUER,
    sub: subject,
    aud: TOKEN_EXCHANGE_AUDIENCE,
    iat: now,
    nbf: now,
    exp: now + 3600,
    jti: randomUUID(),
  })}`;
  const signature = createSign("RSA-SHA256").update(body).sign(privateKeyPem).toString("base64url");
  return `${body}.${signature}`;
}

/** Registers the apps and writes the PEM and token files into `dir`. */
export function registerCredentials(tenant: SimulatedTenant, dir: string): Credentials {
  const base = (clientId: string) => ({
    "bitlocker:tenantId": tenant.tenantId,
    "bitlocker:clientId": clientId,
    "bitlocker:authorityHost": tenant.authorityHost,
    "bitlocker:graphEndpoint": tenant.url,
  });
  const asEnv = (config: Record<string, string>): Record<string, string | undefined> => ({
    AZURE_TENANT_ID: config["bitlocker:tenantId"],
    AZURE_CLIENT_ID: config["bitlocker:clientId"],
    AZURE_AUTHORITY_HOST: config["bitlocker:authorityHost"],
    BITLOCKER_GRAPH_ENDPOINT: config["bitlocker:graphEndpoint"],
    AZURE_CLIENT_SECRET: config["bitlocker:clientSecret"],
    AZURE_CLIENT_CERTIFICATE_PATH: config["bitlocker:clientCertificatePath"],
    AZURE_FEDERATED_TOKEN_FILE: config["bitlocker:federatedTokenFile"],
  });
  const settings = (config: Record<string, string>): CredentialSettings => ({
    config,
    env: asEnv(config),
  });
  const READ_ONLY = [ROLES.managedDevicesRead];

  // Client secret.
  const secret = `rel-secret-${randomUUID()}~Qx`;
  const wrongSecret = `rel-wrong-${randomUUID()}~Qx`;
  const readOnlySecret = `rel-ro-secret-${randomUUID()}~Qx`;
  const secretApp = tenant.registerApp({ roles: ALL_ROLES, clientSecret: secret });
  const secretRo = tenant.registerApp({ roles: READ_ONLY, clientSecret: readOnlySecret });

  // Client certificate: PEM files holding the private key and the certificate.
  const cert = createClientCertificate("bitlocker-reliability");
  const otherCert = createClientCertificate("bitlocker-reliability-unregistered");
  const certApp = tenant.registerApp({ roles: ALL_ROLES, certificatePem: cert.certificatePem });
  const certRo = tenant.registerApp({ roles: READ_ONLY, certificatePem: cert.certificatePem });
  const pem = path.join(dir, "client.pem");
  const otherPem = path.join(dir, "unregistered.pem");
  fs.writeFileSync(pem, `${cert.privateKeyPem}\n${cert.certificatePem}`, { mode: 0o600 });
  fs.writeFileSync(otherPem, `${otherCert.privateKeyPem}\n${otherCert.certificatePem}`, {
    mode: 0o600,
  });

  // Workload identity: the issuer's key signs the federated tokens.
  const issuer = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  const federated = [{ issuer: ISSUER, subject: SUBJECT, publicKeyPem: issuer.publicKey }];
  const fedApp = tenant.registerApp({ roles: ALL_ROLES, federatedCredentials: federated });
  const fedRo = tenant.registerApp({ roles: READ_ONLY, federatedCredentials: federated });
  const token = federatedToken(issuer.privateKey, SUBJECT);
  const wrongToken = federatedToken(issuer.privateKey, "repo:contoso/other:ref:refs/heads/main");
  const tokenFile = path.join(dir, "federated-token");
  const wrongTokenFile = path.join(dir, "federated-token-wrong-subject");
  fs.writeFileSync(tokenFile, token, { mode: 0o600 });
  fs.writeFileSync(wrongTokenFile, wrongToken, { mode: 0o600 });

  const withSecret = (id: string, s: string) =>
    settings({ ...base(id), "bitlocker:clientSecret": s });
  const withCert = (id: string, file: string) =>
    settings({ ...base(id), "bitlocker:clientCertificatePath": file });
  const withToken = (id: string, file: string) =>
    settings({ ...base(id), "bitlocker:federatedTokenFile": file });

  const pemLines = (p: string) =>
    p
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.length >= 16 && !l.startsWith("-----"));
  return {
    good: {
      clientSecret: withSecret(secretApp.clientId, secret),
      clientCertificate: withCert(certApp.clientId, pem),
      workloadIdentity: withToken(fedApp.clientId, tokenFile),
    },
    readOnly: {
      clientSecret: withSecret(secretRo.clientId, readOnlySecret),
      clientCertificate: withCert(certRo.clientId, pem),
      workloadIdentity: withToken(fedRo.clientId, tokenFile),
    },
    bad: {
      clientSecret: withSecret(secretApp.clientId, wrongSecret),
      clientCertificate: withCert(certApp.clientId, otherPem),
      workloadIdentity: withToken(fedApp.clientId, wrongTokenFile),
    },
    secrets: [
      secret,
      wrongSecret,
      readOnlySecret,
      cert.privateKeyPem.trim(),
      otherCert.privateKeyPem.trim(),
      issuer.privateKey.trim(),
      token,
      wrongToken,
    ],
    fragments: [
      ...pemLines(cert.privateKeyPem),
      ...pemLines(otherCert.privateKeyPem),
      ...pemLines(issuer.privateKey),
      token.split(".")[2]!,
      wrongToken.split(".")[2]!,
      token.split(".")[1]!,
    ],
  };
}

/** Anything shaped like a JWT (access tokens, client assertions, federated tokens). */
const JWT_SHAPE = /eyJ[\w-]{10,}\.eyJ[\w-]{10,}/;

/**
 * Where any secret, fragment, access-token header of this tenant (`accessTokenHeads`) or
 * JWT-shaped text occurs in `text`: a list of findings, empty when clean.
 */
export function leaks(
  text: string,
  creds: Credentials,
  accessTokens: string[],
  label: string,
): string[] {
  const found: string[] = [];
  for (const s of creds.secrets)
    if (text.includes(s)) found.push(`${label}: a secret (${s.slice(0, 12)}…)`);
  for (const f of creds.fragments)
    if (text.includes(f)) found.push(`${label}: a fragment (${f.slice(0, 12)}…)`);
  for (const t of accessTokens) {
    if (text.includes(t)) found.push(`${label}: an access token`);
    // Every token of the tenant starts with the same header (alg, typ, kid).
    const head = t.split(".")[0]!;
    if (text.includes(head))
      found.push(`${label}: an access token's header (${head.slice(0, 16)}…)`);
    const signature = t.split(".")[2]!;
    if (text.includes(signature)) found.push(`${label}: an access token's signature`);
  }
  const jwt = JWT_SHAPE.exec(text);
  if (jwt) found.push(`${label}: JWT-shaped text (${jwt[0].slice(0, 24)}…)`);
  return found;
}
