// The Pulumi contenders: a temporary project (the e2e harness: the real CLI, file backend),
// the package installed into it, one `pulumi up`, the size of `pulumi stack export`, and
// the peak memory of every process of the `pulumi up` tree.
import * as fs from "node:fs";
import * as path from "node:path";
import type { SimulatedTenant } from "../../simulator/index";
import { PulumiProject, type CommandResult } from "../../test/e2e/harness";
import { installInto, type PackageUnderTest } from "./package";
import { childrenCpuMs, TreeMemorySampler, type ProcessPeak } from "./proc";
import { tenantEnv, type TenantSettings } from "./tenant";

export type PulumiProgram = "fleet" | "single" | "empty" | "dynamic";

/** Device ids come from devices.json beside the program (10,000 ids exceed a config value's argv). */
const PROGRAMS: Record<PulumiProgram, string> = {
  fleet: `
import * as fs from "node:fs";
import { BitLockerKeyRotationFleet } from "pulumi-intune-bitlocker";

const ids: string[] = JSON.parse(fs.readFileSync("devices.json", "utf8"));
const fleet = new BitLockerKeyRotationFleet("bench", { managedDeviceIds: ids, rotationToken: "bench-1" });
export const counts = fleet.counts;
export const lastRun = fleet.lastRun;
`,
  single: `
import * as fs from "node:fs";
import { BitLockerKeyRotation } from "pulumi-intune-bitlocker";

const ids: string[] = JSON.parse(fs.readFileSync("devices.json", "utf8"));
ids.forEach((id, i) => new BitLockerKeyRotation(\`d\${i}\`, { managedDeviceId: id, rotationToken: "bench-1" }));
export const count = ids.length;
`,
  // Pulumi's own start and finish: no package, no resource, no request to the tenant.
  empty: `
export const nothing = 0;
`,
  // Pulumi's own cost of one dynamic resource (the fleet's kind): the program loads
  // @pulumi/pulumi and the CLI starts the dynamic-provider host, whose create returns at once.
  // Its input is as large as a packed list of 1,000 ids; no request to the tenant.
  dynamic: `
import * as pulumi from "@pulumi/pulumi";

const provider: pulumi.dynamic.ResourceProvider = {
  async create() {
    return { id: "noop", outs: { done: true } };
  },
};
class Noop extends pulumi.dynamic.Resource {
  constructor(name: string) {
    super(provider, name, { done: undefined, ids: "00000000-0000-0000-0000-000000000000\\n".repeat(1000) });
  }
}
new Noop("noop");
export const ok = true;
`,
};

export interface PulumiRun {
  command: string;
  exitCode: number | null;
  /** Epoch ms when `pulumi up` started. */
  startedAt: number;
  wallMs: number;
  /** User + system CPU of the whole `pulumi up` tree (CLI, language host, program, provider), ms. */
  cpuMs: number;
  /** PULUMI_NODEJS_TRANSPILE_ONLY as set for the command. */
  transpileOnly: boolean;
  processes: ProcessPeak[];
  /** Peak VmHWM of the dynamic-provider process (the engine), KiB. */
  providerPeakKb: number | undefined;
  exportBytes: number;
  compactExportBytes: number;
  /** Per status, from the fleet's `counts` output or the single resources in state. */
  statusCounts: Record<string, number>;
  resourcesInState: number;
  /** Compact JSON bytes of the fleet resource's inputs and of each of its outputs. */
  fleetStateBytes?: Record<string, number>;
  logFile: string;
}

export async function runPulumi(
  program: PulumiProgram,
  pkg: PackageUnderTest,
  tenant: SimulatedTenant,
  settings: TenantSettings,
  ids: readonly string[],
  logDir: string,
  label: string,
  typeCheck = false,
): Promise<PulumiRun> {
  const project = await PulumiProject.create({
    name: `bench-${program}`,
    program: PROGRAMS[program],
    // The bench rotates whole fleets on purpose: no blast-radius limit below their size.
    env: { ...tenantEnv(tenant, settings), BITLOCKER_MAX_ROTATIONS_PER_UPDATE: String(ids.length) },
    timeoutMs: 30 * 60_000,
    typeCheck,
  });
  try {
    installInto(pkg, project.dir);
    project.writeFile("devices.json", JSON.stringify(ids));
    tenant.log.clear();
    tenant.resetThrottle();
    const cpuBefore = childrenCpuMs();
    const startedAt = Date.now();
    const running = project.start([
      "up",
      "--stack",
      project.stack,
      "--non-interactive",
      "--yes",
      "--skip-preview",
    ]);
    const sampler = new TreeMemorySampler(running.child.pid!);
    const result: CommandResult = await running.done;
    const cpuMs = childrenCpuMs() - cpuBefore;
    const processes = sampler.stop();
    const logFile = path.join(logDir, `${label}.log`);
    fs.writeFileSync(
      logFile,
      `$ ${result.command}\n${result.stdout}\n--- stderr ---\n${result.stderr}`,
    );
    const exported = await project.pulumiOk(["stack", "export", "--stack", project.stack]);
    const state = JSON.parse(exported.stdout) as {
      deployment: {
        resources?: {
          type: string;
          inputs?: Record<string, unknown>;
          outputs?: Record<string, unknown>;
        }[];
      };
    };
    let fleetStateBytes: Record<string, number> | undefined;
    const resources = state.deployment.resources ?? [];
    const statusCounts: Record<string, number> = {};
    for (const r of resources) {
      if (r.type.endsWith(":BitLockerKeyRotationFleet")) {
        const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v ?? null));
        fleetStateBytes = { "inputs (all)": bytes(r.inputs) };
        for (const [k, v] of Object.entries(r.inputs ?? {}))
          fleetStateBytes[`inputs.${k}`] = bytes(v);
        for (const [k, v] of Object.entries(r.outputs ?? {}))
          fleetStateBytes[`outputs.${k}`] = bytes(v);
        for (const [k, v] of Object.entries((r.outputs?.counts as Record<string, number>) ?? {}))
          statusCounts[k] = (statusCounts[k] ?? 0) + v;
      } else if (r.type.endsWith(":BitLockerKeyRotation")) {
        const s = String(r.outputs?.status ?? "?");
        statusCounts[s] = (statusCounts[s] ?? 0) + 1;
      }
    }
    const providers = processes.filter((p) => p.role === "dynamic-provider");
    return {
      command: result.command,
      exitCode: result.code,
      startedAt,
      wallMs: result.durationMs,
      cpuMs,
      transpileOnly: !typeCheck,
      processes,
      providerPeakKb: providers.length ? Math.max(...providers.map((p) => p.peakKb)) : undefined,
      exportBytes: Buffer.byteLength(exported.stdout),
      compactExportBytes: Buffer.byteLength(JSON.stringify(state)),
      statusCounts,
      resourcesInState: resources.length,
      ...(fleetStateBytes ? { fleetStateBytes } : {}),
      logFile,
    };
  } finally {
    await project.dispose();
  }
}
