// Failures that are not a wrong credential must not be reported as one: the real
// @azure/identity against the simulated Entra ID over HTTPS, and HTTPS servers presenting an
// untrusted, an expired and a wrong-host certificate (Entra ID and Graph alike).
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { AuthenticationError } from "../../provider/auth/authenticationError";
import { clearCredentialCache, createCredential } from "../../provider/auth/credential";
import { SettingsError, resolveSettings } from "../../provider/auth/settings";
import { GraphClient } from "../../provider/graph/client";
import { GraphError } from "../../provider/graph/errors";
import { createClientCertificate, type SimulatedTenant } from "../../simulator/index";
import { issueCertificate, type CertificateWithKey } from "../../simulator/tls/certificates";
import { CA_DIR, TOKEN_PATH, startTrustedTenant, tenantSettings } from "../support/tenant";

const CREDENTIAL_BLAME = /check bitlocker:tenantId, bitlocker:clientId/i;

async function serve(
  cert: CertificateWithKey,
  chain = "",
): Promise<{ url: string; close(): void }> {
  const server = https.createServer(
    { cert: cert.certificatePem + chain, key: cert.privateKeyPem },
    (_req, res) => res.end("{}"),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `https://127.0.0.1:${port}`, close: () => server.close() };
}

describe("integration: authentication and TLS errors say what is wrong", function () {
  this.timeout(60_000);
  let tenant: SimulatedTenant;
  let dir: string;
  const secretEnv = () => ({
    AZURE_TENANT_ID: tenant.tenantId,
    AZURE_CLIENT_ID: tenant.defaultApp.clientId,
    AZURE_CLIENT_SECRET: tenant.defaultApp.clientSecret,
  });
  const tokenError = async (settings: ReturnType<typeof tenantSettings>) => {
    clearCredentialCache();
    const credential = createCredential(settings);
    try {
      await credential.getToken(settings.scope);
    } catch (err) {
      assert.ok(err instanceof AuthenticationError, String(err));
      return { err, credential };
    }
    assert.fail("the token request must fail");
  };

  before(async () => {
    tenant = await startTrustedTenant({ fleet: { size: 1 }, throttle: false });
    dir = mkdtempSync(path.join(os.tmpdir(), "bitlocker-auth-errors-"));
  });
  after(async () => {
    await tenant?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => tenant.clearFaults());

  for (const [status, words] of [
    [429, /is throttling token requests \(HTTP 429\)/],
    [503, /is unavailable \(HTTP 503\)/],
  ] as const) {
    it(`Entra ID ${status}: named as the token service's trouble, also when MSAL answers from its throttle cache`, async () => {
      tenant.addFault({
        method: "POST",
        path: TOKEN_PATH,
        kind: String(status) as "429" | "503",
        retryAfterSeconds: 0.1,
      });
      const { err, credential } = await tokenError(tenantSettings(tenant, {}, secretEnv()));
      for (const e of [err, await credential.getToken(tenant.url + "/.default").catch((x) => x)]) {
        assert.match(e.message, words, e.message);
        assert.match(e.message, /not a wrong tenant, client id or credential/);
        assert.doesNotMatch(e.message, CREDENTIAL_BLAME);
      }
    });
  }

  it("a PEM without its certificate says so (not 'could not reach the authority')", async () => {
    const cert = createClientCertificate();
    const keyOnly = path.join(dir, "key-only.pem");
    writeFileSync(keyOnly, cert.privateKeyPem);
    const { err } = await tokenError(
      tenantSettings(
        tenant,
        {},
        {
          AZURE_TENANT_ID: tenant.tenantId,
          AZURE_CLIENT_ID: tenant.defaultApp.clientId,
          AZURE_CLIENT_CERTIFICATE_PATH: keyOnly,
        },
      ),
    );
    assert.match(err.message, /holds a private key but no certificate/);
    assert.doesNotMatch(err.message, /reach the authority/);
    assert.ok(!err.message.includes("PRIVATE KEY-----\n"), "no key material");
  });

  it("no credential at all: the missing settings, at once", () => {
    const s = resolveSettings({ "bitlocker:authorityHost": tenant.authorityHost }, {});
    const started = Date.now();
    assert.throws(
      () => createCredential(s),
      (err: Error) =>
        err instanceof SettingsError &&
        /Missing: the tenant id bitlocker:tenantId \(AZURE_TENANT_ID\); the application \(client\) id/.test(
          err.message,
        ),
    );
    assert.ok(Date.now() - started < 100);
    // An explicit choice still builds the chain.
    assert.ok(createCredential(resolveSettings({ "bitlocker:credential": "default" }, {})));
  });

  describe("TLS, told apart by the certificate error's code", () => {
    let ca: CertificateWithKey;
    before(() => {
      ca = {
        certificatePem: readFileSync(path.join(CA_DIR, "ca.pem"), "utf8"),
        privateKeyPem: readFileSync(path.join(CA_DIR, "ca-key.pem"), "utf8"),
      };
    });
    const cases = () => {
      const otherCa = issueCertificate({ commonName: "proxy CA", days: 5, isCa: true });
      return [
        {
          name: "untrusted CA",
          cert: issueCertificate({
            commonName: "x",
            days: 5,
            ipAddresses: ["127.0.0.1"],
            issuer: otherCa,
          }),
          chain: otherCa.certificatePem,
          words:
            /not issued by a CA this process trusts \(SELF_SIGNED_CERT_IN_CHAIN\)[\s\S]*NODE_EXTRA_CA_CERTS/,
        },
        {
          name: "expired certificate",
          cert: issueCertificate({
            commonName: "x",
            days: -1,
            ipAddresses: ["127.0.0.1"],
            issuer: ca,
          }),
          chain: "",
          words: /has expired \(CERT_HAS_EXPIRED\)[\s\S]*clock/,
        },
        {
          name: "host name mismatch",
          cert: issueCertificate({
            commonName: "x",
            days: 5,
            dnsNames: ["other.example.test"],
            issuer: ca,
          }),
          chain: "",
          words: /issued for another host name \(ERR_TLS_CERT_ALTNAME_INVALID\)/,
        },
      ];
    };

    it("Entra ID (the authority): untrusted, expired, wrong host", async () => {
      for (const c of cases()) {
        const server = await serve(c.cert, c.chain);
        try {
          const { err } = await tokenError(
            tenantSettings(tenant, { "bitlocker:authorityHost": server.url }, secretEnv()),
          );
          assert.match(err.message, c.words, `${c.name}: ${err.message}`);
          assert.match(err.message, /bitlocker:authorityHost|NODE_EXTRA_CA_CERTS|clock/);
          assert.doesNotMatch(err.message, CREDENTIAL_BLAME);
          assert.doesNotMatch(err.message, /endpoints_resolution_error/);
        } finally {
          server.close();
        }
      }
    });

    it("Graph: untrusted, expired, wrong host", async () => {
      for (const c of cases()) {
        const server = await serve(c.cert, c.chain);
        const client = new GraphClient({
          baseUrl: server.url,
          credential: {
            getToken: async () => ({ token: "t", expiresOnTimestamp: Date.now() + 3600_000 }),
          },
          retry: { maxRetries: 0, budgetMs: 2000 },
        });
        try {
          await assert.rejects(
            client.getManagedDevice(tenant.listDevices()[0]!.id),
            (err: Error) => {
              assert.ok(err instanceof GraphError, String(err));
              assert.match(err.message, c.words, `${c.name}: ${err.message}`);
              return true;
            },
          );
        } finally {
          await client.close();
          server.close();
        }
      }
    });
  });
});
