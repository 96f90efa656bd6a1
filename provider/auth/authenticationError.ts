// Turns an @azure/identity / MSAL failure into one actionable line: the AADSTS code, what it
// means for this app, and which setting to fix. Never carries a secret, a token or the
// original error object (MSAL errors can hold request details).
import { tlsProblem } from "../graph/errorHints";
import type { CredentialKind } from "./settings";

/** What the person running `pulumi up` should do for the AADSTS codes seen with app-only auth. */
const AADSTS_HINTS: Readonly<Record<string, string>> = {
  AADSTS7000215:
    "the client secret is wrong: use the secret's Value (not its Secret ID), or create a new secret",
  AADSTS7000222:
    "the client secret has expired: create a new one and update bitlocker:clientSecret",
  AADSTS700016:
    "the application (bitlocker:clientId) is not registered in this tenant or cloud: check bitlocker:clientId, bitlocker:tenantId and bitlocker:cloud",
  AADSTS90002: "the tenant was not found: check bitlocker:tenantId and bitlocker:cloud",
  AADSTS900023: "the tenant id is malformed: check bitlocker:tenantId",
  AADSTS90072: "the app is not consented in this tenant: an admin must consent it",
  AADSTS700027:
    "the client assertion was rejected: the certificate is not registered on the app, has expired, or the PEM holds the wrong key",
  AADSTS700024:
    "the federated token has expired: the token file must be refreshed by the platform (workload identity)",
  AADSTS70021:
    "no federated credential on the app matches the token's issuer/subject/audience: add one that matches",
  AADSTS700211:
    "no federated credential on the app trusts the token's issuer: add one with that issuer",
  AADSTS700212:
    "the federated token's audience matches no federated credential on the app (normally api://AzureADTokenExchange)",
  AADSTS50027:
    "the client assertion is malformed or carries wrong claims: check the certificate or the federated token",
  AADSTS7000218:
    "the token request carried no credential: set a client secret, certificate or federated token file",
  AADSTS7000112: "the application is disabled in this tenant",
  AADSTS500011:
    "the Graph resource was not found in this tenant's cloud: check bitlocker:cloud / bitlocker:graphEndpoint",
  AADSTS53003:
    "a Conditional Access policy blocked the token: exclude this workload identity or satisfy the policy",
  AADSTS50049: "the authority is unknown: check bitlocker:authorityHost and bitlocker:cloud",
};

const HINT_BY_KIND: Readonly<Record<CredentialKind, string>> = {
  clientSecret: "check bitlocker:tenantId, bitlocker:clientId and bitlocker:clientSecret",
  clientCertificate:
    "check bitlocker:tenantId, bitlocker:clientId and that bitlocker:clientCertificatePath is a PEM holding the private key and the certificate registered on the app",
  workloadIdentity:
    "check bitlocker:tenantId, bitlocker:clientId, the federated credential on the app and bitlocker:federatedTokenFile",
  managedIdentity:
    "no managed identity answered: run on an Azure host with a managed identity, or choose another bitlocker:credential",
  azureCli: "run `az login` (the az CLI must be on PATH) or choose another bitlocker:credential",
  default:
    "no credential of the default chain worked: set bitlocker:credential and the keys it needs (e.g. clientSecret)",
};

export interface AuthenticationContext {
  /** Unknown when the caller brought its own TokenCredential. */
  credential?: CredentialKind;
  tenantId?: string;
  clientId?: string;
  authorityHost: string;
  /** Values that must never appear in the message (secrets, passwords). */
  secrets?: readonly (string | undefined)[];
  /** The transport error code the credential's HTTP pipeline saw in this call. */
  transportCode?: string;
  /** The token service's last HTTP status ≥ 400, if no success came since. */
  tokenServiceStatus?: number;
  /** What is wrong with the certificate file (clientCertificate), when something is. */
  pemProblem?: string;
}

export class AuthenticationError extends Error {
  override readonly name = "AuthenticationError";
  /** e.g. "AADSTS7000215", when Entra ID answered with one. */
  readonly aadstsCode: string | undefined;
  /** The @azure/identity error class name (AuthenticationError, CredentialUnavailableError…). */
  readonly azureErrorName: string;
  readonly credential: CredentialKind | undefined;
  readonly tenantId: string | undefined;
  readonly clientId: string | undefined;
  readonly hint: string;
  /** Entra ID could not be reached or answered 429/5xx: a later try may succeed. */
  readonly transient: boolean;

  constructor(fields: {
    message: string;
    transient?: boolean;
    aadstsCode: string | undefined;
    azureErrorName: string;
    credential: CredentialKind | undefined;
    tenantId: string | undefined;
    clientId: string | undefined;
    hint: string;
  }) {
    super(fields.message);
    this.aadstsCode = fields.aadstsCode;
    this.azureErrorName = fields.azureErrorName;
    this.credential = fields.credential;
    this.tenantId = fields.tenantId;
    this.clientId = fields.clientId;
    this.hint = fields.hint;
    this.transient = fields.transient ?? false;
  }
}

/** Every piece of text an @azure/identity error (or its causes/aggregated errors) carries. */
function collectText(err: unknown, depth = 0): string[] {
  if (depth > 4 || err === null || typeof err !== "object") {
    return typeof err === "string" ? [err] : [];
  }
  const e = err as {
    message?: unknown;
    errorResponse?: { errorDescription?: unknown };
    errors?: unknown;
    cause?: unknown;
  };
  const out: string[] = [];
  if (typeof e.message === "string") out.push(e.message);
  if (typeof e.errorResponse?.errorDescription === "string") {
    out.push(e.errorResponse.errorDescription);
  }
  if (Array.isArray(e.errors)) for (const x of e.errors) out.push(...collectText(x, depth + 1));
  if (e.cause) out.push(...collectText(e.cause, depth + 1));
  return out;
}

/** MSAL's `errorCode`s and HTTP statuses anywhere in the cause chain. */
function collectCodes(err: unknown, depth = 0): { codes: string[]; statuses: number[] } {
  const out = { codes: [] as string[], statuses: [] as number[] };
  if (depth > 5 || err === null || typeof err !== "object") return out;
  const e = err as {
    errorCode?: unknown;
    status?: unknown;
    statusCode?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof e.errorCode === "string") out.codes.push(e.errorCode);
  for (const st of [e.status, e.statusCode]) if (typeof st === "number") out.statuses.push(st);
  for (const inner of [e.cause, ...(Array.isArray(e.errors) ? e.errors : [])]) {
    const more = collectCodes(inner, depth + 1);
    out.codes.push(...more.codes);
    out.statuses.push(...more.statuses);
  }
  return out;
}

/** MSAL's words for "the authority could not be reached or read". */
const UNREACHABLE_CODES =
  /^(endpoints_resolution_error|openid_config_error|network_error|untrusted_authority|authority_uri_insecure)$/;

const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]*/g;

/** Removes secrets and anything token-shaped from text bound for a message. */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text.replace(JWT, "<token>");
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join("<redacted>");
  }
  return out;
}

/** The sentence of Entra's description that says what went wrong, without trace ids. */
function describeAadsts(text: string, code: string): string {
  const at = text.indexOf(code);
  const rest = text.slice(at + code.length).replace(/^[:\s]+/, "");
  const cut = rest.search(/\s*(Trace ID:|Correlation ID:|Timestamp:|\r|\n)/);
  const sentence = (cut >= 0 ? rest.slice(0, cut) : rest).trim();
  if (sentence.length <= 400) return sentence;
  // Long descriptions: keep whole sentences.
  const head = sentence.slice(0, 400);
  const end = head.lastIndexOf(". ");
  return end > 0 ? head.slice(0, end + 1) : `${head}…`;
}

/** Wraps any failure of `credential.getToken` into an `AuthenticationError`. */
export function toAuthenticationError(
  err: unknown,
  ctx: AuthenticationContext,
): AuthenticationError {
  if (err instanceof AuthenticationError) return err;
  // "[object Object]" is how @azure/identity renders an error body it cannot read: no news.
  const texts = collectText(err).map((t) =>
    redact(t, ctx.secrets)
      .replace(/\[object Object\]/g, "")
      .trim(),
  );
  const joined = texts.filter(Boolean).join("\n");
  const { codes, statuses } = collectCodes(err);
  // MSAL answers from its throttling cache (an error with no status and no text) for a while
  // after a 429/5xx: the status the pipeline saw last is the cause then.
  const serverStatus =
    statuses.find((st) => st >= 500 || st === 429) ??
    (statuses.length === 0 &&
    !/AADSTS\d+/.test(joined) &&
    ctx.tokenServiceStatus !== undefined &&
    (ctx.tokenServiceStatus >= 500 || ctx.tokenServiceStatus === 429)
      ? ctx.tokenServiceStatus
      : undefined);
  const tls = tlsProblem(ctx.transportCode, ctx.authorityHost, "bitlocker:authorityHost");
  const aadstsCode = /AADSTS\d+/.exec(joined)?.[0];
  const azureErrorName =
    err !== null && typeof err === "object" && typeof (err as Error).name === "string"
      ? (err as Error).name
      : "Error";

  const kindHint = ctx.credential
    ? HINT_BY_KIND[ctx.credential]
    : "check the tenant, the application (client) id and the credential";
  let what: string;
  let hint: string;
  let transient = false;
  if (ctx.pemProblem) {
    what = ctx.pemProblem;
    hint =
      "point bitlocker:clientCertificatePath at one PEM file holding the certificate registered on the app and its private key";
  } else if (aadstsCode) {
    what = `Entra ID refused the token request: ${aadstsCode}: ${describeAadsts(joined, aadstsCode)}`;
    hint = AADSTS_HINTS[aadstsCode] ?? kindHint;
  } else if (serverStatus !== undefined) {
    what =
      serverStatus === 429
        ? `Entra ID's token service at ${ctx.authorityHost} is throttling token requests (HTTP 429); nothing was sent to Graph`
        : `Entra ID's token service at ${ctx.authorityHost} is unavailable (HTTP ${serverStatus}); nothing was sent to Graph`;
    hint =
      "this is trouble at Entra ID, not a wrong tenant, client id or credential: wait a minute (the client holds requests back for a while after such an answer) and run again";
    transient = true;
  } else if (tls) {
    what = `could not connect to the authority securely: ${tls.summary}`;
    hint = tls.action;
  } else if (
    codes.some((c) => UNREACHABLE_CODES.test(c)) ||
    // @azure/identity's CredentialUnavailableError keeps MSAL's code only in its text.
    /\b(endpoints_resolution_error|openid_config_error|network_error)\b/.test(joined) ||
    /ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|certificate|self[- ]signed/i.test(joined)
  ) {
    what = `could not reach the authority ${ctx.authorityHost}: ${firstLine(joined)}`;
    hint =
      "check bitlocker:authorityHost / bitlocker:cloud, the network, and (for a private CA) NODE_EXTRA_CA_CERTS";
    transient = true;
  } else {
    what = `${azureErrorName}: ${firstLine(joined) || "no details"}`;
    hint = kindHint;
  }
  const who = [
    ctx.credential ? `credential ${ctx.credential}` : "credential",
    ctx.tenantId ? `tenant ${ctx.tenantId}` : undefined,
    ctx.clientId ? `client ${ctx.clientId}` : undefined,
  ]
    .filter(Boolean)
    .join(", ");
  return new AuthenticationError({
    message: `authentication failed (${who}): ${what.replace(/\.+$/, "")}. ${capitalize(hint)}.`,
    aadstsCode,
    azureErrorName,
    transient,
    credential: ctx.credential,
    tenantId: ctx.tenantId,
    clientId: ctx.clientId,
    hint,
  });
}

function firstLine(text: string): string {
  return (text.split(/\r?\n/).find((l) => l.trim()) ?? "").trim().slice(0, 300);
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
