// Child processes for e2e tests: run to completion with a timeout, or start, wait for a
// condition in the output and kill (crash tests).
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";

export interface CommandResult {
  /** What ran, for messages: `pulumi up --yes ...`. */
  command: string;
  /** Exit code; null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** True when the harness killed it (timeout or RunningCommand.kill). */
  killed: boolean;
}

export interface StartOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Kill (the whole process tree) after this long. */
  timeoutMs: number;
  /** Written to stdin, which is then closed. */
  input?: string;
}

export type OutputCondition = RegExp | string | ((output: string) => boolean);

/** A started command. `output` is stdout and stderr interleaved as they arrive. */
export class RunningCommand {
  readonly child: ChildProcess;
  readonly done: Promise<CommandResult>;
  stdout = "";
  stderr = "";
  output = "";
  private killedByUs = false;
  private listeners = new Set<() => void>();

  constructor(
    readonly command: string,
    file: string,
    args: string[],
    opts: StartOptions,
  ) {
    const started = Date.now();
    // detached: the command leads its own process group, so it can be signalled as a unit.
    this.child = spawn(file, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    this.child.stdin?.end(opts.input ?? "");
    this.child.stdout?.setEncoding("utf8").on("data", (d: string) => this.append("stdout", d));
    this.child.stderr?.setEncoding("utf8").on("data", (d: string) => this.append("stderr", d));
    const timer = setTimeout(() => {
      this.append(
        "stderr",
        `\n[e2e harness] timed out after ${opts.timeoutMs} ms: killing ${command}\n`,
      );
      this.kill("SIGKILL");
    }, opts.timeoutMs);
    this.done = new Promise<CommandResult>((resolve) => {
      this.child.on("error", (err) => {
        this.append("stderr", `\n[e2e harness] could not start ${command}: ${err.message}\n`);
      });
      this.child.on("close", (code, signal) => {
        clearTimeout(timer);
        this.notify();
        resolve({
          command,
          code,
          signal,
          stdout: this.stdout,
          stderr: this.stderr,
          durationMs: Date.now() - started,
          killed: this.killedByUs,
        });
      });
    });
  }

  private append(stream: "stdout" | "stderr", data: string): void {
    this[stream] += data;
    this.output += data;
    this.notify();
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Resolves once the output satisfies `condition`; rejects if the command ends first or on timeout. */
  waitFor(condition: OutputCondition, timeoutMs = 120_000): Promise<string> {
    const test =
      typeof condition === "function"
        ? condition
        : typeof condition === "string"
          ? (o: string) => o.includes(condition)
          : (o: string) => condition.test(o);
    return new Promise((resolve, reject) => {
      let finished = false;
      const check = () => {
        if (finished) return;
        if (test(this.output)) {
          finish();
          resolve(this.output);
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          finish();
          reject(
            new Error(
              `${this.command} ended before ${String(condition)} appeared. Output:\n${this.output}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(
          new Error(
            `${String(condition)} did not appear within ${timeoutMs} ms. Output:\n${this.output}`,
          ),
        );
      }, timeoutMs);
      const finish = () => {
        finished = true;
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /**
   * Signals the command's process group, as a CI runner does when it kills or cancels a job
   * (`kill -s SIG -- -PGID`): the CLI and what shares its group, but not the plugins, which
   * the CLI starts in process groups of their own.
   */
  signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.killedByUs = true;
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is gone
    }
  }

  /**
   * Kills the command. With `tree` (default) also every descendant, including plugins that
   * the CLI started in process groups of their own (the dynamic-provider host would otherwise
   * outlive a killed CLI): this is what a crashed CI runner looks like. With `tree: false`
   * only the CLI process dies, like `kill -9 <pid of pulumi>`.
   */
  kill(signal: NodeJS.Signals = "SIGKILL", { tree = true }: { tree?: boolean } = {}): void {
    const pid = this.child.pid;
    if (pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.killedByUs = true;
    const victims = tree ? [pid, ...descendants(pid)] : [pid];
    for (const p of victims) {
      try {
        process.kill(p, signal);
      } catch {
        // already gone
      }
    }
  }
}

/** The processes of Pulumi's Node dynamic-provider host below `pid` (its plugin wrapper excluded). */
export function providerHosts(pid: number): number[] {
  return descendants(pid).filter((p) => /cmd[\\/]dynamic-provider/.test(cmdline(p)));
}

/** A process's parent pid (0 when it is gone). */
export function parentOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return 0;
  }
}

/** A process's command line, "" when it is gone. */
export function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
}

/** True while `pid` runs (an exited child not yet reaped, a zombie, counts as gone). */
export function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** PIDs of all descendants of `pid`, read from /proc (Linux). Children before grandchildren. */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // "pid (comm) state ppid ...": comm may contain spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  let frontier = [pid];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const [child, parent] of parentOf) if (frontier.includes(parent)) next.push(child);
    out.push(...next);
    frontier = next;
  }
  return out;
}

/** Quotes an argument list for messages (not for a shell). */
export function formatCommand(file: string, args: string[]): string {
  return [file, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(" ");
}
