// Settings → @azure/identity credential → token → Graph, against the simulated tenant's
// Entra ID over HTTPS: client secret, certificate (PEM file) and workload identity
// (federated token file). Run with NODE_EXTRA_CA_CERTS=<repo>/.sim/ca.pem (the test falls
// back to adding the CA to this process's default trust store).
import assert from "node:assert/strict";
import { createSign, generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { AuthenticationError } from "../../provider/auth/authenticationError";
import { clearCredentialCache, createCredential } from "../../provider/auth/credential";
import { describeSettings, type Settings } from "../../provider/auth/settings";
import { GraphClient } from "../../provider/graph/client";
import {
  ALL_ROLES,
  createClientCertificate,
  TOKEN_EXCHANGE_AUDIENCE,
  type SimulatedTenant,
} from "../../simulator/index";
import { startTrustedTenant, tenantSettings } from "../support/tenant";

/** An RS256 JWT, as a CI system's OIDC issuer would mint for workload identity federation. */
function federatedToken(privateKeyPem: string, claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: "RS256", typ: "JWT" })}.${b64({ iat: now, nbf: now, exp: now + 600, jti: randomUUID(), ...claims })}`;
  const signature = createSign("RSA-SHA256").update(body).sign(privateKeyPem).toString("base64url");
  return `${body}.${signature}`;
}

const ISSUER = "https://token.ci.example.test";
const SUBJECT = "repo:contoso/fleet:environment:production";

describe("integration: credentials against the simulated Entra ID", function () {
  this.timeout(60_000);
  let tenant: SimulatedTenant;
  let dir: string;
  const clients: GraphClient[] = [];
  let deviceId: string;

  /** Settings as a CI job would give them: AZURE_* in the environment, the endpoints in config. */
  const settings = (env: Record<string, string>, config: Record<string, string> = {}): Settings =>
    tenantSettings(tenant, config, { AZURE_TENANT_ID: tenant.tenantId, ...env });
  const tokenRequests = () =>
    tenant.log.count({ method: "POST", path: `/${tenant.tenantId}/oauth2/v2.0/token` });
  const graphWorks = async (s: Settings) => {
    const client = new GraphClient({ settings: s });
    clients.push(client);
    const d = await client.getManagedDevice(deviceId);
    assert.equal(d.id, deviceId);
  };

  before(async () => {
    tenant = await startTrustedTenant({ fleet: { size: 3 }, throttle: false });
    deviceId = tenant.listDevices()[0]!.id;
    dir = mkdtempSync(path.join(os.tmpdir(), "bitlocker-auth-"));
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await tenant?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    clearCredentialCache();
    tenant.log.clear();
  });

  describe("client secret", () => {
    it("gets a token (roles included) and calls Graph; the token is cached", async () => {
      const s = settings({
        AZURE_CLIENT_ID: tenant.defaultApp.clientId,
        AZURE_CLIENT_SECRET: tenant.defaultApp.clientSecret,
      });
      assert.equal(s.credential, "clientSecret");
      assert.equal(s.disableInstanceDiscovery, true);
      const credential = createCredential(s);
      const token = await credential.getToken(s.scope);
      assert.ok(token);
      const claims = JSON.parse(
        Buffer.from(token.token.split(".")[1]!, "base64url").toString(),
      ) as { roles?: string[]; aud?: string };
      assert.ok(claims.roles?.includes("DeviceManagementManagedDevices.ReadWrite.All"));
      await credential.getToken(s.scope);
      assert.equal(tokenRequests(), 1, "MSAL served the second token from its cache");
      assert.equal(createCredential(s), credential, "one credential per process");
      await graphWorks(s);
      assert.equal(tokenRequests(), 1);
    });

    it("a wrong secret is an AuthenticationError with AADSTS7000215 and no secret in it", async () => {
      const wrong = "Wr0ng~secret-value-xyz";
      const s = settings({
        AZURE_CLIENT_ID: tenant.defaultApp.clientId,
        AZURE_CLIENT_SECRET: wrong,
      });
      const client = new GraphClient({ settings: s });
      clients.push(client);
      await assert.rejects(client.getManagedDevice(deviceId), (err: AuthenticationError) => {
        assert.ok(err instanceof AuthenticationError);
        assert.equal(err.aadstsCode, "AADSTS7000215");
        assert.match(
          err.message,
          /^authentication failed \(credential clientSecret, tenant .*\): Entra ID refused the token request: AADSTS7000215/,
        );
        assert.match(err.message, /The client secret is wrong/);
        assert.ok(!err.message.includes(wrong));
        assert.ok(!JSON.stringify(err).includes(wrong));
        return true;
      });
      assert.equal(tenant.log.count({ pathMatches: "^/beta/" }), 0, "Graph was never called");
    });

    it("an unknown application is AADSTS700016 with a hint naming clientId", async () => {
      const s = settings({ AZURE_CLIENT_ID: randomUUID(), AZURE_CLIENT_SECRET: "whatever-secret" });
      await assert.rejects(createCredential(s).getToken(s.scope), (err: AuthenticationError) => {
        assert.equal(err.aadstsCode, "AADSTS700016");
        assert.match(err.hint, /bitlocker:clientId/);
        return true;
      });
    });
  });

  describe("client certificate (PEM file)", () => {
    it("authenticates with a registered certificate", async () => {
      const cert = createClientCertificate("bitlocker-auth-test");
      const app = tenant.registerApp({ roles: ALL_ROLES, certificatePem: cert.certificatePem });
      const pemPath = path.join(dir, "app.pem");
      writeFileSync(pemPath, `${cert.privateKeyPem}\n${cert.certificatePem}`, { mode: 0o600 });
      const s = settings({ AZURE_CLIENT_ID: app.clientId, AZURE_CLIENT_CERTIFICATE_PATH: pemPath });
      assert.equal(s.credential, "clientCertificate");
      await graphWorks(s);
    });

    it("an unregistered certificate is AADSTS700027", async () => {
      const registered = createClientCertificate("registered");
      const other = createClientCertificate("other");
      const app = tenant.registerApp({
        roles: ALL_ROLES,
        certificatePem: registered.certificatePem,
      });
      const pemPath = path.join(dir, "other.pem");
      writeFileSync(pemPath, `${other.privateKeyPem}\n${other.certificatePem}`, { mode: 0o600 });
      const s = settings({ AZURE_CLIENT_ID: app.clientId, AZURE_CLIENT_CERTIFICATE_PATH: pemPath });
      await assert.rejects(createCredential(s).getToken(s.scope), (err: AuthenticationError) => {
        assert.equal(err.aadstsCode, "AADSTS700027");
        assert.match(err.hint, /certificate is not registered/);
        return true;
      });
    });
  });

  describe("workload identity (federated token file)", () => {
    const issuerKeys = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
    });
    const mint = (subject: string) =>
      federatedToken(issuerKeys.privateKey, {
        iss: ISSUER,
        sub: subject,
        aud: TOKEN_EXCHANGE_AUDIENCE,
      });

    it("reads the token file on every token request and authenticates", async () => {
      const app = tenant.registerApp({
        roles: ALL_ROLES,
        federatedCredentials: [
          { issuer: ISSUER, subject: SUBJECT, publicKeyPem: issuerKeys.publicKey },
        ],
      });
      const tokenFile = path.join(dir, "federated-token");
      // First the platform has not refreshed the file yet: a token for another subject.
      writeFileSync(tokenFile, mint("repo:contoso/other:ref:refs/heads/main"));
      const s = settings({ AZURE_CLIENT_ID: app.clientId, AZURE_FEDERATED_TOKEN_FILE: tokenFile });
      assert.equal(s.credential, "workloadIdentity");
      const credential = createCredential(s);
      await assert.rejects(credential.getToken(s.scope), (err: AuthenticationError) => {
        assert.equal(err.aadstsCode, "AADSTS70021");
        assert.match(err.hint, /federated credential/);
        assert.ok(!err.message.includes("eyJ"), "no token in the message");
        return true;
      });
      // The file now holds a good token: the same credential picks it up.
      writeFileSync(tokenFile, `${mint(SUBJECT)}\n`);
      assert.ok(await credential.getToken(s.scope));
      await graphWorks(s);
    });
  });

  it("describeSettings names where each value came from and redacts the secret", () => {
    const s = settings({
      AZURE_CLIENT_ID: tenant.defaultApp.clientId,
      AZURE_CLIENT_SECRET: tenant.defaultApp.clientSecret,
    });
    const text = describeSettings(s);
    assert.ok(!text.includes(tenant.defaultApp.clientSecret));
    assert.match(
      text,
      /graphEndpoint: https:\/\/127\.0\.0\.1:\d+ \(config bitlocker:graphEndpoint\)/,
    );
    assert.match(text, /clientSecret: <redacted> \(env AZURE_CLIENT_SECRET\)/);
    assert.match(text, /disableInstanceDiscovery: true/);
  });
});
