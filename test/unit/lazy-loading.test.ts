// What a program and a preview load. A program only declares resources, and check/diff (every
// `pulumi preview` and no-op `up`) decide from inputs and state: none of them may load undici
// or @azure/identity, which cost 0.1–0.2 s per process and are needed only to talk to Graph.
// Measured through the real path: the BUILT package loaded by name in a child process.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

function loaded(what: string): string[] {
  const out = execFileSync(
    process.execPath,
    [path.join(ROOT, "test/support/print-loaded-modules.js"), what],
    {
      cwd: ROOT,
      // As installed under node_modules: only then does the program load the engine entry
      // (resources/engineProvider.ts), which is what Pulumi serializes.
      env: { ...process.env, NODE_PRESERVE_SYMLINKS: "1" },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    },
  );
  return (JSON.parse(out) as { modules: string[] }).modules;
}

const GRAPH_DEPENDENCIES =
  /[\\/]node_modules[\\/](undici|@azure[\\/]identity|@azure[\\/]msal-node)[\\/]/;
const OURS = /^.*[\\/](?:provider|pulumi-intune-bitlocker)[\\/]dist[\\/]/;
const ours = (modules: string[]) =>
  modules.filter((m) => OURS.test(m)).map((m) => m.replace(OURS, "").replace(/\\/g, "/"));

describe("lazy loading of the engine", function () {
  this.timeout(60_000);

  it("the program loads the engine entries (Pulumi serializes them), not the engine", () => {
    const entries = ours(loaded("program")).filter((m) => m.startsWith("engine/"));
    assert.deepEqual(entries.sort(), [
      "engine/context.js",
      "engine/engineWatchdog.js",
      "engine/fleetEntry.js",
      "engine/lazyEntry.js", // the entries' lazy exports (imports nothing)
      "engine/singleDeviceEntry.js",
    ]);
  });

  for (const what of ["program", "fleet-preview", "single-preview"]) {
    it(`${what}: loads neither undici nor @azure/identity`, () => {
      const heavy = loaded(what).filter((m) => GRAPH_DEPENDENCIES.test(m));
      assert.deepEqual(heavy.slice(0, 3), [], `${heavy.length} module(s) loaded`);
    });
  }

  it("fleet check and diff load plan/ and the settings they read, not the Graph engine", () => {
    const engine = ours(loaded("fleet-preview")).filter(
      (m) => !m.startsWith("plan/") && !m.startsWith("auth/settings"),
    );
    assert.deepEqual(engine.sort(), [
      "auth/endpointUrl.js",
      "engine/context.js",
      "engine/engineWatchdog.js",
      "engine/errors.js", // the guard's Refusal (imports only plan/)
      "engine/fleetCheck.js",
      "engine/fleetEntry.js",
      "engine/lazyEntry.js",
      "engine/log.js",
      "graph/clouds.js", // the settings' cloud table (pure data)
      "graph/retryAfter.js",
      "graph/retryPolicy.js", // the settings' retry defaults (pure)
      "nodeCheck.js",
    ]);
  });
});
