// What `pulumi preview` reads, and what that costs, for a new fleet of N devices (default
// 10,000) against a fresh simulated tenant on Intune's limits, time-scaled as `npm run bench`
// (window 2 s, latency 50 ms): wall time of the preview, requests counted from the tenant's
// log (device GETs inside $batch, $batch envelopes, token requests, throttled answers, writes),
// then the same preview once the fleet exists and nothing changed (it must read nothing).
//
//   npm run bench:preview -- [--devices 10000] [--package head|worktree]
//
// A measurement, not a test. The package is built from HEAD unless `--package worktree`.
import { PulumiProject } from "../test/e2e/harness";
import { installInto, packageUnderTest } from "./lib/package";
import { ensureCa, startBenchTenant, tenantEnv, type TenantSettings } from "./lib/tenant";

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};

const PROGRAM = `
import * as fs from "node:fs";
import { BitLockerKeyRotationFleet } from "pulumi-intune-bitlocker";

const ids: string[] = JSON.parse(fs.readFileSync("devices.json", "utf8"));
const fleet = new BitLockerKeyRotationFleet("bench", { managedDeviceIds: ids, rotationToken: "bench-1", rotateOnCreate: process.env.BENCH_ADOPT !== "1" });
export const counts = fleet.counts;
`;

async function main(): Promise<void> {
  const size = Number(arg("devices") ?? 10_000);
  const pkg = packageUnderTest(arg("package") === "worktree" ? "worktree" : "head");
  const settings: TenantSettings = { timeScale: 0.1, latencyMs: 50 };
  await ensureCa(pkg);
  const tenant = await startBenchTenant(pkg, size, settings);
  const ids = tenant.listDevices().map((d) => d.id);
  const project = await PulumiProject.create({
    name: "bench-preview",
    program: PROGRAM,
    env: {
      ...tenantEnv(tenant, settings),
      BITLOCKER_MAX_ROTATIONS_PER_UPDATE: String(size),
    },
    timeoutMs: 30 * 60_000,
  });
  const figures = (wallMs: number) => {
    const log = tenant.log;
    return {
      wallS: +(wallMs / 1000).toFixed(1),
      deviceGets: log.count({ method: "GET", inBatch: true, pathMatches: /managedDevices\// }),
      batchEnvelopes: log.count({ method: "POST", inBatch: false, pathMatches: /\/\$batch$/ }),
      topLevelGets: log.count({ method: "GET", inBatch: false }),
      tokenRequests: log.count({ method: "POST", pathMatches: /\/oauth2\/v2\.0\/token$/ }),
      throttled: log.count({ throttled: true }),
      rotations: log.count({ method: "POST", pathMatches: /rotateBitLockerKeys$/ }),
      allRequests: log.count(),
      /** Device GETs per scaled 20-s window at the busiest (Intune allows 2,000 requests). */
      peakPerWindow: peak(
        log.entries({ inBatch: true }).map((e) => Date.parse(e.time)),
        20_000 * settings.timeScale,
      ),
    };
  };
  try {
    installInto(pkg, project.dir);
    project.writeFile("devices.json", JSON.stringify(ids));
    tenant.log.clear();
    tenant.resetThrottle();
    const created = await project.pulumiOk(["preview", "--stack", project.stack]);
    const create = figures(created.durationMs);
    const line = /fleet bench: new fleet of [^\n]{0,160}/.exec(
      created.stdout + created.stderr,
    )?.[0];
    // The fleet adopted (nothing rotates, nothing read at up), then a no-op preview.
    await project.pulumiOk(["up", "--stack", project.stack, "--yes", "--skip-preview"], {
      env: { BENCH_ADOPT: "1" },
    });
    tenant.log.clear();
    const noop = await project.pulumiOk(["preview", "--stack", project.stack], {
      env: { BENCH_ADOPT: "1" },
    });
    const result = {
      devices: size,
      settings,
      package: pkg.source,
      previewOfNewFleet: create,
      previewLine: line,
      noOpPreview: figures(noop.durationMs),
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await project.dispose();
    await tenant.close();
  }
}

/** The most timestamps within any span of `windowMs`. */
function peak(times: number[], windowMs: number): number {
  times.sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; j < times.length; j++) {
    while (times[j]! - times[i]! >= windowMs) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
