// TLS verification is never disabled: no source file turns it off, and a process that does not
// trust the tenant's CA (no NODE_EXTRA_CA_CERTS) fails with a certificate error that says so,
// before any request is served.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { SimulatedTenant } from "../../simulator/index";
import { startTenant } from "../support/tenant";
import { REPO_DIR, flushResults, record, windowsDevice } from "./support";

const SKIP_DIRS = new Set([
  "node_modules",
  ".git",
  ".e2e-tmp",
  ".sim",
  ".pulumi-home",
  ".pulumi-state",
  "results",
]);
const SOURCE = /\.(ts|js|mjs|cjs|sh|ya?ml|json)$/;
const DISABLING = /rejectUnauthorized|NODE_TLS_REJECT_UNAUTHORIZED|checkServerIdentity/;

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(full);
    else if (SOURCE.test(entry.name)) yield full;
  }
}

function run(
  file: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("reliability: TLS verification", function () {
  this.timeout(120_000);
  let tenant: SimulatedTenant;

  before(async () => {
    tenant = await startTenant();
  });
  after(async () => {
    flushResults();
    await tenant?.close();
  });

  it("no source file (package, built package, scripts, examples, pipelines) disables it", () => {
    const self = path.resolve(__filename);
    const hits: string[] = [];
    let scanned = 0;
    for (const file of sourceFiles(REPO_DIR)) {
      if (path.resolve(file) === self) continue;
      scanned++;
      const lines = fs.readFileSync(file, "utf8").split("\n");
      lines.forEach((l, i) => {
        if (DISABLING.test(l)) hits.push(`${path.relative(REPO_DIR, file)}:${i + 1}: ${l.trim()}`);
      });
    }
    assert.ok(scanned > 100, `scanned ${scanned} files`);
    assert.deepEqual(hits, []);
  });

  it("an untrusted CA fails the Graph client and the engine with a certificate error, and nothing is served", async () => {
    const d = windowsDevice(tenant);
    tenant.log.clear();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      UNTRUSTED_SECRET: tenant.defaultApp.clientSecret,
    };
    delete env.NODE_EXTRA_CA_CERTS;
    delete env.NODE_TLS_REJECT_UNAUTHORIZED;
    const started = Date.now();
    // Asynchronously: the tenant answers from this process's event loop.
    const child = await run(
      process.execPath,
      [
        "-r",
        "ts-node/register/transpile-only",
        path.join(__dirname, "fixtures", "untrusted-client.ts"),
        tenant.url,
        tenant.tenantId,
        tenant.defaultApp.clientId,
        d.id,
      ],
      { cwd: REPO_DIR, env },
    );
    const ms = Date.now() - started;
    const line = child.stdout.trim().split("\n").pop() ?? "";
    let out: {
      extraCa: string | null;
      graph?: { name: string; code?: string; message: string };
      engine?: { name: string; code?: string; message: string };
    };
    try {
      out = JSON.parse(line);
    } catch {
      assert.fail(`the child printed no result:\n${child.stdout}\n${child.stderr}`);
    }
    record({
      suite: "TLS",
      case: "untrusted CA (no NODE_EXTRA_CA_CERTS)",
      injected: "a child process without NODE_EXTRA_CA_CERTS calls the tenant",
      happened: `Graph client: ${out.graph?.message.split("\n")[0]} | engine: ${out.engine?.message.split("\n")[0]}`,
      state: "nothing",
      converged: true,
      devices: 1,
      repeated: 0,
      attempts: tenant.log.size,
      ms,
    });
    assert.equal(out.extraCa, null, "the child does not trust the tenant's CA");
    assert.equal(tenant.log.size, 0, "no request was served: the TLS handshake failed");
    // The Graph client: a certificate error, named as such, with what to do.
    assert.ok(out.graph && out.graph.name !== undefined, "the Graph client must fail");
    assert.match(out.graph.message, /certificate|CERT/i);
    assert.match(out.graph.message, /NODE_EXTRA_CA_CERTS/);
    // The engine (Entra ID first): the same, not a guess at the credential.
    assert.ok(out.engine && out.engine.name !== undefined, "the engine must fail");
    assert.match(out.engine.message, /certificate|CERT/i, out.engine.message);
    // Named as an untrusted CA, with what to do, not as a credential or an unreachable host.
    assert.match(out.engine.message, /not issued by a CA this process trusts/, out.engine.message);
    assert.match(out.engine.message, /NODE_EXTRA_CA_CERTS/);
    assert.doesNotMatch(out.engine.message, /endpoints_resolution_error|Check bitlocker:tenantId/);
    assert.match(out.graph.message, /not issued by a CA this process trusts/, out.graph.message);
  });
});
