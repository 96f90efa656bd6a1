// Entra ID: discovery, the token endpoint, and the real @azure/identity credentials over
// real HTTPS (the client must trust the simulator's CA through NODE_EXTRA_CA_CERTS).
import assert from "node:assert/strict";
import {
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
} from "@azure/identity";
import {
  ALL_ROLES,
  ROLES,
  TOKEN_EXCHANGE_AUDIENCE,
  createClientCertificate,
  type SimulatedTenant,
} from "../../simulator/index";
import { loadJose } from "../../simulator/jose";
import { call, startTenant } from "./helpers";

const FEDERATED_ISSUER = "https://token.actions.example.test";
const FEDERATED_SUBJECT = "repo:contoso/fleet:environment:production";

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(
    Buffer.from(jwt.split(".")[1] as string, "base64url").toString("utf8"),
  ) as Record<string, unknown>;
}

interface TokenFailure {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
}

async function postToken(
  tenant: SimulatedTenant,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${tenant.url}/${tenant.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded;charset=utf-8", ...headers },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("simulator: Entra ID", () => {
  let tenant: SimulatedTenant;
  const options = (t: SimulatedTenant) => ({
    authorityHost: t.authorityHost,
    disableInstanceDiscovery: true,
  });

  before(async () => {
    tenant = await startTenant({ fleet: { size: 3 } });
  });
  after(() => tenant?.close());

  it("serves the tenant's OpenID configuration with the endpoints MSAL needs", async () => {
    const c = await call(
      tenant,
      undefined,
      `/${tenant.tenantId}/v2.0/.well-known/openid-configuration`,
    );
    assert.equal(c.status, 200);
    const doc = c.body as Record<string, string>;
    assert.equal(doc.token_endpoint, `${tenant.url}/${tenant.tenantId}/oauth2/v2.0/token`);
    assert.equal(
      doc.authorization_endpoint,
      `${tenant.url}/${tenant.tenantId}/oauth2/v2.0/authorize`,
    );
    assert.equal(doc.issuer, `${tenant.url}/${tenant.tenantId}/v2.0`);
    assert.equal(doc.jwks_uri, `${tenant.url}/${tenant.tenantId}/discovery/v2.0/keys`);
    const keys = await call(tenant, undefined, new URL(doc.jwks_uri).pathname);
    assert.equal((keys.body as { keys: { kty: string }[] }).keys[0]?.kty, "RSA");
  });

  it("answers instance discovery and refuses an unknown tenant", async () => {
    const endpoint = encodeURIComponent(`${tenant.url}/${tenant.tenantId}/oauth2/v2.0/authorize`);
    const d = await call(
      tenant,
      undefined,
      `/common/discovery/instance?api-version=1.1&authorization_endpoint=${endpoint}`,
    );
    assert.equal(d.status, 200);
    assert.match(
      (d.body as { tenant_discovery_endpoint: string }).tenant_discovery_endpoint,
      new RegExp(`/${tenant.tenantId}/v2.0/.well-known/openid-configuration$`),
    );
    const wrong = await call(
      tenant,
      undefined,
      "/not-a-tenant/v2.0/.well-known/openid-configuration",
    );
    assert.equal(wrong.status, 400);
    assert.match(String((wrong.body as TokenFailure).error_description), /^AADSTS90002:/);
  });

  it("issues an RS256 access token for a secret, with aud, tid, appid, roles and exp", async () => {
    const before = Math.floor(Date.now() / 1000);
    const r = await postToken(
      tenant,
      {
        grant_type: "client_credentials",
        client_id: tenant.defaultApp.clientId,
        client_secret: tenant.defaultApp.clientSecret,
        // MSAL's extra scopes and parameters are tolerated.
        scope: `${tenant.graphScope} openid profile offline_access`,
        client_info: "1",
      },
      {
        "client-request-id": "8f8a3c1e-0000-4000-8000-000000000001",
        "x-client-SKU": "msal.js.node",
      },
    );
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.body).sort(), [
      "access_token",
      "expires_in",
      "ext_expires_in",
      "token_type",
    ]);
    assert.equal(r.body.token_type, "Bearer");
    assert.equal(r.body.expires_in, 3599);
    assert.equal(r.body.ext_expires_in, 3599);
    const token = r.body.access_token as string;
    const header = JSON.parse(
      Buffer.from(token.split(".")[0] as string, "base64url").toString(),
    ) as { alg: string };
    assert.equal(header.alg, "RS256");
    const claims = claimsOf(token);
    assert.equal(claims.aud, tenant.url);
    assert.equal(claims.tid, tenant.tenantId);
    assert.equal(claims.appid, tenant.defaultApp.clientId);
    assert.deepEqual([...(claims.roles as string[])].sort(), [...ALL_ROLES].sort());
    assert.ok((claims.exp as number) >= before + 3599 && (claims.exp as number) <= before + 3601);
  });

  it("a token is good for its whole lifetime, however late in a second it is issued", async () => {
    tenant.setTokenLifetime(1);
    try {
      for (let i = 0; i < 3; i++) {
        const sent = Date.now();
        const r = await postToken(tenant, {
          grant_type: "client_credentials",
          client_id: tenant.defaultApp.clientId,
          client_secret: tenant.defaultApp.clientSecret,
          scope: tenant.graphScope,
        });
        assert.equal(r.body.expires_in, 1);
        const exp = claimsOf(r.body.access_token as string).exp as number;
        // Graph accepts it while its clock's whole second is before exp.
        assert.ok(exp * 1000 - sent >= 1000, `exp ${exp}, sent ${sent}`);
      }
    } finally {
      tenant.setTokenLifetime(3599);
    }
  });

  it("refuses a wrong secret with AADSTS7000215 in Entra's error shape", async () => {
    const r = await postToken(
      tenant,
      {
        grant_type: "client_credentials",
        client_id: tenant.defaultApp.clientId,
        client_secret: "not-the-secret",
        scope: tenant.graphScope,
      },
      { "client-request-id": "11111111-2222-4333-8444-555555555555" },
    );
    assert.equal(r.status, 401);
    const body = r.body as unknown as TokenFailure;
    assert.equal(body.error, "invalid_client");
    assert.match(body.error_description, /^AADSTS7000215: Invalid client secret provided/);
    assert.deepEqual(body.error_codes, [7000215]);
    assert.equal(body.correlation_id, "11111111-2222-4333-8444-555555555555");
    assert.match(body.trace_id, /^[0-9a-f-]{36}$/);
    assert.match(body.timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  });

  it("refuses an unknown client, a non-.default scope, another resource and a missing credential", async () => {
    const base = { grant_type: "client_credentials", scope: tenant.graphScope };
    const unknown = await postToken(tenant, {
      ...base,
      client_id: "00000000-0000-4000-8000-00000000abcd",
      client_secret: "x",
    });
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body.error_codes, [700016]);
    const id = tenant.defaultApp.clientId;
    const secret = tenant.defaultApp.clientSecret;
    const scope = await postToken(tenant, {
      ...base,
      client_id: id,
      client_secret: secret,
      scope: `${tenant.url}/User.Read`,
    });
    assert.equal(scope.status, 400);
    assert.deepEqual(scope.body.error_codes, [1002012]);
    const resource = await postToken(tenant, {
      ...base,
      client_id: id,
      client_secret: secret,
      scope: "https://graph.microsoft.com/.default",
    });
    assert.equal(resource.status, 400);
    assert.deepEqual(resource.body.error_codes, [500011]);
    const none = await postToken(tenant, { ...base, client_id: id });
    assert.equal(none.status, 401);
    assert.deepEqual(none.body.error_codes, [7000216]);
    const grant = await postToken(tenant, {
      ...base,
      grant_type: "password",
      client_id: id,
      client_secret: secret,
    });
    assert.equal(grant.body.error, "unsupported_grant_type");
  });

  describe("with the real @azure/identity 4.14.1 (MSAL) over HTTPS", () => {
    it("ClientSecretCredential gets a token that Graph accepts", async () => {
      const credential = new ClientSecretCredential(
        tenant.tenantId,
        tenant.defaultApp.clientId,
        tenant.defaultApp.clientSecret,
        options(tenant),
      );
      const token = await credential.getToken(tenant.graphScope);
      assert.ok(token.expiresOnTimestamp > Date.now() + 3500_000);
      const list = await call(tenant, token.token, "/beta/deviceManagement/managedDevices");
      assert.equal(list.status, 200);
      // MSAL read the tenant's metadata and posted to the token endpoint named there.
      assert.equal(
        tenant.log.count({ method: "GET", pathMatches: /openid-configuration$/ }) >= 1,
        true,
      );
      assert.equal(
        tenant.log.count({
          method: "POST",
          pathMatches: /oauth2\/v2\.0\/token$/,
          appId: tenant.defaultApp.clientId,
          status: 200,
        }) >= 1,
        true,
      );
    });

    it("ClientSecretCredential surfaces the AADSTS error of a wrong secret", async () => {
      const credential = new ClientSecretCredential(
        tenant.tenantId,
        tenant.defaultApp.clientId,
        "wrong",
        options(tenant),
      );
      await assert.rejects(credential.getToken(tenant.graphScope), /AADSTS7000215/);
    });

    it("ClientCertificateCredential signs an assertion with a registered certificate", async () => {
      const cert = createClientCertificate("sim-test-cert");
      const app = tenant.registerApp({
        certificatePem: cert.certificatePem,
        roles: [ROLES.managedDevicesRead],
      });
      const credential = new ClientCertificateCredential(
        tenant.tenantId,
        app.clientId,
        { certificate: cert.certificatePem + cert.privateKeyPem },
        options(tenant),
      );
      const token = await credential.getToken(tenant.graphScope);
      const claims = claimsOf(token.token);
      assert.equal(claims.appid, app.clientId);
      assert.equal(claims.appidacr, "2");
      assert.deepEqual(claims.roles, [ROLES.managedDevicesRead]);
    });

    it("ClientCertificateCredential is refused when the certificate is not the registered one", async () => {
      const registered = createClientCertificate("registered");
      const other = createClientCertificate("other");
      const app = tenant.registerApp({ certificatePem: registered.certificatePem, roles: [] });
      const credential = new ClientCertificateCredential(
        tenant.tenantId,
        app.clientId,
        { certificate: other.certificatePem + other.privateKeyPem },
        options(tenant),
      );
      await assert.rejects(credential.getToken(tenant.graphScope), /AADSTS700027/);
    });

    it("ClientAssertionCredential with a federated identity (issuer + subject + audience)", async () => {
      const jose = await loadJose();
      const { privateKey, publicKey } = await jose.generateKeyPair("RS256", { extractable: true });
      const jwk = { ...(await jose.exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
      const app = tenant.registerApp({
        roles: [ROLES.managedDevicesReadWrite],
        federatedCredentials: [
          { issuer: FEDERATED_ISSUER, subject: FEDERATED_SUBJECT, jwks: { keys: [jwk] } },
        ],
      });
      const assertion = (subject: string, audience = TOKEN_EXCHANGE_AUDIENCE) =>
        new jose.SignJWT({})
          .setProtectedHeader({ alg: "RS256", kid: "k1" })
          .setIssuer(FEDERATED_ISSUER)
          .setSubject(subject)
          .setAudience(audience)
          .setIssuedAt()
          .setExpirationTime("10m")
          .sign(privateKey);

      const good = new ClientAssertionCredential(
        tenant.tenantId,
        app.clientId,
        () => assertion(FEDERATED_SUBJECT),
        options(tenant),
      );
      const token = await good.getToken(tenant.graphScope);
      assert.equal(claimsOf(token.token).appid, app.clientId);
      assert.deepEqual(claimsOf(token.token).roles, [ROLES.managedDevicesReadWrite]);

      const wrongSubject = new ClientAssertionCredential(
        tenant.tenantId,
        app.clientId,
        () => assertion("repo:contoso/other:ref:refs/heads/main"),
        options(tenant),
      );
      await assert.rejects(wrongSubject.getToken(tenant.graphScope), /AADSTS70021/);
      const wrongAudience = new ClientAssertionCredential(
        tenant.tenantId,
        app.clientId,
        () => assertion(FEDERATED_SUBJECT, "api://other"),
        options(tenant),
      );
      await assert.rejects(wrongAudience.getToken(tenant.graphScope), /AADSTS700212/);
    });

    it("a certificate assertion may name its certificate by SHA-1 x5t and sign with RS256", async () => {
      const jose = await loadJose();
      const cert = createClientCertificate("sha1-x5t");
      const app = tenant.registerApp({ certificatePem: cert.certificatePem, roles: [] });
      const tokenUrl = `${tenant.url}/${tenant.tenantId}/oauth2/v2.0/token`;
      const assertion = await new jose.SignJWT({})
        .setProtectedHeader({
          alg: "RS256",
          x5t: Buffer.from(cert.thumbprint, "hex").toString("base64url"),
        })
        .setIssuer(app.clientId)
        .setSubject(app.clientId)
        .setAudience(tokenUrl)
        .setJti("a1")
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(await jose.importPKCS8(cert.privateKeyPem, "RS256"));
      const form = {
        grant_type: "client_credentials",
        client_id: app.clientId,
        scope: tenant.graphScope,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: assertion,
      };
      const r = await postToken(tenant, form);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      // The same assertion for another audience is refused.
      const other = await new jose.SignJWT({})
        .setProtectedHeader({
          alg: "RS256",
          x5t: Buffer.from(cert.thumbprint, "hex").toString("base64url"),
        })
        .setIssuer(app.clientId)
        .setSubject(app.clientId)
        .setAudience("https://login.example.test/token")
        .setJti("a2")
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(await jose.importPKCS8(cert.privateKeyPem, "RS256"));
      const refused = await postToken(tenant, { ...form, client_assertion: other });
      assert.equal(refused.status, 401);
    });

    it("a federated assertion signed by a key the issuer does not publish is refused", async () => {
      const jose = await loadJose();
      const published = await jose.generateKeyPair("RS256", { extractable: true });
      const attacker = await jose.generateKeyPair("RS256", { extractable: true });
      const jwk = { ...(await jose.exportJWK(published.publicKey)), kid: "k1", alg: "RS256" };
      const app = tenant.registerApp({
        roles: [],
        federatedCredentials: [
          { issuer: FEDERATED_ISSUER, subject: FEDERATED_SUBJECT, jwks: { keys: [jwk] } },
        ],
      });
      const forged = await new jose.SignJWT({})
        .setProtectedHeader({ alg: "RS256", kid: "k1" })
        .setIssuer(FEDERATED_ISSUER)
        .setSubject(FEDERATED_SUBJECT)
        .setAudience(TOKEN_EXCHANGE_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime("10m")
        .sign(attacker.privateKey);
      const r = await postToken(tenant, {
        grant_type: "client_credentials",
        client_id: app.clientId,
        scope: tenant.graphScope,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: forged,
      });
      assert.equal(r.status, 401);
      assert.equal(r.body.error, "invalid_client");
    });
  });
});
