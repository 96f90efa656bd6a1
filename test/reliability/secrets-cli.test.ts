// Secrets under the real `pulumi` CLI: for each credential type (client secret, client
// certificate with its private key, workload identity federated token file), given to the
// `pulumi` process as the environment a pipeline sets, `pulumi up` rotates and fails (404 on
// an unknown device, a credential Entra ID refuses, 403 for a read-only app), `pulumi refresh`
// fails with a refused credential (the dynamic-provider host prints that error's stack), and
// nothing any command printed, nor `pulumi stack export --show-secrets`, holds a secret, a key
// line, the federated token, or an access token of the tenant. Finally, what happens to a
// client secret given as `--secret` stack config instead (documented in docs/security.md).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { clearCredentialCache, createCredential } from "../../provider/auth/credential";
import { resolveSettings } from "../../provider/auth/settings";
import type { SimulatedTenant } from "../../simulator/index";
import { type CommandResult, PulumiProject } from "../e2e/harness";
import {
  CA_PEM,
  SINGLE_PROGRAM,
  type DeviceSpec,
  bareEnv,
  outs,
  setDevices,
  singles,
  startE2eTenant,
  text,
  whereIn,
} from "../e2e/support";
import {
  CREDENTIAL_TYPES,
  leaks,
  registerCredentials,
  type CredentialSettings,
  type Credentials,
} from "./credentials";
import { flushResults, record, windowsDevice } from "./support";

describe("reliability: secrets under the pulumi CLI (all credential types)", function () {
  this.timeout(5 * 60_000);
  let tenant: SimulatedTenant;
  let project: PulumiProject;
  let dir: string;
  let creds: Credentials;
  let ok: string;
  const unknown = "0b7c5a2e-dead-4a2b-9c3d-00000000e404";
  const seen: CommandResult[] = [];
  const accessTokens: string[] = [];

  /** The `pulumi` process's environment for one credential: nothing else set. */
  const envFor = (s: CredentialSettings): Record<string, string | undefined> => ({
    ...s.env,
    NODE_EXTRA_CA_CERTS: CA_PEM,
    NODE_PRESERVE_SYMLINKS: "1",
    XDG_CACHE_HOME: path.join(dir, "cache"),
  });
  const specs = (token: string): DeviceSpec[] => [
    { name: "dev-ok", managedDeviceId: ok, rotationToken: token },
    { name: "dev-404", managedDeviceId: unknown, rotationToken: token },
  ];
  /** Every resource is attempted, whatever fails first (else the 404 may stop the others). */
  const upArgs = ["--continue-on-error"];
  const run = async (p: Promise<CommandResult>) => {
    const r = await p;
    seen.push(r);
    return r;
  };

  before(async function () {
    tenant = await startE2eTenant();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bitlocker-rel-cli-secrets-"));
    creds = registerCredentials(tenant, dir);
    ok = windowsDevice(tenant).id;
    project = await PulumiProject.create({ name: "secrets-cli", program: SINGLE_PROGRAM });
    // An access token of the tenant, through the real credential: every token the tenant
    // issues starts with the same header, so this finds any of them in the output.
    clearCredentialCache();
    const s = resolveSettings(creds.good.clientSecret.config, {});
    accessTokens.push((await createCredential(s).getToken(s.scope))!.token);
  });
  after(async function () {
    flushResults();
    await project?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
    await tenant?.close();
  });

  for (const type of CREDENTIAL_TYPES) {
    it(`${type}: up (a rotation and a 404), then a refused credential`, async function () {
      // The rotation first: a device that does not exist now fails the preview (check reads
      // it), which stops the whole update; then the 404, with the same credential.
      await setDevices(project, specs(`${type}-1`).slice(0, 1));
      const up = await run(
        project.up({ allowFailure: true, args: upArgs, env: envFor(creds.good[type]) }),
      );
      assert.equal(up.code, 0, text(up));
      assert.equal(
        outs(singles(await project.exportStack()).get("dev-ok")).rotationToken,
        `${type}-1`,
      );
      await setDevices(project, specs(`${type}-1`));
      const missing = await run(
        project.up({ allowFailure: true, args: upArgs, env: envFor(creds.good[type]) }),
      );
      assert.notEqual(missing.code, 0, "the unknown device fails the run");
      assert.match(text(missing), /404/);

      await setDevices(project, specs(`${type}-2`));
      const refused = await run(
        project.up({ allowFailure: true, args: upArgs, env: envFor(creds.bad[type]) }),
      );
      assert.notEqual(refused.code, 0);
      assert.match(text(refused), /authentication failed[\s\S]*AADSTS/);
    });
  }

  it("403 (read-only app) and a refresh with a refused credential", async function () {
    // dev-ok only: the unknown device would stop the update at check, before any 403.
    await setDevices(project, specs("ro-1").slice(0, 1));
    const forbidden = await run(
      project.up({
        allowFailure: true,
        args: upArgs,
        env: envFor(creds.readOnly.workloadIdentity),
      }),
    );
    assert.match(text(forbidden), /403/);
    assert.match(text(forbidden), /DeviceManagementManagedDevices\.ReadWrite\.All/);
    const refresh = await run(
      project.refresh({ allowFailure: true, env: envFor(creds.bad.clientCertificate) }),
    );
    assert.notEqual(refresh.code, 0);
    assert.match(text(refresh), /authentication failed/);
  });

  it("no command output and no `stack export --show-secrets` holds a secret or a token", async function () {
    const exported = await project.exportStack({ showSecrets: true });
    const found = [
      ...seen.flatMap((r) => leaks(text(r), creds, accessTokens, r.command)),
      ...leaks(JSON.stringify(exported), creds, accessTokens, "stack export --show-secrets"),
    ];
    const provider = String(outs(singles(exported).get("dev-ok")).__provider ?? "");
    record({
      suite: "secrets (pulumi CLI)",
      case: "client secret, certificate and workload identity from the environment",
      injected:
        "per credential: up (rotation + 404) and up with a refused credential; 403 (read-only app); refresh with a refused credential",
      happened: `${seen.length} commands; exit codes ${seen.map((r) => r.code).join(", ")}`,
      state: `__provider ${provider.length} bytes (${provider.includes("require(") ? "a require by package name" : "inline"})`,
      converged: found.length === 0,
      devices: 2,
      repeated: 0,
      attempts: 0,
      ms: seen.reduce((n, r) => n + r.durationMs, 0),
      notes: `${seen.reduce((n, r) => n + text(r).length, 0)} chars of output and ${JSON.stringify(exported).length} chars of state scanned; leaks: ${found.length}`,
    });
    assert.deepEqual(found, []);
    assert.ok(
      provider.length > 0 && provider.length < 600,
      `__provider is ${provider.length} bytes`,
    );
  });

  it("a client secret in `--secret` stack config is stored only encrypted, in the default provider's inputs", async function () {
    const s = creds.good.clientSecret;
    for (const [key, value] of Object.entries(s.config)) {
      await project.configSet(key, value, { secret: key === "bitlocker:clientSecret" });
    }
    await setDevices(project, [{ name: "dev-ok", managedDeviceId: ok, rotationToken: "config-1" }]);
    // Nothing in the environment: no tenant, app, credential, endpoint or cache dir.
    const up = await run(project.up({ env: bareEnv(envFor(s)) }));
    const secret = s.config["bitlocker:clientSecret"]!;
    const hidden = await project.exportStack({ showSecrets: false });
    const shown = await project.exportStack({ showSecrets: true });
    const stackFile = fs.readFileSync(
      path.join(project.dir, `Pulumi.${project.stack}.yaml`),
      "utf8",
    );
    const where = whereIn(shown, secret);
    record({
      suite: "secrets (pulumi CLI)",
      case: "client secret as `--secret` stack config",
      injected:
        "bitlocker:clientSecret set with `pulumi config set --secret`; nothing in the environment",
      happened: `up exit ${up.code}`,
      state: `plaintext in export: ${whereIn(hidden, secret).length === 0 ? "no" : "YES"}; with --show-secrets: ${where.map((u) => u.split("::").slice(-2).join("::")).join(", ") || "nowhere"}; in Pulumi.${project.stack}.yaml: ${stackFile.includes(secret) ? "YES" : "encrypted"}`,
      converged: whereIn(hidden, secret).length === 0,
      devices: 1,
      repeated: 0,
      attempts: 0,
      ms: up.durationMs,
    });
    assert.ok(!text(up).includes(secret), "not printed");
    assert.deepEqual(whereIn(hidden, secret), [], "never in plaintext without --show-secrets");
    assert.ok(!stackFile.includes(secret), "encrypted in the stack's config file");
    for (const r of singles(shown).values()) assert.ok(!JSON.stringify(r).includes(secret), r.urn);
    for (const urn of where) assert.match(urn, /::pulumi:providers:pulumi-nodejs::default/, urn);
  });
});
