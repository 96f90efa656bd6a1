// Pure rules behind the authentication and TLS messages (the integration suite proves them
// against the simulated tenant with the real @azure/identity).
import assert from "node:assert/strict";
import { toAuthenticationError } from "../../provider/auth/authenticationError";
import { missingCredential, resolveSettings } from "../../provider/auth/settings";
import { tlsProblem } from "../../provider/graph/errorHints";

const TENANT = "11111111-2222-3333-4444-555555555555";
const ctx = { credential: "clientSecret" as const, authorityHost: "https://login.example.test" };

describe("auth: messages for failures that are not a wrong credential", () => {
  it("MSAL's throttle-cache error (no status, no text) after a 503 names the 503", () => {
    const cached = Object.assign(new Error(""), { name: "AuthenticationRequiredError" });
    const err = toAuthenticationError(cached, { ...ctx, tokenServiceStatus: 503 });
    assert.match(err.message, /is unavailable \(HTTP 503\)/);
    assert.doesNotMatch(err.message, /Check bitlocker:tenantId/);
    // Without that history it stays a generic credential failure.
    assert.match(toAuthenticationError(cached, ctx).message, /Check bitlocker:tenantId/);
    // An AADSTS answer wins over an older 503.
    const refused = new Error("AADSTS7000215: Invalid client secret provided.");
    assert.match(
      toAuthenticationError(refused, { ...ctx, tokenServiceStatus: 503 }).message,
      /AADSTS7000215/,
    );
  });

  it("transient: Entra unreachable or answering 429/5xx (preview reports it), not a refusal or TLS", () => {
    const cached = Object.assign(new Error(""), { name: "AuthenticationRequiredError" });
    assert.equal(
      toAuthenticationError(cached, { ...ctx, tokenServiceStatus: 503 }).transient,
      true,
    );
    const unreachable = new Error("endpoints_resolution_error: could not resolve endpoints");
    assert.equal(toAuthenticationError(unreachable, ctx).transient, true);
    const refused = new Error("AADSTS7000215: Invalid client secret provided.");
    assert.equal(toAuthenticationError(refused, ctx).transient, false);
    const tls = toAuthenticationError(new Error("endpoints_resolution_error"), {
      ...ctx,
      transportCode: "CERT_HAS_EXPIRED",
    });
    assert.equal(tls.transient, false, "a TLS problem is configuration: it fails the preview");
  });

  it("TLS codes: untrusted, expired, host name; others are not TLS", () => {
    for (const code of [
      "SELF_SIGNED_CERT_IN_CHAIN",
      "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      "DEPTH_ZERO_SELF_SIGNED_CERT",
      "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    ]) {
      assert.match(tlsProblem(code, "https://h", "k")!.action, /NODE_EXTRA_CA_CERTS/, code);
    }
    assert.match(tlsProblem("CERT_HAS_EXPIRED", "https://h", "k")!.summary, /has expired/);
    assert.match(
      tlsProblem("ERR_TLS_CERT_ALTNAME_INVALID", "https://h", "bitlocker:graphEndpoint")!.action,
      /bitlocker:graphEndpoint/,
    );
    assert.equal(tlsProblem("ECONNREFUSED", "https://h", "k"), undefined);
    assert.equal(tlsProblem(undefined, "https://h", "k"), undefined);
    const err = toAuthenticationError(new Error("endpoints_resolution_error"), {
      ...ctx,
      transportCode: "CERT_HAS_EXPIRED",
    });
    assert.match(err.message, /could not connect to the authority securely: .*has expired/);
  });

  it("no credential: lists only what is missing; explicit choices need none", () => {
    const none = missingCredential(resolveSettings({}, {}))!;
    assert.match(
      none.message,
      /Missing: the tenant id .*; the application \(client\) id .*; one of/,
    );
    const some = missingCredential(resolveSettings({}, { AZURE_TENANT_ID: TENANT }))!;
    assert.doesNotMatch(some.message, /the tenant id/);
    assert.match(some.message, /Missing: the application \(client\) id/);
    for (const choice of ["managedIdentity", "azureCli", "default"]) {
      const s = resolveSettings({ "bitlocker:credential": choice }, {});
      assert.equal(missingCredential(s), undefined, choice);
    }
  });
});
