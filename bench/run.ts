// `npm run bench`: BitLockerKeyRotationFleet against the ways people rotate BitLocker keys
// today, each against a fresh simulated tenant that enforces Intune's limits on a scaled clock.
// See docs/benchmarks.md for what is measured and how to read it.
//
//   npm run bench                          1,000 and 10,000 devices, every contender
//   npm run bench -- --quick               1,000 devices only
//   npm run bench -- --only a,c --sizes 10000
//   options: --time-scale 0.1  --latency 50  --package head|worktree
//            --sequential-10k auto|run|skip
//            --wait-idle <minutes>        first wait (polling each minute) until no one else runs tests
//            --wait-idle-each <minutes>   the same before each contender
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { REPO_DIR } from "../test/e2e/harness";
import { packageUnderTest, type PackageUnderTest } from "./lib/package";
import { runPeer, type Peer } from "./lib/peers";
import { loadSnapshot, machineFacts, waitUntilIdle, type LoadSnapshot } from "./lib/proc";
import { runPulumi, type PulumiProgram } from "./lib/pulumi";
import {
  ensureCa,
  figures,
  limitOf,
  startBenchTenant,
  type TenantFigures,
  type TenantSettings,
} from "./lib/tenant";

type Key = "a" | "b" | "c" | "d";

const CONTENDERS: Record<
  Key,
  { name: string; pulumi?: PulumiProgram; peer?: Peer; maxSize?: number }
> = {
  a: { name: "BitLockerKeyRotationFleet, pulumi up", pulumi: "fleet" },
  b: { name: "sequential loop, GraphClient", peer: "sequential" },
  c: { name: "Graph JS SDK, Promise.all", peer: "graphSdk" },
  d: { name: "BitLockerKeyRotation per device, pulumi up", pulumi: "single", maxSize: 1000 },
};

export interface RunResult {
  key: Key;
  contender: string;
  devices: number;
  /** How the figure was obtained; "extrapolated" ones were not measured. */
  kind: "measured" | "extrapolated" | "failed";
  note?: string;
  reproduce: string;
  idealMs: number;
  /** The whole command (`pulumi up`, or the peer's loop). */
  wallMs?: number;
  /** First rotation attempt to last accepted rotation, as the tenant saw them. */
  rotationSpanMs?: number;
  throughputPctOfLimit?: number;
  spanThroughputPctOfLimit?: number;
  failedRotations?: number;
  /** What the contender itself reported as failed (state records, rejected promises). */
  reportedFailures?: number;
  duplicateRotations?: number;
  duplicateActionResults?: number;
  stateBytesPerDevice?: number;
  compactStateBytesPerDevice?: number;
  peakMemoryKb?: number;
  tenant?: TenantFigures;
  detail?: Record<string, unknown>;
  loadBefore?: LoadSnapshot;
  loadAfter?: LoadSnapshot;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string", default: "a,b,c,d" },
      sizes: { type: "string" },
      "time-scale": { type: "string", default: "0.1" },
      latency: { type: "string", default: "50" },
      package: { type: "string", default: "head" },
      "sequential-10k": { type: "string", default: "auto" },
      "wait-idle": { type: "string", default: "0" },
      "wait-idle-each": { type: "string", default: "0" },
      report: { type: "string" },
    },
  });
  if (values.report) {
    // Re-renders the table and ratios of an earlier run's results file.
    const saved = JSON.parse(fs.readFileSync(values.report, "utf8")) as { results: RunResult[] };
    console.log(`${table(saved.results)}\n\n${ratios(saved.results)}`);
    return;
  }
  const settings: TenantSettings = {
    timeScale: Number(values["time-scale"]),
    latencyMs: Number(values.latency),
  };
  const keys = values.only!.split(",").map((k) => k.trim()) as Key[];
  for (const k of keys) if (!CONTENDERS[k]) throw new Error(`unknown contender ${k} (a, b, c, d)`);
  const sizes = values.quick
    ? [1000]
    : values.sizes
      ? values.sizes.split(",").map(Number)
      : [1000, 10000];
  const waitMinutes = Number(values["wait-idle"]);
  if (waitMinutes > 0) await waitUntilIdle(waitMinutes);
  const pkgKind = values.package === "worktree" ? "worktree" : "head";
  const pkg = packageUnderTest(pkgKind);
  await ensureCa(pkg);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const outDir = path.join(REPO_DIR, "bench", "results");
  const logDir = path.join(outDir, stamp);
  fs.mkdirSync(logDir, { recursive: true });
  const limit = limitOf(settings);
  const base = [
    `npm run bench --`,
    values["time-scale"] !== "0.1" ? `--time-scale ${values["time-scale"]}` : "",
    values.latency !== "50" ? `--latency ${values.latency}` : "",
    pkgKind === "worktree" ? "--package worktree" : "",
  ]
    .filter(Boolean)
    .join(" ");
  const header = {
    startedAt: new Date().toISOString(),
    machine: machineFacts(),
    package: pkg,
    tenant: {
      ...settings,
      limits:
        "Intune: 200 writes/app, 400 writes/tenant, 2000 requests/app, 4000/tenant per 20 s window",
      scaledWindowSeconds: limit.windowSeconds,
      postLimitPerSecond: limit.ratePerSecond,
      fleet: "healthy Windows devices only (every one eligible), check-ins off",
    },
    argv: process.argv.slice(2),
  };
  console.log(`[bench] ${JSON.stringify(header)}`);

  const results: RunResult[] = [];
  const save = () => {
    const file = path.join(outDir, `${stamp}.json`);
    fs.writeFileSync(
      file,
      JSON.stringify({ ...header, finishedAt: new Date().toISOString(), results }, null, 2),
    );
    return file;
  };
  const plan: [Key, number][] = [];
  for (const size of sizes)
    for (const k of keys)
      if (size <= (CONTENDERS[k].maxSize ?? Infinity) && !(k === "b" && size > 1000))
        plan.push([k, size]);
  // The sequential loop at 10,000 last: it takes longest, and its 1,000 run decides whether to.
  if (keys.includes("b")) for (const size of sizes.filter((s) => s > 1000)) plan.push(["b", size]);

  for (const [key, size] of plan) {
    const reproduce = `${base} --only ${key} --sizes ${size}`;
    const idealMs = (size / limit.ratePerSecond) * 1000;
    if (key === "b" && size > 1000) {
      const small = results.find(
        (r) => r.key === "b" && r.devices === 1000 && r.kind === "measured",
      );
      const projected = small?.wallMs !== undefined ? (small.wallMs * size) / 1000 : undefined;
      const mode = values["sequential-10k"];
      if (
        mode === "skip" ||
        (mode === "auto" && (projected === undefined || projected > 10 * 60_000))
      ) {
        results.push(extrapolated(key, size, small, idealMs, reproduce, limit.ratePerSecond, mode));
        save();
        continue;
      }
    }
    const eachMinutes = Number(values["wait-idle-each"]);
    if (eachMinutes > 0) await waitUntilIdle(eachMinutes);
    results.push(await measure(key, size, pkg, settings, logDir, reproduce, idealMs));
    console.log(`[bench] ${summaryLine(results.at(-1)!)}`);
    save();
  }
  const file = save();
  console.log(
    `\n${table(results)}\n\n${ratios(results)}\n\n[bench] results: ${path.relative(REPO_DIR, file)}`,
  );
}

async function measure(
  key: Key,
  size: number,
  pkg: PackageUnderTest,
  settings: TenantSettings,
  logDir: string,
  reproduce: string,
  idealMs: number,
): Promise<RunResult> {
  const c = CONTENDERS[key];
  const label = `${key}-${size}`;
  console.log(
    `[bench] ${label}: ${c.name}, ${size} devices (ideal ${(idealMs / 1000).toFixed(1)} s)`,
  );
  const loadBefore = loadSnapshot();
  const tenant = await startBenchTenant(pkg, size, settings);
  const rate = limitOf(settings).ratePerSecond;
  const ids = tenant.listDevices().map((d) => d.id);
  const result: RunResult = {
    key,
    contender: c.name,
    devices: size,
    kind: "measured",
    reproduce,
    idealMs,
    loadBefore,
  };
  try {
    if (c.pulumi) {
      const run = await runPulumi(c.pulumi, pkg, tenant, settings, ids, logDir, label);
      const f = figures(tenant, ids, run.startedAt);
      const notRequested = size - (run.statusCounts.requested ?? 0);
      Object.assign(result, common(f, run.wallMs, rate), {
        reportedFailures: notRequested,
        stateBytesPerDevice: run.exportBytes / size,
        compactStateBytesPerDevice: run.compactExportBytes / size,
        peakMemoryKb: run.providerPeakKb,
        detail: {
          command: run.command,
          exitCode: run.exitCode,
          statusCounts: run.statusCounts,
          resourcesInState: run.resourcesInState,
          fleetStateBytes: run.fleetStateBytes,
          exportBytes: run.exportBytes,
          compactExportBytes: run.compactExportBytes,
          processes: run.processes,
          log: path.relative(REPO_DIR, run.logFile),
        },
      });
      if (run.exitCode !== 0)
        result.note = `pulumi up exited ${run.exitCode}: see ${path.relative(REPO_DIR, run.logFile)}`;
    } else {
      const timeoutMs = Math.max(15 * 60_000, idealMs * 20);
      const run = await runPeer(c.peer!, pkg, tenant, settings, ids, logDir, label, timeoutMs);
      const f = figures(tenant, ids, run.startedAt);
      Object.assign(result, common(f, run.wallMs, rate), {
        reportedFailures: run.failed,
        peakMemoryKb: run.peakKb,
        detail: {
          command: run.command,
          exitCode: run.exitCode,
          processWallMs: run.processWallMs,
          errors: run.errors,
          baselineKb: run.baselineKb,
          clientStats: run.clientStats,
          log: path.relative(REPO_DIR, run.logFile),
        },
      });
    }
  } catch (e) {
    result.kind = "failed";
    result.note = (e as Error).message.slice(0, 2000);
  } finally {
    await tenant.close();
    result.loadAfter = loadSnapshot();
  }
  return result;
}

function common(f: TenantFigures, wallMs: number, ratePerSecond: number): Partial<RunResult> {
  return {
    wallMs,
    rotationSpanMs: f.rotationSpanMs,
    throughputPctOfLimit: (f.devicesRotated / (wallMs / 1000) / ratePerSecond) * 100,
    spanThroughputPctOfLimit: f.rotationSpanMs
      ? (f.devicesRotated / (f.rotationSpanMs / 1000) / ratePerSecond) * 100
      : undefined,
    failedRotations: f.devicesNotRotated,
    duplicateRotations: f.duplicateDevices,
    duplicateActionResults: f.duplicateActionResults,
    tenant: f,
  };
}

function extrapolated(
  key: Key,
  size: number,
  small: RunResult | undefined,
  idealMs: number,
  reproduce: string,
  ratePerSecond: number,
  mode: string | undefined,
): RunResult {
  const base: RunResult = {
    key,
    contender: CONTENDERS[key].name,
    devices: size,
    kind: "extrapolated",
    reproduce: `${reproduce} --sequential-10k run`,
    idealMs,
  };
  if (small?.wallMs === undefined)
    return { ...base, note: "not measured: no 1,000-device run to extrapolate from" };
  const wallMs = (small.wallMs * size) / 1000;
  return {
    ...base,
    wallMs,
    throughputPctOfLimit: (size / (wallMs / 1000) / ratePerSecond) * 100,
    note:
      `EXTRAPOLATED, not measured (${mode === "skip" ? "--sequential-10k skip" : `projected ${(wallMs / 60_000).toFixed(1)} min > 10 min`}): ` +
      `10 × the 1,000-device wall time; one request at a time stays far below the limit, so time grows linearly`,
  };
}

const fmt = (n: number | undefined, digits = 0) =>
  n === undefined || Number.isNaN(n) ? "—" : n.toFixed(digits);

function summaryLine(r: RunResult): string {
  return `${r.key}-${r.devices} ${r.kind}: wall ${fmt((r.wallMs ?? NaN) / 1000, 1)} s (ideal ${fmt(r.idealMs / 1000, 1)} s), ${fmt(r.throughputPctOfLimit, 1)}% of limit, throttled ${r.tenant?.throttled ?? "—"}, failed ${r.failedRotations ?? "—"}, duplicates ${r.duplicateRotations ?? "—"}${r.note ? ` — ${r.note.split("\n")[0]}` : ""}`;
}

export function table(results: RunResult[]): string {
  const rows = [
    "| contender | devices | wall s | ideal s | × ideal | % of limit (wall) | % of limit (rotation span) | throttled (POST/GET) | failed | duplicates | state B/device (export / compact) | peak memory MiB |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    const t = r.tenant;
    rows.push(
      [
        `${r.key}. ${r.contender}${r.kind !== "measured" ? ` (${r.kind})` : ""}`,
        r.devices.toLocaleString("en-US"),
        fmt((r.wallMs ?? NaN) / 1000, 1),
        fmt(r.idealMs / 1000, 1),
        fmt((r.wallMs ?? NaN) / r.idealMs, 2),
        fmt(r.throughputPctOfLimit, 1),
        // Meaningless when devices were left out: a burst that then failed looks fast.
        r.failedRotations ? "n/a" : fmt(r.spanThroughputPctOfLimit, 1),
        t ? `${t.throttled} (${t.throttledPosts}/${t.throttledGets})` : "—",
        fmt(r.failedRotations),
        fmt(r.duplicateRotations),
        r.stateBytesPerDevice !== undefined
          ? `${fmt(r.stateBytesPerDevice)} / ${fmt(r.compactStateBytesPerDevice)}`
          : "—",
        fmt((r.peakMemoryKb ?? NaN) / 1024, 0),
      ].join(" | "),
    );
  }
  return rows.map((r) => (r.startsWith("|") ? r : `| ${r} |`)).join("\n");
}

/** Wall time of each peer divided by the fleet's (a), per fleet size: how many times faster a is. */
export function ratios(results: RunResult[]): string {
  const lines: string[] = [];
  for (const a of results.filter((r) => r.key === "a" && r.kind === "measured" && r.wallMs)) {
    for (const peer of results.filter(
      (r) => r.key !== "a" && r.devices === a.devices && r.wallMs !== undefined,
    )) {
      const ratio = peer.wallMs! / a.wallMs!;
      lines.push(
        `- ${a.devices.toLocaleString("en-US")} devices: ${peer.key}. ${peer.contender}${peer.kind === "extrapolated" ? " (extrapolated)" : ""} took ${ratio.toFixed(2)}× the fleet's wall time` +
          ` (${(peer.wallMs! / 1000).toFixed(1)} s vs ${(a.wallMs! / 1000).toFixed(1)} s)` +
          (peer.failedRotations ? `, and left ${peer.failedRotations} device(s) not rotated` : ""),
      );
    }
  }
  return lines.join("\n");
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
