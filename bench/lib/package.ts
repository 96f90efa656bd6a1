// The package under test. By default a build of the committed HEAD, made once per commit in
// .e2e-tmp/ (not the workspace's provider/dist, which other engineers rebuild from work in
// progress while the benchmark runs); `--package worktree` measures provider/dist as it is.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { E2E_TMP_DIR, REPO_DIR } from "../../test/e2e/harness";

export interface PackageUnderTest {
  /** Directory holding package.json and dist/ of pulumi-intune-bitlocker. */
  dir: string;
  /** What was measured: a commit, or "worktree" with the files changed since HEAD. */
  source: string;
  commit: string;
  dirtyFiles: string[];
}

const git = (...args: string[]) =>
  execFileSync("git", args, { cwd: REPO_DIR, encoding: "utf8" }).trim();

export function packageUnderTest(which: "head" | "worktree"): PackageUnderTest {
  const commit = git("rev-parse", "HEAD");
  const dirtyFiles = git("status", "--porcelain", "--", "provider").split("\n").filter(Boolean);
  if (which === "worktree") {
    const dir = path.join(REPO_DIR, "provider");
    if (!fs.existsSync(path.join(dir, "dist", "engine", "fleetEntry.js")))
      throw new Error("provider/dist is missing: run `npm run build` first");
    return { dir, source: "worktree (provider/dist as built)", commit, dirtyFiles };
  }
  // Inside the repository, so that the build and the package resolve the workspace's node_modules.
  const root = path.join(E2E_TMP_DIR, `bench-pkg-${commit.slice(0, 12)}`);
  const dir = path.join(root, "provider");
  if (!fs.existsSync(path.join(dir, "dist", "engine", "fleetEntry.js"))) {
    console.log(`[bench] building pulumi-intune-bitlocker at ${commit.slice(0, 12)} in ${root}`);
    fs.rmSync(root, { recursive: true, force: true });
    fs.mkdirSync(root, { recursive: true });
    const archive = execFileSync(
      "git",
      ["archive", "--format=tar", commit, "provider", "tsconfig.json"],
      {
        cwd: REPO_DIR,
        maxBuffer: 256 * 2 ** 20,
      },
    );
    execFileSync("tar", ["-x", "-C", root], { input: archive });
    execFileSync(
      path.join(REPO_DIR, "node_modules", ".bin", "tsc"),
      ["-p", path.join(dir, "tsconfig.json")],
      {
        cwd: dir,
        stdio: "inherit",
      },
    );
  }
  return { dir, source: `commit ${commit.slice(0, 12)} (git archive + tsc)`, commit, dirtyFiles };
}

/** Installs the package into a Pulumi project, as `npm install pulumi-intune-bitlocker` would. */
export function installInto(pkg: PackageUnderTest, projectDir: string): void {
  const dest = path.join(projectDir, "node_modules", "pulumi-intune-bitlocker");
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(dest, { recursive: true });
  fs.cpSync(path.join(pkg.dir, "dist"), path.join(dest, "dist"), { recursive: true });
  fs.copyFileSync(path.join(pkg.dir, "package.json"), path.join(dest, "package.json"));
}
