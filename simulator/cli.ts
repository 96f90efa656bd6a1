#!/usr/bin/env node
// bitlocker-sim: runs a simulated tenant until SIGINT/SIGTERM, or (`ca`) only ensures the CA.
import path from "node:path";
import { parseArgs } from "node:util";
import { startSimulatedTenant } from "./tenant";
import { ensureCa, defaultCaDir } from "./tls/ca";

const USAGE = `Usage:
  bitlocker-sim [--port N] [--host ADDR] [--devices N] [--seed S] [--ca-dir DIR]
                [--check-in-delay MS|never] [--time-scale F] [--latency MS]
                [--token-lifetime S] [--no-throttle] [--json]
  bitlocker-sim ca [--ca-dir DIR]`;

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: "string", default: "0" },
      host: { type: "string", default: "127.0.0.1" },
      devices: { type: "string", default: "20" },
      seed: { type: "string", default: "1" },
      "ca-dir": { type: "string" },
      "check-in-delay": { type: "string", default: "5000" },
      "time-scale": { type: "string", default: "1" },
      latency: { type: "string", default: "0" },
      "token-lifetime": { type: "string", default: "3599" },
      "no-throttle": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const caDir = path.resolve(values["ca-dir"] ?? defaultCaDir());
  const command = positionals[0] ?? "start";
  if (command === "ca") {
    const { certPath } = await ensureCa(caDir);
    console.log(`export NODE_EXTRA_CA_CERTS=${certPath}`);
    return;
  }
  if (command !== "start") throw new UsageError(`unknown command '${command}'`);

  const checkInDelay = values["check-in-delay"];
  const tenant = await startSimulatedTenant({
    host: values.host,
    port: number(values.port, "--port"),
    seed: values.seed,
    caDir,
    fleet: { size: number(values.devices, "--devices") },
    checkInDelayMs: checkInDelay === "never" ? null : number(checkInDelay, "--check-in-delay"),
    timeScale: number(values["time-scale"], "--time-scale"),
    latencyMs: number(values.latency, "--latency"),
    tokenLifetimeSeconds: number(values["token-lifetime"], "--token-lifetime"),
    throttle: !values["no-throttle"],
  });
  // Listen for the signals before printing: a script may signal as soon as it reads the output.
  const stopped = new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  const { clientId, clientSecret } = tenant.defaultApp;
  if (values.json) {
    console.log(
      JSON.stringify({
        url: tenant.url,
        tenantId: tenant.tenantId,
        clientId,
        clientSecret,
        caCertPath: tenant.caCertPath,
        graphScope: tenant.graphScope,
      }),
    );
  } else {
    console.log(`Simulated tenant listening on ${tenant.url}
  tenant id      ${tenant.tenantId}
  client id      ${clientId}
  client secret  ${clientSecret}
  devices        ${tenant.listDevices().length} (seed ${values.seed})
  control API    ${tenant.url}/_sim/info

# Trust the simulator's CA in every Node process that talks to it (set before it starts):
export NODE_EXTRA_CA_CERTS=${tenant.caCertPath}

# Point a stack at it:
pulumi config set bitlocker:tenantId ${tenant.tenantId}
pulumi config set bitlocker:clientId ${clientId}
pulumi config set --secret bitlocker:clientSecret ${clientSecret}
pulumi config set bitlocker:authorityHost ${tenant.authorityHost}
pulumi config set bitlocker:graphEndpoint ${tenant.url}

Ctrl-C stops it.`);
  }
  await stopped;
  await tenant.close();
}

class UsageError extends Error {}

function number(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new UsageError(`${flag} must be a non-negative number, not '${value}'`);
  }
  return n;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`bitlocker-sim: ${err instanceof Error ? err.message : String(err)}`);
      if (
        err instanceof UsageError ||
        (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
      ) {
        console.error(USAGE);
        process.exit(2);
      }
      process.exit(1);
    },
  );
}
