// `npm start`: the demo. Starts the simulated tenant, runs a real `pulumi up` on the
// repository's own Pulumi project (index.ts) with local state, shows what was rotated and
// how to rotate again.
//
//   npm start                              first run: every eligible device rotates once
//   npm start                              again: nothing rotates
//   npm start -- --token 2027-Q1           a new fleet token: the fleet rotates
//   npm start -- --helpdesk-token INC-0002 only the help-desk laptop rotates
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ensureCa, startSimulatedTenant } from "pulumi-intune-bitlocker-simulator";

const ROOT = path.resolve(__dirname, "..");
const STACK = "dev";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      token: { type: "string" },
      "helpdesk-token": { type: "string" },
      devices: { type: "string", default: "24" },
    },
  });

  step("Provisioning the Pulumi CLI (the first run on a machine without one builds it: minutes)");
  const binDir = execFileSync("bash", [path.join(ROOT, "scripts/provision-pulumi.sh")], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .pop()!;

  step("Starting the simulated tenant (Entra ID + Microsoft Graph over HTTPS on 127.0.0.1)");
  const caDir = path.join(ROOT, ".sim");
  const { certPath } = await ensureCa(caDir);
  // A fixed seed: the same devices every run, so the stack's state stays meaningful.
  const tenant = await startSimulatedTenant({
    caDir,
    seed: "demo",
    fleet: { size: Number(values.devices) },
    checkInDelayMs: 3000,
  });
  console.log(`  ${tenant.url}  tenant ${tenant.tenantId}  ${tenant.listDevices().length} devices`);

  const stateDir = path.join(ROOT, ".pulumi-state");
  mkdirSync(stateDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: [binDir, path.join(ROOT, "node_modules/.bin"), process.env.PATH].join(path.delimiter),
    PULUMI_BACKEND_URL: `file://${stateDir}`,
    PULUMI_CONFIG_PASSPHRASE:
      process.env.PULUMI_CONFIG_PASSPHRASE ?? "demo-passphrase-not-a-secret",
    PULUMI_HOME: process.env.PULUMI_HOME ?? path.join(ROOT, ".pulumi-home"),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    // Trust the simulated tenant's CA; TLS verification stays on.
    NODE_EXTRA_CA_CERTS: certPath,
    // Serialize the provider as a user's npm install would (see provider/resources/engineProvider.ts).
    NODE_PRESERVE_SYMLINKS: "1",
    // Credentials reach the provider from the environment, never from resource inputs or state.
    AZURE_TENANT_ID: tenant.tenantId,
    AZURE_CLIENT_ID: tenant.defaultApp.clientId,
    AZURE_CLIENT_SECRET: tenant.defaultApp.clientSecret,
    AZURE_AUTHORITY_HOST: tenant.authorityHost,
    BITLOCKER_GRAPH_ENDPOINT: tenant.url,
  };
  // Asynchronous on purpose: the simulated tenant answers from this very process.
  const pulumi = (args: string[], inherit = true) =>
    new Promise<{ status: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn("pulumi", args, {
        cwd: ROOT,
        env,
        stdio: ["ignore", inherit ? "inherit" : "pipe", "inherit"],
      });
      let stdout = "";
      child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
      child.on("error", reject);
      child.on("close", (status) => resolve({ status, stdout }));
    });

  let code: number;
  try {
    if (
      (await pulumi(["stack", "select", STACK, "--create", "--non-interactive"], false)).status !==
      0
    ) {
      throw new Error("could not select or create the demo stack");
    }
    if (values.token)
      await pulumi(["config", "set", "rotationToken", values.token, "--stack", STACK], false);
    if (values["helpdesk-token"])
      await pulumi(
        ["config", "set", "helpdeskToken", values["helpdesk-token"], "--stack", STACK],
        false,
      );

    step("pulumi up");
    tenant.log.clear();
    code = (await pulumi(["up", "--yes", "--non-interactive", "--stack", STACK])).status ?? 1;

    const rotations = tenant.log.count({
      method: "POST",
      pathMatches: /\/rotateBitLockerKeys$/,
      status: 204,
    });
    step(`The simulated tenant accepted ${rotations} rotation request(s) in this run.`);
    const outputs = await pulumi(["stack", "output", "--json", "--stack", STACK], false);
    if (outputs.status === 0) console.log(outputs.stdout.trim());
    console.log(`
Next:
  npm start                               run again unchanged: nothing rotates
  npm start -- --token 2027-Q1            a new fleet token: each eligible fleet device rotates once
  npm start -- --helpdesk-token INC-0002  only the help-desk laptop rotates
  npx bitlocker-report --stack ${STACK}   (with the demo's environment) a readable report
State: ${stateDir} (stack "${STACK}"). Start over: rm -rf .pulumi-state`);
  } finally {
    await tenant.close();
  }
  process.exitCode = code;
}

function step(text: string): void {
  console.log(`\n==> ${text}`);
}

main().catch((e: unknown) => {
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
