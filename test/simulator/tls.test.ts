// The CA on disk and the server certificate: verified TLS only.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureCa } from "../../simulator/index";
import { loadOrCreateCa } from "../../simulator/tls/ca";
import { startTenant } from "./helpers";

describe("simulator: CA and TLS", () => {
  let dir: string;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "bitlocker-sim-ca-"));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it("ensureCa creates ca.pem and ca-key.pem once, then reuses them", async () => {
    const caDir = path.join(dir, "nested", ".sim");
    const files = await ensureCa(caDir);
    assert.deepEqual(files, {
      certPath: path.join(caDir, "ca.pem"),
      keyPath: path.join(caDir, "ca-key.pem"),
    });
    const cert = new X509Certificate(await fs.readFile(files.certPath));
    assert.equal(cert.ca, true);
    assert.equal((await fs.stat(files.keyPath)).mode & 0o777, 0o600);
    const again = await ensureCa(caDir);
    assert.equal(
      new X509Certificate(await fs.readFile(again.certPath)).fingerprint256,
      cert.fingerprint256,
    );
  });

  it("several processes' worth of concurrent calls agree on one CA; a broken one is replaced", async () => {
    const results = await Promise.all([
      loadOrCreateCa(dir),
      loadOrCreateCa(dir),
      loadOrCreateCa(dir),
    ]);
    assert.equal(new Set(results.map((r) => r.certificatePem)).size, 1);
    const first = new X509Certificate(await fs.readFile(path.join(dir, "ca.pem"))).fingerprint256;
    await fs.rm(path.join(dir, "ca-key.pem"));
    await ensureCa(dir);
    const second = new X509Certificate(await fs.readFile(path.join(dir, "ca.pem"))).fingerprint256;
    assert.notEqual(second, first);
  });

  it("the server certificate is issued by the CA for 127.0.0.1 and localhost", async () => {
    const tenant = await startTenant({ fleet: false });
    try {
      const port = new URL(tenant.url).port;
      for (const host of ["127.0.0.1", "localhost"]) {
        const res = await fetch(
          `https://${host}:${port}/${tenant.tenantId}/v2.0/.well-known/openid-configuration`,
        );
        assert.equal(res.status, 200, host);
      }
    } finally {
      await tenant.close();
    }
  });

  it("a client that does not trust the CA is refused: TLS is verified, never disabled", async () => {
    const tenant = await startTenant({ fleet: false, caDir: dir });
    try {
      await assert.rejects(
        fetch(`${tenant.url}/_sim/info`),
        (err: Error & { cause?: { code?: string } }) => {
          assert.match(String(err.cause?.code), /UNABLE_TO_VERIFY|SELF_SIGNED|CERT/);
          return true;
        },
      );
    } finally {
      await tenant.close();
    }
  });
});
