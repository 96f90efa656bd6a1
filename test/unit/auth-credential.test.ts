import assert from "node:assert/strict";
import {
  AuthenticationError,
  redact,
  toAuthenticationError,
} from "../../provider/auth/authenticationError";
import {
  clearCredentialCache,
  createCredential,
  createUncachedCredential,
} from "../../provider/auth/credential";
import { resolveSettings } from "../../provider/auth/settings";

const TENANT = "11111111-2222-3333-4444-555555555555";
const CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
const SECRET = "Abc8Q~very-secret-value";

describe("auth: toAuthenticationError", () => {
  const ctx = {
    credential: "clientSecret" as const,
    tenantId: TENANT,
    clientId: CLIENT,
    authorityHost: "https://login.microsoftonline.com",
    secrets: [SECRET],
  };

  it("extracts the AADSTS code and gives its hint", () => {
    const azure = Object.assign(
      new Error(
        `ClientSecretCredential authentication failed: invalid_client: AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID. Trace ID: 1 Correlation ID: 2 Timestamp: 2026-11-27`,
      ),
      { name: "AuthenticationRequiredError" },
    );
    const err = toAuthenticationError(azure, ctx);
    assert.ok(err instanceof AuthenticationError);
    assert.equal(err.aadstsCode, "AADSTS7000215");
    assert.equal(err.azureErrorName, "AuthenticationRequiredError");
    assert.match(
      err.message,
      /^authentication failed \(credential clientSecret, tenant 1111.*, client aaaa.*\): Entra ID refused the token request: AADSTS7000215: Invalid client secret provided\. .*not the client secret ID\. The client secret is wrong/,
    );
    assert.ok(!err.message.includes("Trace ID"));
  });

  it("reads the code from errorResponse and from nested causes", () => {
    const nested = {
      name: "AggregateAuthenticationError",
      message: "chain failed",
      errors: [
        {
          message: "x",
          errorResponse: { errorDescription: "AADSTS700016: Application not found" },
        },
      ],
    };
    const err = toAuthenticationError(nested, ctx);
    assert.equal(err.aadstsCode, "AADSTS700016");
    assert.match(err.hint, /not registered in this tenant/);
  });

  it("never repeats a secret or a token", () => {
    const leaky = new Error(
      `bad request client_secret=${SECRET} assertion=eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl`,
    );
    const err = toAuthenticationError(leaky, ctx);
    assert.ok(!err.message.includes(SECRET));
    assert.ok(!err.message.includes("eyJ"));
    assert.equal(redact(`a ${SECRET} b`, [SECRET]), "a <redacted> b");
  });

  it("says when the authority could not be reached", () => {
    const err = toAuthenticationError(
      new Error("request to https://127.0.0.1:1 failed: connect ECONNREFUSED"),
      ctx,
    );
    assert.match(
      err.message,
      /could not reach the authority https:\/\/login\.microsoftonline\.com/,
    );
    assert.match(err.hint, /NODE_EXTRA_CA_CERTS/);
  });

  it("gives the credential kind's hint otherwise", () => {
    const err = toAuthenticationError(
      Object.assign(new Error("Azure CLI could not be found"), {
        name: "CredentialUnavailableError",
      }),
      {
        ...ctx,
        credential: "azureCli",
      },
    );
    assert.match(err.hint, /az login/);
  });
});

describe("auth: createCredential", () => {
  afterEach(clearCredentialCache);
  const env = { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT, AZURE_CLIENT_SECRET: SECRET };

  it("returns one credential per process for the same settings", () => {
    const a = createCredential(resolveSettings({}, env));
    const b = createCredential(resolveSettings({}, env));
    assert.equal(a, b);
  });

  it("returns another for other settings (a new secret included)", () => {
    const a = createCredential(resolveSettings({}, env));
    const b = createCredential(resolveSettings({}, { ...env, AZURE_CLIENT_SECRET: `${SECRET}2` }));
    assert.notEqual(a, b);
  });

  it("createUncachedCredential always builds a new instance", () => {
    const s = resolveSettings({}, env);
    assert.notEqual(createUncachedCredential(s), createUncachedCredential(s));
  });

  for (const [kind, extra] of [
    ["clientSecret", {}],
    ["clientCertificate", { AZURE_CLIENT_CERTIFICATE_PATH: "/nonexistent.pem" }],
    ["workloadIdentity", { AZURE_FEDERATED_TOKEN_FILE: "/nonexistent-token" }],
    ["managedIdentity", {}],
    ["azureCli", {}],
    ["default", {}],
  ] as const) {
    it(`builds ${kind}`, () => {
      const s = resolveSettings({ "bitlocker:credential": kind }, { ...env, ...extra });
      assert.equal(typeof createCredential(s).getToken, "function");
    });
  }

  it("turns a failure into AuthenticationError without the secret", async () => {
    // The federated token file does not exist: the credential fails before any network call.
    const s = resolveSettings(
      {
        "bitlocker:credential": "workloadIdentity",
        "bitlocker:authorityHost": "https://127.0.0.1:9",
      },
      { ...env, AZURE_FEDERATED_TOKEN_FILE: "/nonexistent-token-file" },
    );
    await assert.rejects(createCredential(s).getToken(s.scope), (err: AuthenticationError) => {
      assert.ok(err instanceof AuthenticationError);
      assert.equal(err.credential, "workloadIdentity");
      assert.ok(!err.message.includes(SECRET));
      return true;
    });
  });
});
