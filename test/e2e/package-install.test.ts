// The package as a user gets it: `npm pack` tarballs (never a link, never the workspace)
// installed with npm, pnpm and yarn into the README's project (templates/bitlocker-typescript/)
// in a temp dir outside the repository, run by the real Pulumi CLI with the plugins that take
// `node` from PATH, as the official ones do, against the simulated tenant from the simulator's
// own tarball. No NODE_PRESERVE_SYMLINKS: an installed package must not need it.
import { unpackIds } from "../../provider/plan/fleet/packed";
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as Simulator from "../../simulator/index";
import { pulumiBinDir, REPO_DIR, RunningCommand, type CommandResult } from "./harness";
import { ROTATE, TOKEN_PATH } from "../support/tenant";

const TEMPLATE = path.join(REPO_DIR, "templates", "bitlocker-typescript");
const TEMPLATE_FILES = ["Pulumi.yaml", "package.json", "tsconfig.json", "index.ts"];
const GOLDEN_PROVIDERS = JSON.parse(
  fs.readFileSync(
    path.join(REPO_DIR, "test", "unit", "fixtures", "serialized-provider.js.txt"),
    "utf8",
  ),
) as Record<string, string>;
const PLUGINS = [
  "pulumi-language-nodejs",
  "pulumi-language-nodejs.js",
  "pulumi-resource-pulumi-nodejs",
];
const README = fs.readFileSync(path.join(REPO_DIR, "README.md"), "utf8");
const PNPM = "pnpm@12.4.2";
const YARN = "yarn@1.22.22";
const NODE_MESSAGE =
  /^.*pulumi-intune-bitlocker needs Node\.js ≥ 22\.19, found 20\.\d+\.\d+ \(\/usr\/bin\/node\): put a newer node first on PATH.*$/m;

/** The README's fenced block that follows the line **`<file>`**. */
export function readmeBlock(readme: string, file: string): string | undefined {
  const marker = `**\`${file}\`**`;
  const at = readme.indexOf(marker);
  if (at < 0) return undefined;
  const m = /```[a-z]*\n([\s\S]*?)```/.exec(readme.slice(at));
  return m?.[1];
}

function run(
  file: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs = 10 * 60_000,
): Promise<CommandResult> {
  return new RunningCommand(`${path.basename(file)} ${args.join(" ")}`, file, args, {
    cwd,
    env,
    timeoutMs,
  }).done;
}

async function ok(p: Promise<CommandResult>): Promise<CommandResult> {
  const r = await p;
  if (r.code !== 0)
    throw new Error(
      `${r.command} exited ${r.code ?? r.signal}\n${r.stdout}\n--- stderr ---\n${r.stderr}`,
    );
  return r;
}

/** The files of an unpacked tarball's package/ tree, package.json aside (managers may rewrite it). */
function packedFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f !== "package.json" && fs.statSync(path.join(dir, f)).isFile())
    .sort();
}

/** A package's package.json without the `_` fields a manager may add (exports, bin, deps…). */
function manifest(dir: string): Record<string, unknown> {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as Record<
    string,
    unknown
  >;
  return Object.fromEntries(Object.entries(pkg).filter(([k]) => !k.startsWith("_")));
}

/** sha256 over those files' paths and bytes in `dir` (an installed package: extra files aside). */
function digest(dir: string, files: readonly string[]): string {
  const hash = createHash("sha256");
  for (const f of files) hash.update(`${f}\0`).update(fs.readFileSync(path.join(dir, f)));
  return hash.digest("hex");
}

/**
 * The system's CA bundle, for yarn 1 downloading from the registry. Node trusts its own roots
 * only, and the suite's NODE_EXTRA_CA_CERTS is the simulated tenant's CA; behind a
 * TLS-intercepting proxy (this machine: npm gets the bundle from its global `cafile`, which
 * yarn 1 does not read) yarn fails with "self-signed certificate in certificate chain".
 */
function systemCaFile(): string | undefined {
  let npmCafile: string | undefined;
  try {
    npmCafile = execFileSync("npm", ["config", "get", "cafile"], { encoding: "utf8" }).trim();
  } catch {
    // npm not on PATH: the other places
  }
  return [npmCafile, process.env.SSL_CERT_FILE, "/etc/ssl/certs/ca-certificates.crt"].find(
    (f): f is string => !!f && f !== "null" && fs.existsSync(f),
  );
}

/** A directory holding only `node` (a link to `target`): first on PATH, it decides the Node. */
function nodeDir(root: string, name: string, target: string): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.symlinkSync(target, path.join(dir, "node"));
  return dir;
}

describe("the package a user installs: tarballs into the README's project with npm, pnpm, yarn, run by the real CLI", function () {
  this.timeout(40 * 60_000);
  let work: string;
  let bin: string | undefined;
  /** The CLI, beside this checkout's plugins (linked, so they are exactly what is committed). */
  const cliBin = (): string => {
    if (bin) return bin;
    const dir = path.join(work, "bin");
    fs.mkdirSync(dir);
    // A hard link (a copy across file systems), not a symbolic one: the CLI looks for plugins
    // beside its own real path first, and these must be this checkout's.
    const cli = path.join(pulumiBinDir(), "pulumi");
    try {
      fs.linkSync(cli, path.join(dir, "pulumi"));
    } catch {
      fs.copyFileSync(cli, path.join(dir, "pulumi"));
      fs.chmodSync(path.join(dir, "pulumi"), 0o755);
    }
    for (const p of PLUGINS)
      fs.symlinkSync(path.join(REPO_DIR, "scripts", "plugins", p), path.join(dir, p));
    return (bin = dir);
  };
  let node24: string;
  let node20: string;
  let tarballs: { provider: string; simulator: string };
  /** What each tarball holds (its package/ tree, package.json aside), to compare with what was installed. */
  const packedDigest = new Map<
    string,
    { files: string[]; sha256: string; manifest: Record<string, unknown> }
  >();
  let caPem: string;

  before(function () {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "pib-package-"));
    node24 = nodeDir(
      work,
      "node24",
      fs.realpathSync(path.join(REPO_DIR, "node_modules", ".bin", "node")),
    );
    node20 = nodeDir(work, "node20", "/usr/bin/node");
    const old = execFileSync("/usr/bin/node", ["-p", "process.versions.node"], {
      encoding: "utf8",
    });
    assert.match(
      old,
      /^20\./,
      `this test needs the machine's Node 20 at /usr/bin/node, found ${old}`,
    );
    // `npm pack` runs prepack: a clean build of each package.
    const packed = JSON.parse(
      execFileSync(
        "npm",
        ["pack", "--json", "--pack-destination", work, "-w", "provider", "-w", "simulator"],
        {
          cwd: REPO_DIR,
          encoding: "utf8",
          env: { ...process.env, PATH: `${node24}${path.delimiter}${process.env.PATH}` },
        },
      ),
    ) as { name: string; filename: string }[];
    const file = (name: string) => path.join(work, packed.find((p) => p.name === name)!.filename);
    tarballs = {
      provider: file("pulumi-intune-bitlocker"),
      simulator: file("pulumi-intune-bitlocker-simulator"),
    };
    for (const [name, tgz] of [
      ["pulumi-intune-bitlocker", tarballs.provider],
      ["pulumi-intune-bitlocker-simulator", tarballs.simulator],
    ] as const) {
      const out = path.join(work, "unpacked", name);
      fs.mkdirSync(out, { recursive: true });
      execFileSync("tar", ["-xzf", tgz, "-C", out]);
      const files = packedFiles(path.join(out, "package"));
      packedDigest.set(name, {
        files,
        sha256: digest(path.join(out, "package"), files),
        manifest: manifest(path.join(out, "package")),
      });
    }
  });

  after(() => {
    if (process.env.E2E_KEEP === "1") console.log(`[package-install] kept ${work}`);
    else if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("the tarball holds LICENSE, README, CHANGELOG, types and no source maps; dependencies are ranges; no simulator in it", () => {
    const files = execFileSync("tar", ["-tzf", tarballs.provider], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean);
    for (const f of [
      "package/LICENSE",
      "package/README.md",
      "package/CHANGELOG.md",
      "package/dist/index.d.ts",
    ])
      assert.ok(files.includes(f), `${f} in the tarball`);
    assert.deepEqual(
      files.filter((f) => f.endsWith(".map")),
      [],
    );
    assert.deepEqual(
      files.filter((f) => /simulator/.test(f)),
      [],
    );
    const pkg = JSON.parse(
      execFileSync("tar", ["-xzOf", tarballs.provider, "package/package.json"], {
        encoding: "utf8",
      }),
    ) as { dependencies: Record<string, string>; engines: { node: string } };
    assert.deepEqual(Object.keys(pkg.dependencies).sort(), ["@azure/identity", "undici"]);
    for (const [name, range] of Object.entries(pkg.dependencies))
      assert.match(range, /^\^\d+\.\d+\.\d+$/, `${name}: a caret range, not a pin`);
    assert.equal(pkg.engines.node, ">=22.19.0");
    assert.equal(
      fs.readFileSync(path.join(REPO_DIR, "LICENSE"), "utf8"),
      execFileSync("tar", ["-xzOf", tarballs.provider, "package/LICENSE"], { encoding: "utf8" }),
    );
  });

  it("the README's 'Use it' project is templates/bitlocker-typescript/, file for file", () => {
    for (const f of TEMPLATE_FILES)
      assert.equal(readmeBlock(README, f), fs.readFileSync(path.join(TEMPLATE, f), "utf8"), f);
  });

  const managers: {
    name: string;
    install: (env: NodeJS.ProcessEnv, dir: string) => Promise<CommandResult>;
  }[] = [
    {
      name: "npm",
      install: (env, dir) =>
        run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], dir, env),
    },
    {
      name: "pnpm",
      install: (env, dir) => {
        // pnpm ≥ 11 refuses an install with an unreviewed build script; @pulumi/pulumi's
        // protobufjs has one (a version notice). What the README tells pnpm users to write.
        fs.writeFileSync(
          path.join(dir, "pnpm-workspace.yaml"),
          readmeBlock(README, "pnpm-workspace.yaml")!,
        );
        return run(
          "npx",
          ["--yes", "--prefer-offline", PNPM, "install", "--prefer-offline"],
          dir,
          env,
        );
      },
    },
    {
      name: "yarn",
      install: (env, dir) => {
        // Yarn 1 keeps a `file:` tarball unpacked in its cache under the md5 of the tarball's
        // URL as written relative to the project (`file:../pulumi-intune-bitlocker-0.1.0.tgz`,
        // the same on every run), and reuses it without reading the tarball again: with the
        // machine's cache it installed the 0.1.0 of an earlier checkout. A private cache, as a
        // CI runner's; it downloads the registry's packages, so yarn gets the machine's CA.
        const ca = systemCaFile();
        return run(
          "npx",
          [
            "--yes",
            "--prefer-offline",
            YARN,
            "install",
            "--non-interactive",
            "--no-lockfile",
            "--cache-folder",
            path.join(dir, ".yarn-cache"),
          ],
          dir,
          ca ? { ...env, NODE_EXTRA_CA_CERTS: ca } : env,
        );
      },
    },
  ];

  for (const pm of managers) {
    it(`${pm.name}: up rotates each device once, an unchanged up nothing, a token change each device once more`, async () => {
      const dir = path.join(work, pm.name);
      fs.mkdirSync(dir);
      for (const f of TEMPLATE_FILES) fs.copyFileSync(path.join(TEMPLATE, f), path.join(dir, f));
      // The published names, from the tarballs: as `npm install <tarball>` records them.
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
      pkg.dependencies["pulumi-intune-bitlocker"] = `file:${tarballs.provider}`;
      pkg.devDependencies["pulumi-intune-bitlocker-simulator"] = `file:${tarballs.simulator}`;
      fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(pkg, null, 2) + "\n");

      const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: [cliBin(), node24, process.env.PATH].join(path.delimiter),
        PULUMI_BACKEND_URL: `file://${path.join(dir, ".state")}`,
        PULUMI_HOME: path.join(dir, ".pulumi-home"),
        PULUMI_CONFIG_PASSPHRASE: "package-test",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        NO_COLOR: "1",
      };
      for (const k of [
        "NODE_PRESERVE_SYMLINKS",
        "PULUMI_NODEJS_TRANSPILE_ONLY",
        "PULUMI_CONFIG_PASSPHRASE_FILE",
        "PULUMI_ACCESS_TOKEN",
        "PULUMI_STACK",
        "NODE_EXTRA_CA_CERTS",
      ])
        delete env[k];
      for (const k of Object.keys(env)) if (/^(AZURE_|BITLOCKER_)/.test(k)) delete env[k];
      fs.mkdirSync(path.join(dir, ".state"));

      await ok(pm.install(env, dir));
      // Installed from the tarball, not linked to the workspace.
      const installed = fs.realpathSync(path.join(dir, "node_modules", "pulumi-intune-bitlocker"));
      assert.ok(
        installed.startsWith(fs.realpathSync(dir) + path.sep),
        `${installed} is inside the project`,
      );
      // Exactly this checkout's tarballs, file for file (a cache can serve an older 0.1.0).
      for (const name of ["pulumi-intune-bitlocker", "pulumi-intune-bitlocker-simulator"]) {
        const packed = packedDigest.get(name)!;
        const at = fs.realpathSync(path.join(dir, "node_modules", name));
        const missing = packed.files.filter((f) => !fs.existsSync(path.join(at, f)));
        assert.deepEqual(missing, [], `${pm.name}: files of the ${name} just packed`);
        assert.equal(digest(at, packed.files), packed.sha256, `${pm.name}: ${name} as packed`);
        assert.deepEqual(manifest(at), packed.manifest, `${pm.name}: ${name}'s package.json`);
      }

      // The simulated tenant from the installed simulator package, its CA in the project.
      const sim = require(
        path.join(dir, "node_modules", "pulumi-intune-bitlocker-simulator"),
      ) as typeof Simulator;
      caPem = (await sim.ensureCa(path.join(dir, ".sim"))).certPath;
      env.NODE_EXTRA_CA_CERTS = caPem;
      const tenant = await sim.startSimulatedTenant({ caDir: path.join(dir, ".sim") });
      try {
        const pulumi = (...args: string[]) =>
          ok(run("pulumi", ["--color=never", ...args], dir, env));
        await pulumi("stack", "init", "dev");
        await pulumi("config", "set", "bitlocker:tenantId", tenant.tenantId);
        await pulumi("config", "set", "bitlocker:clientId", tenant.defaultApp.clientId);
        await pulumi(
          "config",
          "set",
          "--secret",
          "bitlocker:clientSecret",
          tenant.defaultApp.clientSecret,
        );
        await pulumi("config", "set", "bitlocker:authorityHost", tenant.authorityHost);
        await pulumi("config", "set", "bitlocker:graphEndpoint", tenant.url);

        const byDevice = () => {
          const counts = new Map<string, number>();
          for (const e of tenant.log.entries({
            method: "POST",
            pathMatches: ROTATE,
            status: 204,
          })) {
            const id = e.path.split("/").at(-2) ?? "";
            counts.set(id, (counts.get(id) ?? 0) + 1);
          }
          return counts;
        };
        const names = new Map(tenant.listDevices().map((d) => [d.id, d.deviceName]));

        const first = await pulumi("up", "--yes", "--skip-preview");
        // A project as the template has it: an entry point, nothing to warn about.
        assert.doesNotMatch(
          first.stdout + first.stderr,
          /Could not find entry point|warning:/,
          first.stdout,
        );
        const state = JSON.parse((await pulumi("stack", "export")).stdout) as {
          deployment: {
            resources?: {
              type: string;
              inputs?: Record<string, unknown>;
              outputs?: Record<string, unknown>;
            }[];
          };
        };
        const resources = (state.deployment.resources ?? []).filter((r) =>
          r.type.startsWith("pulumi-nodejs:dynamic/"),
        );
        const single = resources.filter((r) => r.type.endsWith(":BitLockerKeyRotation"));
        const fleet = resources.filter((r) => r.type.endsWith(":BitLockerKeyRotationFleet"));
        assert.equal(single.length, 1);
        assert.equal(fleet.length, 1);
        // The compact provider, byte for byte as the golden test has it, whatever the layout.
        for (const r of resources)
          assert.equal(r.outputs?.__provider, GOLDEN_PROVIDERS[r.type], r.type);
        const helpdesk = single[0]!.inputs!.managedDeviceId as string;
        // State version 3 keeps the id list packed, one id a line.
        const listed = fleet[0]!.inputs!.managedDeviceIds;
        assert.equal(typeof listed, "string", "managedDeviceIds packed (state version 3)");
        const desktops = unpackIds(listed as string);
        const expected = [helpdesk, ...desktops].sort();
        assert.ok(
          desktops.length >= 2,
          `the simulated tenant has DESKTOP-* devices that can rotate (${desktops.length})`,
        );
        assert.ok(!desktops.includes(helpdesk), "no device in two resources");
        for (const id of expected) assert.match(names.get(id) ?? "", /^DESKTOP-/);
        assert.deepEqual(
          [...byDevice()].sort(),
          expected.map((id) => [id, 1]),
          "one rotation per device",
        );

        // Graph POSTs of any kind (not Entra's token endpoint, not a $batch envelope, whose
        // inner requests are logged one by one with their own method).
        const graphPosts = () =>
          tenant.log
            .entries({ method: "POST" })
            .filter(
              (e) =>
                !TOKEN_PATH.test(e.path) && !(e.batchId === undefined && /\/\$batch$/.test(e.path)),
            ).length;
        const before = graphPosts();
        await pulumi("up", "--yes", "--skip-preview");
        assert.equal(graphPosts(), before, "an unchanged up: 0 POSTs");

        const index = path.join(dir, "index.ts");
        const source = fs.readFileSync(index, "utf8");
        fs.writeFileSync(
          index,
          source.replace('"INC-0042"', '"INC-0043"').replace('"2026-Q4"', '"2027-Q1"'),
        );
        await pulumi("up", "--yes", "--skip-preview");
        assert.deepEqual(
          [...byDevice()].sort(),
          expected.map((id) => [id, 2]),
          "a token change: exactly one more per device",
        );

        if (pm.name === "npm") {
          // Node 20 first on PATH: one line from the package, no stack, for the program
          // (preview) and for the provider process (refresh loads only the provider).
          const old = { ...env, PATH: [cliBin(), node20, process.env.PATH].join(path.delimiter) };
          for (const cmd of [["preview"], ["refresh", "--yes", "--skip-preview"]]) {
            const r = await run("pulumi", ["--color=never", ...cmd], dir, old);
            const out = r.stdout + r.stderr;
            assert.notEqual(r.code, 0, out);
            assert.match(out, NODE_MESSAGE, out);
            assert.doesNotMatch(out, /TypeError|\n\s+at .*\(.*:\d+:\d+\)/, out);
          }
          assert.equal(
            tenant.log.count({ method: "POST", pathMatches: ROTATE }),
            expected.length * 2,
          );
        }
      } finally {
        await tenant.close();
      }
    });
  }
});
