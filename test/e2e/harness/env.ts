// The real Pulumi CLI for end-to-end tests: provisioned by the same script as the README
// and CI (scripts/provision-pulumi.sh), run with an offline environment.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** The repository root (test/e2e/harness/ is three levels down). */
export const REPO_DIR = path.resolve(__dirname, "..", "..", "..");

/** Where temporary Pulumi projects live: inside the repository so that Node's module
 * resolution walks up to REPO_DIR/node_modules (@pulumi/pulumi, pulumi-intune-bitlocker). */
export const E2E_TMP_DIR = path.join(REPO_DIR, ".e2e-tmp");

/** Generous: the first command of a suite may wait for ts-node to compile the program. */
export const DEFAULT_TIMEOUT_MS = Number(process.env.E2E_TIMEOUT_MS ?? 5 * 60_000);

let binDir: string | undefined;

/**
 * The directory holding `pulumi`, `pulumi-language-nodejs` and `pulumi-resource-pulumi-nodejs`.
 * Runs the provisioning script once per process (instant when cached; may build the CLI from
 * Go modules the first time). Throws with the script's output if it fails: e2e tests must
 * fail loudly, never skip, when the CLI is missing.
 */
export function pulumiBinDir(): string {
  if (binDir) return binDir;
  const script = path.join(REPO_DIR, "scripts", "provision-pulumi.sh");
  let stdout: string;
  try {
    stdout = execFileSync("bash", [script], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 30 * 60_000, // a cold Go build
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(
      `The Pulumi CLI could not be provisioned (${script}):\n${err.stderr ?? err.message}`,
      { cause: e },
    );
  }
  const dir = stdout.trim().split("\n").pop() ?? "";
  if (!fs.existsSync(path.join(dir, "pulumi"))) {
    throw new Error(`provision-pulumi.sh printed '${dir}', which holds no pulumi binary`);
  }
  binDir = dir;
  return dir;
}

export interface PulumiEnvOptions {
  /** Local state directory (the file backend); created if missing. */
  backendDir: string;
  /** PULUMI_HOME; default: a `.pulumi-home` beside the backend dir, so ~/.pulumi is untouched. */
  homeDir?: string;
  /** Default "e2e-passphrase". */
  passphrase?: string;
  /** Type-check the program with ts-node (slow) instead of transpiling only. Default false. */
  typeCheck?: boolean;
  /** Extra variables, applied last. `undefined` removes a variable. */
  extra?: Record<string, string | undefined>;
}

/**
 * An environment in which the CLI needs no network and no login: PATH with the provisioned
 * bin dir (then node_modules/.bin for Node >= 22) first, the file backend, a passphrase, no
 * update check, no plugin downloads, a private PULUMI_HOME, and no colours in output.
 */
export function pulumiEnv(opts: PulumiEnvOptions): NodeJS.ProcessEnv {
  const home = opts.homeDir ?? path.join(path.dirname(opts.backendDir), ".pulumi-home");
  fs.mkdirSync(opts.backendDir, { recursive: true });
  fs.mkdirSync(home, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: [
      pulumiBinDir(),
      path.join(REPO_DIR, "node_modules", ".bin"),
      process.env.PATH ?? "",
    ].join(path.delimiter),
    PULUMI_BACKEND_URL: `file://${path.resolve(opts.backendDir)}`,
    PULUMI_CONFIG_PASSPHRASE: opts.passphrase ?? "e2e-passphrase",
    PULUMI_HOME: home,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    PULUMI_NODEJS_TRANSPILE_ONLY: opts.typeCheck ? "false" : "true",
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  };
  // Inherited settings that would point the CLI elsewhere.
  delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
  delete env.PULUMI_ACCESS_TOKEN;
  delete env.PULUMI_STACK;
  for (const [k, v] of Object.entries(opts.extra ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}
