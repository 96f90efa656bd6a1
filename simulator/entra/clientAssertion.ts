// client_assertion checks: a certificate credential (iss = sub = client id, signed by a
// registered certificate named by x5t / x5t#S256) or a federated identity credential
// (an external issuer's token for api://AzureADTokenExchange, matched on issuer + subject).
import type { JWTPayload, ProtectedHeaderParameters } from "../jose";
import { loadJose } from "../jose";
import { aadsts, type AadstsError } from "./aadsts";
import type { RegisteredApp } from "./apps";
import type { ClientAuthMethod } from "./accessTokens";

export type AssertionCheck =
  { ok: true; method: ClientAuthMethod } | { ok: false; error: AadstsError };

const CERT_ALGORITHMS = ["RS256", "PS256"];
/** Entra tolerates clock skew; MSAL rounds its `nbf` to the nearest second, so it can be ahead. */
const CLOCK_TOLERANCE_SECONDS = 300;
const FEDERATED_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"];

/**
 * @param audiences what the assertion's `aud` may be: the token endpoint URL (what MSAL sends)
 *   or the tenant's v2.0 issuer.
 */
export async function checkClientAssertion(
  assertion: string,
  app: RegisteredApp,
  audiences: string[],
): Promise<AssertionCheck> {
  const jose = await loadJose();
  let header: ProtectedHeaderParameters;
  let unverified: JWTPayload;
  try {
    header = jose.decodeProtectedHeader(assertion);
    unverified = jose.decodeJwt(assertion);
  } catch {
    return fail(400, "invalid_request", 50027, "JWT token is invalid or malformed.");
  }
  if (unverified.iss === app.clientId) {
    return checkCertificateAssertion(assertion, header, app, audiences);
  }
  return checkFederatedAssertion(assertion, header, unverified, app);
}

async function checkCertificateAssertion(
  assertion: string,
  header: ProtectedHeaderParameters,
  app: RegisteredApp,
  audiences: string[],
): Promise<AssertionCheck> {
  const jose = await loadJose();
  const s256 = header["x5t#S256"];
  const cert = app.certificates.find((c) =>
    typeof s256 === "string" ? c.x5tS256 === s256 : c.x5t === header.x5t,
  );
  if (!cert) {
    const id = (typeof s256 === "string" ? s256 : header.x5t) ?? "(none)";
    return fail(
      401,
      "invalid_client",
      700027,
      `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${id}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.clientId}'.]`,
    );
  }
  if (Date.now() > cert.notAfter) {
    return fail(
      401,
      "invalid_client",
      700027,
      "Client assertion failed signature validation. The certificate has expired.",
    );
  }
  try {
    const { payload } = await jose.jwtVerify(assertion, cert.publicKey, {
      algorithms: CERT_ALGORITHMS,
      audience: audiences,
      issuer: app.clientId,
      subject: app.clientId,
      requiredClaims: ["exp", "jti"],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });
    void payload;
    return { ok: true, method: "certificate" };
  } catch (err) {
    return { ok: false, error: assertionError(err, app.clientId) };
  }
}

async function checkFederatedAssertion(
  assertion: string,
  header: ProtectedHeaderParameters,
  unverified: JWTPayload,
  app: RegisteredApp,
): Promise<AssertionCheck> {
  const jose = await loadJose();
  const aud = ([] as string[]).concat(unverified.aud ?? []);
  const describe = `Assertion Issuer: '${unverified.iss}'. Assertion Subject: '${unverified.sub}'. Assertion Audience: '${aud.join(",")}'.`;
  const byIssuer = app.federatedCredentials.filter((f) => f.issuer === unverified.iss);
  if (byIssuer.length === 0) {
    return fail(
      400,
      "invalid_request",
      700211,
      `No matching federated identity record found for presented assertion issuer '${unverified.iss}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`,
    );
  }
  const credential = byIssuer.find((f) => f.subject === unverified.sub);
  if (!credential) {
    return fail(
      400,
      "invalid_request",
      70021,
      `No matching federated identity record found for presented assertion. ${describe}`,
    );
  }
  if (!aud.some((a) => credential.audiences.includes(a))) {
    return fail(
      400,
      "invalid_request",
      700212,
      `No matching federated identity record found for presented assertion audience '${aud.join(",")}'.`,
    );
  }
  try {
    const alg = header.alg ?? "RS256";
    if (credential.jwks) {
      await jose.jwtVerify(assertion, jose.createLocalJWKSet(credential.jwks), {
        algorithms: FEDERATED_ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
    } else if (credential.publicKeyPem) {
      await jose.jwtVerify(assertion, await jose.importSPKI(credential.publicKeyPem, alg), {
        algorithms: FEDERATED_ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
    } else {
      return fail(
        400,
        "invalid_request",
        50013,
        "Assertion failed signature validation. [Reason - No signing keys are known for the issuer.]",
      );
    }
    return { ok: true, method: "federated" };
  } catch (err) {
    return { ok: false, error: assertionError(err, app.clientId) };
  }
}

function assertionError(err: unknown, clientId: string): AadstsError {
  const code = (err as { code?: string }).code;
  if (code === "ERR_JWT_EXPIRED") {
    return aadsts(
      400,
      "invalid_client",
      700024,
      "Client assertion is not within its valid time range.",
    );
  }
  if (code === "ERR_JWT_CLAIM_VALIDATION_FAILED") {
    const claim = (err as { claim?: string }).claim;
    if (claim === "aud") {
      return aadsts(
        401,
        "invalid_client",
        50027,
        "Invalid JWT token. The client assertion's audience is not this tenant's token endpoint.",
      );
    }
    return aadsts(
      401,
      "invalid_client",
      50027,
      `Invalid JWT token. The claim '${claim}' is missing or invalid for app '${clientId}'.`,
    );
  }
  return aadsts(
    401,
    "invalid_client",
    700027,
    "Client assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value.]",
  );
}

function fail(status: 400 | 401, error: string, code: number, description: string): AssertionCheck {
  return { ok: false, error: aadsts(status, error, code, description) };
}
