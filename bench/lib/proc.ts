// /proc readers (Linux): peak memory of a process, its descendants, the machine's load and
// the other engineers' test runs that would distort a measurement.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import { descendants } from "../../test/e2e/harness";

/** VmHWM (peak resident set) of a process in KiB, or undefined once it has exited. */
function vmHwmKb(pid: number | "self"): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return "";
  }
}

/** What a process of a `pulumi up` tree is, from its command line. */
function roleOf(cmd: string): string {
  if (cmd.includes("cmd/dynamic-provider")) return "dynamic-provider";
  if (cmd.includes("@pulumi/pulumi/cmd/run") || cmd.includes("pulumi/cmd/run")) return "program";
  if (cmd.includes("pulumi-language-nodejs")) return "language-host";
  if (/(^|\/)pulumi( |$)/.test(cmd)) return "cli";
  return "other";
}

export interface ProcessPeak {
  pid: number;
  role: string;
  peakKb: number;
}

/**
 * Samples VmHWM of a process and every descendant every `everyMs` until stopped. VmHWM is
 * the kernel's own high-water mark, so sampling only has to catch each process before it
 * exits; the last sample of a short-lived process may miss its final growth.
 */
export class TreeMemorySampler {
  private readonly peaks = new Map<number, ProcessPeak>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly rootPid: number,
    everyMs = 200,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.sample();
  }

  sample(): void {
    for (const pid of [this.rootPid, ...descendants(this.rootPid)]) {
      const kb = vmHwmKb(pid);
      if (kb === undefined) continue;
      const known = this.peaks.get(pid);
      if (known) {
        known.peakKb = Math.max(known.peakKb, kb);
        // A plugin script `exec`s node: the role can change under the same pid.
        if (known.role === "other") known.role = roleOf(cmdline(pid));
      } else {
        this.peaks.set(pid, { pid, role: roleOf(cmdline(pid)), peakKb: kb });
      }
    }
  }

  stop(): ProcessPeak[] {
    clearInterval(this.timer);
    return [...this.peaks.values()];
  }
}

export interface LoadSnapshot {
  at: string;
  loadavg: number[];
  /** Test runs and pulumi commands that are not this benchmark's. */
  others: string[];
}

const BUSY =
  /\bmocha\b|\/pulumi( |$)|cmd\/dynamic-provider|pulumi-language-nodejs|\btsc\b|\bnpm (test|run)/;

/** Processes of others (not this process or its descendants) that would compete for the CPU. */
function otherBusyProcesses(): string[] {
  const mine = new Set([process.pid, ...descendants(process.pid)]);
  let ancestor = process.ppid;
  // npm and sh above us are ours too.
  for (let i = 0; i < 4 && ancestor > 1; i++) {
    mine.add(ancestor);
    ancestor = parentOf(ancestor);
  }
  const out: string[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || mine.has(Number(entry))) continue;
    const cmd = cmdline(Number(entry));
    if (BUSY.test(cmd)) out.push(`${entry} ${cmd.slice(0, 160)}`);
  }
  return out;
}

function parentOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return 0;
  }
}

export function loadSnapshot(): LoadSnapshot {
  return { at: new Date().toISOString(), loadavg: os.loadavg(), others: otherBusyProcesses() };
}

/** Waits (polling every minute, up to `maxMinutes`) until nobody else runs tests or pulumi. */
export async function waitUntilIdle(maxMinutes: number): Promise<LoadSnapshot> {
  const deadline = Date.now() + maxMinutes * 60_000;
  for (;;) {
    const snap = loadSnapshot();
    if (snap.others.length === 0 || Date.now() >= deadline) return snap;
    console.log(
      `[bench] ${snap.others.length} other test/pulumi process(es) running (load ${snap.loadavg
        .map((l) => l.toFixed(2))
        .join(" ")}); waiting a minute…\n  ${snap.others.slice(0, 5).join("\n  ")}`,
    );
    await new Promise((r) => setTimeout(r, 60_000));
  }
}

export function machineFacts(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    nproc: os.availableParallelism(),
    cpuModel: cpus[0]?.model ?? "unknown",
    memoryTotalMiB: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

let clockTicks: number | undefined;

/**
 * User + system CPU (ms) of this process's children that have ended and been reaped, with
 * their own reaped descendants (cutime + cstime of /proc/self/stat, the kernel's rusage of
 * RUSAGE_CHILDREN). The difference around one child's run is that child's tree's CPU, as long
 * as nothing else of ours ends meanwhile. A grandchild its parent never waited for is missed.
 */
export function childrenCpuMs(): number {
  clockTicks ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  const stat = fs.readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 16 and 17 of proc(5), counted from 1; this slice starts at field 3.
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / clockTicks;
}
