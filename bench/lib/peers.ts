// The peers that are not Pulumi programs (contenders b, c, e, f), each in a child process of its own so that its
// memory is its own and the simulated tenant (in this process) does not share its event loop.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { SimulatedTenant } from "../../simulator/index";
import { REPO_DIR } from "../../test/e2e/harness";
import type { PackageUnderTest } from "./package";
import { childrenCpuMs, TreeMemorySampler } from "./proc";
import { tenantEnv, type TenantSettings } from "./tenant";

/** A script in bench/peers/ and its arguments after the ids file. */
export interface Peer {
  script: "sequential" | "graphSdk" | "graphSdkBatched";
  args?: string[];
}

export interface PeerRun {
  command: string;
  exitCode: number | null;
  /** Epoch ms when the child process was started. */
  startedAt: number;
  /** The whole child process, Node's start included. */
  processWallMs: number;
  /** From the first request to the last answer, as the child measured it. */
  wallMs: number;
  /** User + system CPU of the child process, ms (its rusage, once it has been reaped). */
  cpuMs: number;
  failed: number;
  errors: Record<string, number>;
  /** VmHWM after loading its modules, before the first request (KiB). */
  baselineKb: number;
  /** VmHWM at the end (KiB); the larger of the child's own and this process's sampling. */
  peakKb: number;
  clientStats?: Record<string, unknown>;
  logFile: string;
}

export async function runPeer(
  peer: Peer,
  pkg: PackageUnderTest,
  tenant: SimulatedTenant,
  settings: TenantSettings,
  ids: readonly string[],
  logDir: string,
  label: string,
  timeoutMs: number,
): Promise<PeerRun> {
  const idsFile = path.join(logDir, `${label}.ids.json`);
  fs.writeFileSync(idsFile, JSON.stringify(ids));
  const script = path.join(REPO_DIR, "bench", "peers", `${peer.script}.ts`);
  const args = ["--no-warnings", script, idsFile, ...(peer.args ?? [])];
  tenant.log.clear();
  tenant.resetThrottle();
  const cpuBefore = childrenCpuMs();
  const started = Date.now();
  const child = spawn(process.execPath, args, {
    cwd: REPO_DIR,
    env: { ...process.env, ...tenantEnv(tenant, settings), BENCH_PKG_DIR: pkg.dir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const sampler = new TreeMemorySampler(child.pid!);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const exitCode = await new Promise<number | null>((resolve) => child.on("close", resolve));
  clearTimeout(timer);
  const processWallMs = Date.now() - started;
  const cpuMs = childrenCpuMs() - cpuBefore;
  const sampled = Math.max(0, ...sampler.stop().map((p) => p.peakKb));
  fs.rmSync(idsFile, { force: true });
  const command = `node ${args.map((a) => path.relative(REPO_DIR, a) || a).join(" ")}`;
  const logFile = path.join(logDir, `${label}.log`);
  fs.writeFileSync(logFile, `$ ${command}\n${stdout}\n--- stderr ---\n${stderr}`);
  const line = stdout.split("\n").find((l) => l.startsWith("BENCH_RESULT "));
  if (!line) throw new Error(`${command} printed no result (exit ${exitCode}); see ${logFile}`);
  const r = JSON.parse(line.slice("BENCH_RESULT ".length)) as Omit<
    PeerRun,
    "command" | "exitCode" | "processWallMs" | "logFile" | "startedAt" | "cpuMs"
  >;
  return {
    ...r,
    command,
    exitCode,
    startedAt: started,
    processWallMs,
    cpuMs,
    peakKb: Math.max(r.peakKb, sampled),
    logFile,
  };
}
