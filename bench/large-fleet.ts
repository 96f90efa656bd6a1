// Large fleets: what a no-op `pulumi preview` and `pulumi up` cost at 1,000, 50,000 and 100,000
// devices (docs/benchmarks.md, "Large fleets"). For each size: a fresh simulated tenant, one
// `up` that rotates every device (on a fast clock: --setup-time-scale), then the measured
// no-op preview and no-op up (each must send nothing), with every process's peak RSS, and the
// size of `pulumi stack export`.
//
//   npx ts-node bench/large-fleet.ts --sizes 1000,50000,100000
//   options: --package worktree|head|<dir with package.json and dist/>  --label <name>
//            --setup-time-scale 0.01  --repeat 1
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { PulumiProject, REPO_DIR } from "../test/e2e/harness";
import { descendants } from "../test/e2e/harness/process";
import { installInto, packageUnderTest, type PackageUnderTest } from "./lib/package";
import { machineFacts, TreeMemorySampler, type ProcessPeak } from "./lib/proc";
import { ensureCa, startBenchTenant, tenantEnv } from "./lib/tenant";

const PROGRAM = `
import * as fs from "node:fs";
import { BitLockerKeyRotationFleet } from "pulumi-intune-bitlocker";

const ids: string[] = JSON.parse(fs.readFileSync("devices.json", "utf8"));
const fleet = new BitLockerKeyRotationFleet("bench", { managedDeviceIds: ids, rotationToken: "bench-1" });
export const counts = fleet.counts;
`;

interface Measured {
  command: string;
  wallMs: number;
  exitCode: number | null;
  peakMiB: Record<string, number>;
  /** User + system CPU time per role, ms: steadier than wall time on a loaded machine. */
  cpuMs: Record<string, number>;
  graphWrites: number;
}

async function measure(project: PulumiProject, args: string[]): Promise<Measured> {
  const running = project.start(args);
  const sampler = new TreeMemorySampler(running.child.pid!, 100);
  const cpu = new Map<number, { role: string; ms: number }>();
  const cpuTimer = setInterval(() => sampleCpu(running.child.pid!, cpu), 100);
  const result = await running.done;
  clearInterval(cpuTimer);
  const peaks: ProcessPeak[] = sampler.stop();
  const cpuMs: Record<string, number> = {};
  const roles = new Map(peaks.map((p) => [p.pid, p.role]));
  for (const [pid, c] of cpu) {
    const role = roles.get(pid) ?? c.role;
    cpuMs[role] = (cpuMs[role] ?? 0) + c.ms;
  }
  const peakMiB: Record<string, number> = {};
  for (const p of peaks) {
    const mib = Math.round(p.peakKb / 1024);
    peakMiB[p.role] = Math.max(peakMiB[p.role] ?? 0, mib);
  }
  if (result.code !== 0) console.error(result.stdout.slice(-2000), result.stderr.slice(-2000));
  return {
    command: `pulumi ${args.join(" ")}`,
    wallMs: result.durationMs,
    exitCode: result.code,
    peakMiB,
    cpuMs,
    graphWrites: 0,
  };
}

const TICK_MS = 1000 / 100; // USER_HZ

/** Records utime + stime of the tree's processes (the last sample before each exits). */
function sampleCpu(root: number, into: Map<number, { role: string; ms: number }>): void {
  for (const pid of [root, ...descendants(root)]) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ms = (Number(f[11]) + Number(f[12])) * TICK_MS;
      into.set(pid, { role: into.get(pid)?.role ?? "other", ms });
    } catch {
      // gone
    }
  }
}

function pkgOf(which: string): PackageUnderTest {
  if (which === "head" || which === "worktree") return packageUnderTest(which);
  return { dir: path.resolve(which), source: `dir ${which}`, commit: "", dirtyFiles: [] };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: "string", default: "1000,50000,100000" },
      package: { type: "string", default: "worktree" },
      label: { type: "string", default: "" },
      "setup-time-scale": { type: "string", default: "0.01" },
      repeat: { type: "string", default: "1" },
    },
  });
  const pkg = pkgOf(values.package!);
  await ensureCa(pkg);
  const settings = { timeScale: Number(values["setup-time-scale"]), latencyMs: 5 };
  const repeat = Number(values.repeat);
  const results: Record<string, unknown>[] = [];
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const file = path.join(
    REPO_DIR,
    "bench",
    "results",
    `large-fleet-${stamp}${values.label ? `-${values.label}` : ""}.json`,
  );
  const save = () =>
    fs.writeFileSync(
      file,
      JSON.stringify(
        { argv: process.argv.slice(2), package: pkg, machine: machineFacts(), settings, results },
        null,
        2,
      ),
    );
  for (const size of values.sizes!.split(",").map(Number)) {
    const tenant = await startBenchTenant(pkg, size, settings);
    const ids = tenant.listDevices().map((d) => d.id);
    const project = await PulumiProject.create({
      name: `large-fleet-${size}`,
      program: PROGRAM,
      env: {
        ...tenantEnv(tenant, settings),
        BITLOCKER_MAX_ROTATIONS_PER_UPDATE: String(size),
        PULUMI_NODEJS_TRANSPILE_ONLY: "true",
      },
      timeoutMs: 60 * 60_000,
    });
    try {
      installInto(pkg, project.dir);
      project.writeFile("devices.json", JSON.stringify(ids));
      const stack = ["--stack", project.stack, "--non-interactive"];
      const setup = await measure(project, ["up", ...stack, "--yes", "--skip-preview"]);
      console.log(`[large] ${size}: setup up ${setup.wallMs} ms (exit ${setup.exitCode})`);
      const rotated = tenant.log.count({ method: "POST", status: 204 });
      const runs: Measured[] = [];
      for (let i = 0; i < repeat; i++) {
        for (const args of [
          ["preview", ...stack, "--expect-no-changes"],
          ["up", ...stack, "--yes", "--skip-preview", "--expect-no-changes"],
        ]) {
          tenant.log.clear();
          const m = await measure(project, args);
          m.graphWrites = tenant.log.entries().filter((e) => e.method !== "GET").length;
          console.log(`[large] ${size}: ${m.command}: ${m.wallMs} ms ${JSON.stringify(m.peakMiB)}`);
          runs.push(m);
        }
      }
      const exported = await project.pulumiOk(["stack", "export", "--stack", project.stack]);
      const state = JSON.parse(exported.stdout) as {
        deployment: { resources?: { type: string; outputs?: Record<string, unknown> }[] };
      };
      const fleet = state.deployment.resources?.find((r) => r.type.endsWith("Fleet"));
      const checkpoint = path.join(
        project.stateDir,
        ".pulumi",
        "stacks",
        path.basename(project.dir),
      );
      results.push({
        devices: size,
        setupUpMs: setup.wallMs,
        setupExit: setup.exitCode,
        setupPeakMiB: setup.peakMiB,
        rotatedAtSetup: rotated,
        stateVersion: fleet?.outputs?.stateVersion,
        recordGroups: Object.keys((fleet?.outputs?.devices as object) ?? {}).length,
        exportBytes: Buffer.byteLength(exported.stdout),
        exportBytesPerDevice: +(Buffer.byteLength(exported.stdout) / size).toFixed(1),
        compactBytesPerDevice: +(Buffer.byteLength(JSON.stringify(state)) / size).toFixed(1),
        checkpointDir: checkpoint,
        runs,
      });
      save();
    } finally {
      await project.dispose();
      await tenant.close();
    }
  }
  console.log(`[large] results: ${path.relative(REPO_DIR, file)}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
