// Credentials under the real `pulumi` CLI: taken from stack config (a `--secret` client
// secret) or from the environment (a client certificate), used for every Graph call, and
// never written to state or printed by up / preview / refresh / destroy.
//
// Each describe has its own project; its `it`s run in order (up, then preview and refresh,
// then the scans, then destroy).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  ALL_ROLES,
  createClientCertificate,
  type ClientCertificate,
  type SimulatedTenant,
} from "../../simulator/index";
import { changes, type CommandResult, type PulumiProject } from "./harness";
import {
  type DeviceSpec,
  assertNotPrinted,
  bareEnv,
  closeStack,
  graphWrites,
  outs,
  rotations,
  singleDeviceProject,
  singles,
  startE2eTenant,
  tenantEnv,
  whereIn,
  windowsDevice,
} from "./support";

/** Runs up, preview, refresh: the commands whose output is scanned later. */
async function exercise(project: PulumiProject, seen: CommandResult[]): Promise<void> {
  seen.push(await project.up());
  const { result, json } = await project.preview({ args: ["--diff"] });
  seen.push(result);
  assert.deepEqual(changes(json), []);
  seen.push(await project.refresh());
}

describe("e2e: credentials from stack config (pulumi CLI)", function () {
  this.timeout(5 * 60_000);
  const SECRET = "cfg-secret-e2e-Zq8v1tM3kW0pX4";
  let tenant: SimulatedTenant;
  let project: PulumiProject;
  let clientId: string;
  const seen: CommandResult[] = [];

  before(async function () {
    tenant = await startE2eTenant();
    ({ clientId } = tenant.registerApp({
      displayName: "config app",
      roles: ALL_ROLES,
      clientSecret: SECRET,
    }));
    const specs: DeviceSpec[] = [1, 2].map((n) => ({
      name: `dev-${n}`,
      managedDeviceId: windowsDevice(tenant).id,
      rotationToken: "A",
    }));
    project = await singleDeviceProject(tenant, "config-creds", specs, {
      // Nothing in the environment: no tenant, app, secret or endpoint.
      env: bareEnv(tenantEnv(tenant)),
      config: {
        "bitlocker:tenantId": tenant.tenantId,
        "bitlocker:clientId": clientId,
        "bitlocker:clientSecret": { value: SECRET, secret: true },
        "bitlocker:authorityHost": tenant.authorityHost,
        "bitlocker:graphEndpoint": tenant.url,
      },
    });
  });

  after(() => closeStack(project, tenant));

  it("rotates with the app named in stack config", async function () {
    await exercise(project, seen);
    assert.equal(rotations(tenant), 2);
    const graphCalls = tenant.log.entries({ pathMatches: /^\/beta\// });
    assert.ok(graphCalls.length > 0);
    assert.deepEqual(
      [...new Set(graphCalls.map((e) => e.appId))],
      [clientId],
      "every call as the config app",
    );
    const state = singles(await project.exportStack());
    for (const name of ["dev-1", "dev-2"])
      assert.equal(outs(state.get(name)).status, "pending", "after refresh");
  });

  it("keeps the secret out of the resources' state; Pulumi stores it only encrypted", async function () {
    const hidden = await project.exportStack({ showSecrets: false });
    assert.deepEqual(whereIn(hidden, SECRET), [], "no plaintext secret in the export");
    const shown = await project.exportStack({ showSecrets: true });
    // Stack config is the default pulumi-nodejs provider's input (Pulumi hands it to the
    // provider's configure): --show-secrets decrypts it there, and only there.
    for (const urn of whereIn(shown, SECRET)) {
      assert.match(urn, /::pulumi:providers:pulumi-nodejs::default$/, `secret in ${urn}`);
    }
    for (const r of singles(shown).values()) {
      assert.ok(!JSON.stringify(r).includes(SECRET), `secret in ${r.urn}`);
    }
  });

  it("destroy sends no write, and no command printed the secret", async function () {
    tenant.log.clear();
    seen.push(await project.destroy());
    assert.deepEqual(graphWrites(tenant), []);
    assertNotPrinted(seen, [SECRET], "secret");
  });
});

describe("e2e: a client certificate from the environment (pulumi CLI)", function () {
  this.timeout(5 * 60_000);
  let tenant: SimulatedTenant;
  let project: PulumiProject;
  let cert: ClientCertificate;
  let clientId: string;
  let pemDir: string | undefined;
  const seen: CommandResult[] = [];
  /** The private key's base64 body lines: none may appear anywhere, even one line. */
  const keyLines = () =>
    cert.privateKeyPem
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("-----"));

  before(async function () {
    tenant = await startE2eTenant();
    cert = createClientCertificate("bitlocker-e2e-client");
    ({ clientId } = tenant.registerApp({
      displayName: "certificate app",
      roles: ALL_ROLES,
      certificatePem: cert.certificatePem,
    }));
    // The PEM file a pipeline would mount: certificate and private key.
    pemDir = fs.mkdtempSync(path.join(os.tmpdir(), "bitlocker-e2e-cert-"));
    const pemFile = path.join(pemDir, "client-cert.pem");
    fs.writeFileSync(pemFile, cert.certificatePem + cert.privateKeyPem, { mode: 0o600 });
    const specs: DeviceSpec[] = [1, 2].map((n) => ({
      name: `dev-${n}`,
      managedDeviceId: windowsDevice(tenant).id,
      rotationToken: "A",
    }));
    project = await singleDeviceProject(tenant, "cert-creds", specs, {
      env: {
        ...tenantEnv(tenant, null),
        AZURE_CLIENT_ID: clientId,
        AZURE_CLIENT_CERTIFICATE_PATH: pemFile,
      },
    });
  });

  after(async function () {
    await closeStack(project, tenant);
    if (pemDir) fs.rmSync(pemDir, { recursive: true, force: true });
  });

  it("rotates with the certificate's app", async function () {
    await exercise(project, seen);
    assert.equal(rotations(tenant), 2);
    const graphCalls = tenant.log.entries({ pathMatches: /^\/beta\// });
    assert.deepEqual([...new Set(graphCalls.map((e) => e.appId))], [clientId]);
  });

  it("the private key is nowhere in the exported state, secrets shown", async function () {
    const shown = JSON.stringify(await project.exportStack({ showSecrets: true }));
    assert.ok(keyLines().length > 10);
    for (const line of keyLines())
      assert.ok(!shown.includes(line), "a line of the private key in state");
  });

  it("destroy sends no write, and no command printed the private key", async function () {
    tenant.log.clear();
    seen.push(await project.destroy());
    assert.deepEqual(graphWrites(tenant), []);
    assertNotPrinted(seen, keyLines(), "key");
  });
});
