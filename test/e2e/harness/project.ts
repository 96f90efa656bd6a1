// A temporary Pulumi project driven by the real `pulumi` CLI.
//
//   const p = await PulumiProject.create({ name: "smoke", program: `...index.ts source...` });
//   await p.configSet("bitlocker:clientSecret", "s3cret", { secret: true });
//   await p.up();
//   const state = await p.exportStack();
//   p.setProgram(`...changed source...`);
//   const { steps } = await p.preview();
//   const crash = await p.runUntil(["up", "--yes", "--skip-preview"], /rotating/);
//   await p.dispose();
//
// The project lives in <repo>/.e2e-tmp/<name>-<unique>/ so that Node resolves
// @pulumi/pulumi and pulumi-intune-bitlocker from the workspace's node_modules; it has its own
// package.json (else @pulumi/pulumi's runner would take the repository's `main`, the demo),
// its own file backend (.state/) and PULUMI_HOME (.pulumi-home/).
import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_TIMEOUT_MS, E2E_TMP_DIR, pulumiBinDir, pulumiEnv } from "./env";
import { type CommandResult, type OutputCondition, RunningCommand, formatCommand } from "./process";
import type { PreviewJson, ResourceState, StackExport } from "./types";

export interface ProjectOptions {
  /** Project name (Pulumi.yaml `name`) and directory prefix. Letters, digits, `-`, `_`, `.`. */
  name: string;
  /** TypeScript source of index.ts. */
  program: string;
  /** Stack name, initialised by create(). Default "e2e". */
  stack?: string;
  /** Stack config set after `stack init`; `{ value, secret: true }` for `--secret`. */
  config?: Record<string, string | ConfigValue>;
  /** More files, relative to the project dir (e.g. a helper module). */
  files?: Record<string, string>;
  /** Replaces the generated Pulumi.yaml entirely. */
  pulumiYaml?: string;
  /** Let ts-node type-check the program (slower). Default false: transpile only. */
  typeCheck?: boolean;
  /** Extra environment for every command (e.g. NODE_EXTRA_CA_CERTS for the simulator). */
  env?: Record<string, string | undefined>;
  /** Per-command timeout. Default E2E_TIMEOUT_MS or 5 minutes. */
  timeoutMs?: number;
}

interface ConfigValue {
  value: string;
  secret?: boolean;
  /** `--path`: the key is a property path (`a.b[0]`). */
  path?: boolean;
}

export interface RunOptions {
  /** Extra arguments appended to the command. */
  args?: string[];
  /** Extra environment for this command only (`undefined` removes a variable). */
  env?: Record<string, string | undefined>;
  /** Return a failed result instead of throwing. */
  allowFailure?: boolean;
  timeoutMs?: number;
  /** Text for stdin. */
  input?: string;
}

export interface PreviewResult {
  result: CommandResult;
  /** `pulumi preview --json`, parsed (also when the preview failed, if it printed JSON). */
  json: PreviewJson;
}

let counter = 0;

export class PulumiProject {
  readonly stateDir: string;
  readonly homeDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;

  private constructor(
    readonly name: string,
    readonly dir: string,
    readonly stack: string,
    opts: ProjectOptions,
  ) {
    this.stateDir = path.join(dir, ".state");
    this.homeDir = path.join(dir, ".pulumi-home");
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.env = pulumiEnv({
      backendDir: this.stateDir,
      homeDir: this.homeDir,
      typeCheck: opts.typeCheck,
      extra: opts.env,
    });
  }

  /** Writes the project, runs `pulumi stack init` and sets the given config. */
  static async create(opts: ProjectOptions): Promise<PulumiProject> {
    if (!/^[A-Za-z0-9_.-]+$/.test(opts.name))
      throw new Error(`invalid project name '${opts.name}'`);
    pulumiBinDir(); // fail loudly, before writing anything, if there is no CLI
    const dir = path.join(E2E_TMP_DIR, `${opts.name}-${process.pid}-${++counter}`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const project = new PulumiProject(opts.name, dir, opts.stack ?? "e2e", opts);
    project.writeFile(
      "Pulumi.yaml",
      opts.pulumiYaml ??
        [
          `name: ${opts.name}`,
          "description: temporary project of the e2e tests",
          "runtime:",
          "  name: nodejs",
          "  options:",
          "    typescript: true",
          "",
        ].join("\n"),
    );
    project.writeFile(
      "package.json",
      JSON.stringify({ name: opts.name.toLowerCase(), private: true, main: "index.ts" }, null, 2) +
        "\n",
    );
    project.writeFile(
      "tsconfig.json",
      JSON.stringify(
        {
          compilerOptions: {
            target: "ES2023",
            module: "node16",
            moduleResolution: "node16",
            strict: true,
            esModuleInterop: true,
            skipLibCheck: true,
            types: ["node"],
          },
          files: ["index.ts"],
        },
        null,
        2,
      ) + "\n",
    );
    for (const [rel, content] of Object.entries(opts.files ?? {})) project.writeFile(rel, content);
    project.setProgram(opts.program);
    await project.pulumiOk(["stack", "init", project.stack]);
    for (const [key, v] of Object.entries(opts.config ?? {})) {
      const c = typeof v === "string" ? { value: v } : v;
      await project.configSet(key, c.value, c);
    }
    return project;
  }

  /** Replaces index.ts: the next command runs the new program. */
  setProgram(source: string): void {
    this.writeFile("index.ts", source);
  }

  writeFile(relativePath: string, content: string): void {
    const file = path.join(this.dir, relativePath);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }

  // ---- raw commands ---------------------------------------------------------------------

  /** Starts `pulumi --color=never <args>` in the project dir. */
  start(args: string[], opts: Omit<RunOptions, "allowFailure" | "args"> = {}): RunningCommand {
    const env = { ...this.env };
    for (const [k, v] of Object.entries(opts.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    // Before the subcommand: after a `--` it would be taken as a positional argument.
    const fullArgs = ["--color=never", ...args];
    return new RunningCommand(
      formatCommand("pulumi", fullArgs),
      path.join(pulumiBinDir(), "pulumi"),
      fullArgs,
      {
        cwd: this.dir,
        env,
        timeoutMs: opts.timeoutMs ?? this.timeoutMs,
        input: opts.input,
      },
    );
  }

  /** Runs `pulumi <args>` to completion. Never throws for a non-zero exit. */
  pulumi(
    args: string[],
    opts: Omit<RunOptions, "allowFailure" | "args"> = {},
  ): Promise<CommandResult> {
    return this.start(args, opts).done;
  }

  /** Runs `pulumi <args>`; throws, with the whole output, unless it exits 0 (or allowFailure). */
  async pulumiOk(args: string[], opts: RunOptions = {}): Promise<CommandResult> {
    const result = await this.pulumi([...args, ...(opts.args ?? [])], opts);
    if (result.code !== 0 && !opts.allowFailure) throw new CommandError(result);
    return result;
  }

  /**
   * Starts `pulumi <args>`, waits until its output satisfies `condition`, then kills it
   * (SIGKILL, whole process tree unless `tree: false`) and returns what it printed.
   * Rejects if the command ends before the condition is met.
   */
  async runUntil(
    args: string[],
    condition: OutputCondition,
    opts: {
      signal?: NodeJS.Signals;
      tree?: boolean;
      waitMs?: number;
      env?: RunOptions["env"];
    } = {},
  ): Promise<CommandResult> {
    const running = this.start(args, { env: opts.env });
    try {
      await running.waitFor(condition, opts.waitMs ?? this.timeoutMs);
    } catch (e) {
      running.kill("SIGKILL");
      await running.done;
      throw e;
    }
    running.kill(opts.signal ?? "SIGKILL", { tree: opts.tree ?? true });
    return running.done;
  }

  // ---- operations -------------------------------------------------------------------------

  private stackArgs(): string[] {
    return ["--stack", this.stack, "--non-interactive"];
  }

  async configSet(
    key: string,
    value: string,
    opts: { secret?: boolean; path?: boolean } = {},
  ): Promise<void> {
    const flags = [
      ...(opts.secret ? ["--secret"] : ["--plaintext"]),
      ...(opts.path ? ["--path"] : []),
    ];
    // `--` so that values starting with "-" are not read as flags.
    await this.pulumiOk(["config", "set", ...this.stackArgs(), ...flags, "--", key, value]);
  }

  async configRm(key: string): Promise<void> {
    await this.pulumiOk(["config", "rm", ...this.stackArgs(), "--", key]);
  }

  /** `pulumi up --yes --skip-preview`. */
  up(opts: RunOptions = {}): Promise<CommandResult> {
    return this.pulumiOk(["up", ...this.stackArgs(), "--yes", "--skip-preview"], opts);
  }

  /** `pulumi preview --json`, parsed. Throws on failure unless allowFailure. */
  async preview(opts: RunOptions = {}): Promise<PreviewResult> {
    const result = await this.pulumiOk(["preview", ...this.stackArgs(), "--json"], opts);
    let json: PreviewJson;
    try {
      json = JSON.parse(result.stdout) as PreviewJson;
    } catch {
      throw new CommandError(result, "preview --json did not print JSON");
    }
    return { result, json };
  }

  /** `pulumi refresh --yes --skip-preview`. */
  refresh(opts: RunOptions = {}): Promise<CommandResult> {
    return this.pulumiOk(["refresh", ...this.stackArgs(), "--yes", "--skip-preview"], opts);
  }

  /** `pulumi destroy --yes --skip-preview`. */
  destroy(opts: RunOptions = {}): Promise<CommandResult> {
    return this.pulumiOk(["destroy", ...this.stackArgs(), "--yes", "--skip-preview"], opts);
  }

  /** `pulumi stack export` (with `--show-secrets` unless told otherwise), parsed. */
  async exportStack({ showSecrets = true }: { showSecrets?: boolean } = {}): Promise<StackExport> {
    const result = await this.pulumiOk([
      "stack",
      "export",
      ...this.stackArgs(),
      ...(showSecrets ? ["--show-secrets"] : []),
    ]);
    return JSON.parse(result.stdout) as StackExport;
  }

  /**
   * `pulumi cancel --yes`: with the file backend, removes the lock that a killed command
   * leaves behind (every later command fails with "the stack is currently locked" until then).
   */
  async cancel(): Promise<void> {
    await this.pulumiOk(["cancel", ...this.stackArgs(), "--yes"]);
  }

  /** `pulumi stack import` of a (possibly edited) export, e.g. to drop pending operations. */
  async importStack(state: StackExport): Promise<void> {
    const file = path.join(this.dir, ".state-import.json");
    fs.writeFileSync(file, JSON.stringify(state));
    try {
      await this.pulumiOk(["stack", "import", ...this.stackArgs(), "--file", file]);
    } finally {
      fs.rmSync(file, { force: true });
    }
  }

  /** Resources in state, optionally only those of one type (e.g. "pulumi-nodejs:dynamic:Resource"). */
  async resources(type?: string): Promise<ResourceState[]> {
    const all = (await this.exportStack()).deployment.resources ?? [];
    return type ? all.filter((r) => r.type === type) : all;
  }

  /** `pulumi stack output --json` (secrets shown unless told otherwise). */
  async outputs({ showSecrets = true }: { showSecrets?: boolean } = {}): Promise<
    Record<string, unknown>
  > {
    const result = await this.pulumiOk([
      "stack",
      "output",
      ...this.stackArgs(),
      "--json",
      ...(showSecrets ? ["--show-secrets"] : []),
    ]);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  /**
   * Removes the project dir (state included). With `destroy`, first `pulumi destroy`s what is
   * left (errors ignored). Kept when E2E_KEEP=1, for debugging: the path is printed.
   */
  async dispose({ destroy = false }: { destroy?: boolean } = {}): Promise<void> {
    if (destroy) await this.destroy({ allowFailure: true });
    if (process.env.E2E_KEEP === "1") {
      console.log(`[e2e harness] kept ${this.dir} (E2E_KEEP=1)`);
      return;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A pulumi command that failed; the message carries the whole output. */
class CommandError extends Error {
  constructor(
    readonly result: CommandResult,
    why = `exited with ${result.code ?? result.signal}${result.killed ? " (killed by the harness)" : ""}`,
  ) {
    super(
      `${result.command} ${why}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`,
    );
    this.name = "CommandError";
  }
}
