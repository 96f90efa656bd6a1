// `npm run bench`: BitLockerKeyRotationFleet against the ways people rotate BitLocker keys
// today, each against a fresh simulated tenant that enforces Intune's limits on a scaled clock.
// See docs/benchmarks.md for what is measured and how to read it.
//
//   npm run bench                          1,000 and 10,000 devices, every contender, once
//   npm run bench -- --quick               smoke check: 1,000 devices, contenders a,c,e,f,p, once
//   npm run bench -- --repeat 3 --only a,e,f --sizes 10000
//   options: --time-scale 0.1  --latency 50  --package head|worktree  --repeat <n>
//            --only <keys>   a at b c d e f p pd pt (see CONTENDERS below)
//            --sequential-10k auto|run|skip
//            --wait-idle <minutes>        first wait (polling each minute) until no one else runs tests
//            --wait-idle-each <minutes>   the same before each contender
//            --report <results.json>      re-render the tables of an earlier run
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
  measureRttMs,
  median,
  startBenchTenant,
  trueBoundMs,
  type TenantFigures,
  type TenantSettings,
} from "./lib/tenant";

const CONTENDERS = {
  a: { name: "BitLockerKeyRotationFleet, pulumi up", pulumi: "fleet" },
  at: {
    name: "BitLockerKeyRotationFleet, pulumi up, type-checked",
    pulumi: "fleet",
    typeCheck: true,
  },
  b: { name: "sequential loop, GraphClient", peer: { script: "sequential" } },
  c: { name: "Graph JS SDK, naive (Promise.all)", peer: { script: "graphSdk" } },
  e: {
    name: "Graph JS SDK, $batch, send-time pacing",
    peer: { script: "graphSdkBatched", args: ["send"] },
  },
  f: {
    name: "Graph JS SDK, $batch, answer-time pacing",
    peer: { script: "graphSdkBatched", args: ["answer"] },
  },
  d: { name: "BitLockerKeyRotation per device, pulumi up", pulumi: "single", maxSize: 1000 },
  // Pulumi's own fixed cost: measured once per repetition, whatever the sizes.
  p: { name: "empty Pulumi program, pulumi up", pulumi: "empty", sizeFree: true },
  pd: {
    name: "one dynamic resource whose create does nothing, pulumi up",
    pulumi: "dynamic",
    sizeFree: true,
  },
  pt: {
    name: "empty Pulumi program, pulumi up, type-checked",
    pulumi: "empty",
    typeCheck: true,
    sizeFree: true,
  },
} satisfies Record<string, Contender>;

interface Contender {
  name: string;
  pulumi?: PulumiProgram;
  peer?: Peer;
  typeCheck?: boolean;
  maxSize?: number;
  sizeFree?: boolean;
}

type Key = keyof typeof CONTENDERS;
const contender = (k: Key): Contender => CONTENDERS[k];
const FLEET_KEYS: readonly string[] = ["a", "at"];
const DEFAULT_ONLY = "a,at,b,c,e,f,d,p,pd,pt";
const QUICK_ONLY = "a,c,e,f,p";

export interface RunResult {
  key: Key;
  contender: string;
  devices: number;
  /** 1-based repetition; contenders are interleaved within each. */
  rep?: number;
  /** How the figure was obtained; "extrapolated" ones were not measured. */
  kind: "measured" | "extrapolated" | "failed";
  note?: string;
  reproduce: string;
  /** Steady-rate time, devices / limit rate (the old, wrong "ideal"; kept for comparison). */
  idealMs: number;
  /** One round trip to the tenant, measured just before this contender ran. */
  rttMs?: number;
  /** The true floor, first POST → last answer: (⌈N/200⌉ − 1)·W + one round trip. */
  boundMs?: number;
  /** The whole command: `pulumi up`, or the peer's process with Node's start. */
  wallMs?: number;
  /** A peer's own loop, first request → last answer, as it measured it. */
  loopMs?: number;
  /** Command start → its first request to the tenant (token or Graph). */
  firstRequestMs?: number;
  /** First rotation POST → last accepted rotation's answer, as the tenant saw them. */
  rotationSpanMs?: number;
  /** boundMs / rotationSpanMs. */
  spanPctOfBound?: number;
  /** boundMs / wallMs. */
  wallPctOfBound?: number;
  /** User + system CPU of the contender's processes. */
  cpuMs?: number;
  /** PULUMI_NODEJS_TRANSPILE_ONLY for Pulumi contenders. */
  transpileOnly?: boolean;
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
      only: { type: "string" },
      sizes: { type: "string" },
      repeat: { type: "string", default: "1" },
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
    // Re-renders the tables of an earlier run's results file.
    const saved = JSON.parse(fs.readFileSync(values.report, "utf8")) as { results: RunResult[] };
    console.log(render(saved.results));
    return;
  }
  const settings: TenantSettings = {
    timeScale: Number(values["time-scale"]),
    latencyMs: Number(values.latency),
  };
  const only = values.only ?? (values.quick ? QUICK_ONLY : DEFAULT_ONLY);
  const keys = only.split(",").map((k) => k.trim()) as Key[];
  for (const k of keys)
    if (!(k in CONTENDERS))
      throw new Error(`unknown contender ${k} (${Object.keys(CONTENDERS).join(", ")})`);
  const sizes = values.sizes
    ? values.sizes.split(",").map(Number)
    : values.quick
      ? [1000]
      : [1000, 10000];
  const repeat = Math.max(1, Number(values.repeat));
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
  // Contenders interleaved within each repetition, so that a change of load on the machine
  // falls on all of them rather than on one.
  const plan: [Key, number, number][] = [];
  for (let rep = 1; rep <= repeat; rep++) {
    for (const size of sizes)
      for (const k of keys) {
        const c = contender(k);
        if (c.sizeFree && size !== sizes[0]) continue;
        if (size <= (c.maxSize ?? Infinity) && !(k === "b" && size > 1000))
          plan.push([k, size, rep]);
      }
    // The sequential loop at 10,000 last: it takes longest, and its 1,000 run decides whether to.
    if (keys.includes("b"))
      for (const size of sizes.filter((s) => s > 1000)) plan.push(["b", size, rep]);
  }

  for (const [key, size, rep] of plan) {
    const reproduce = `${base} --only ${key} --sizes ${size}`;
    const idealMs = (size / limit.ratePerSecond) * 1000;
    if (key === "b" && size > 1000) {
      const small = results.find(
        (r) => r.key === "b" && r.devices === 1000 && r.rep === rep && r.kind === "measured",
      );
      const projected = small?.wallMs !== undefined ? (small.wallMs * size) / 1000 : undefined;
      const mode = values["sequential-10k"];
      if (
        mode === "skip" ||
        (mode === "auto" && (projected === undefined || projected > 10 * 60_000))
      ) {
        results.push({ ...extrapolated(key, size, small, idealMs, reproduce, mode), rep });
        save();
        continue;
      }
    }
    const eachMinutes = Number(values["wait-idle-each"]);
    if (eachMinutes > 0) await waitUntilIdle(eachMinutes);
    const r = await measure(key, size, pkg, settings, logDir, reproduce, idealMs);
    r.rep = rep;
    results.push(r);
    console.log(`[bench] ${summaryLine(r)}`);
    save();
  }
  const file = save();
  console.log(`\n${render(results)}\n\n[bench] results: ${path.relative(REPO_DIR, file)}`);
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
  const c = contender(key);
  const devices = c.sizeFree ? 0 : size;
  const label = `${key}-${devices}-${Date.now()}`;
  console.log(`[bench] ${key}: ${c.name}, ${devices} devices`);
  const loadBefore = loadSnapshot();
  const tenant = await startBenchTenant(pkg, Math.max(devices, 1), settings);
  const ids = devices === 0 ? [] : tenant.listDevices().map((d) => d.id);
  const result: RunResult = {
    key,
    contender: c.name,
    devices,
    kind: "measured",
    reproduce,
    idealMs: devices === 0 ? 0 : idealMs,
    loadBefore,
  };
  try {
    result.rttMs = await measureRttMs(tenant);
    if (devices > 0) result.boundMs = trueBoundMs(devices, settings, result.rttMs);
    if (c.pulumi) {
      const run = await runPulumi(c.pulumi, pkg, tenant, settings, ids, logDir, label, c.typeCheck);
      const f = figures(tenant, ids, run.startedAt);
      const notRequested = devices - (run.statusCounts.requested ?? 0);
      Object.assign(result, common(f, run.wallMs, result.boundMs), {
        cpuMs: run.cpuMs,
        transpileOnly: run.transpileOnly,
        reportedFailures: devices > 0 ? notRequested : undefined,
        stateBytesPerDevice: devices > 0 ? run.exportBytes / devices : undefined,
        compactStateBytesPerDevice: devices > 0 ? run.compactExportBytes / devices : undefined,
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
      Object.assign(result, common(f, run.processWallMs, result.boundMs), {
        loopMs: run.wallMs,
        cpuMs: run.cpuMs,
        reportedFailures: run.failed,
        peakMemoryKb: run.peakKb,
        detail: {
          command: run.command,
          exitCode: run.exitCode,
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
  if (result.duplicateRotations)
    console.log(
      `[bench] DUPLICATE ROTATIONS: ${key} rotated ${result.duplicateRotations} device(s) more than once: ${result.tenant?.duplicateIds.join(", ")}`,
    );
  return result;
}

function common(f: TenantFigures, wallMs: number, boundMs: number | undefined): Partial<RunResult> {
  const complete = f.devices > 0 && f.devicesNotRotated === 0;
  return {
    wallMs,
    firstRequestMs: f.timeline.firstRequest,
    rotationSpanMs: f.rotationSpanMs,
    // Meaningless when devices were left out: a burst that then failed looks fast.
    spanPctOfBound:
      complete && boundMs && f.rotationSpanMs ? (boundMs / f.rotationSpanMs) * 100 : undefined,
    wallPctOfBound: complete && boundMs ? (boundMs / wallMs) * 100 : undefined,
    failedRotations: f.devices > 0 ? f.devicesNotRotated : undefined,
    duplicateRotations: f.devices > 0 ? f.duplicateDevices : undefined,
    duplicateActionResults: f.devices > 0 ? f.duplicateActionResults : undefined,
    tenant: f,
  };
}

function extrapolated(
  key: Key,
  size: number,
  small: RunResult | undefined,
  idealMs: number,
  reproduce: string,
  mode: string | undefined,
): RunResult {
  const base: RunResult = {
    key,
    contender: contender(key).name,
    devices: size,
    kind: "extrapolated",
    reproduce: `${reproduce} --sequential-10k run`,
    idealMs,
  };
  if (small?.wallMs === undefined)
    return { ...base, note: "not measured: no 1,000-device run to extrapolate from" };
  return {
    ...base,
    wallMs: (small.wallMs * size) / 1000,
    note:
      `EXTRAPOLATED, not measured (${mode === "skip" ? "--sequential-10k skip" : `projected ${((small.wallMs * size) / 1000 / 60_000).toFixed(1)} min > 10 min`}): ` +
      `10 × the 1,000-device wall time; one request at a time stays far below the limit, so time grows linearly`,
  };
}

const fmt = (n: number | undefined, digits = 0) =>
  n === undefined || Number.isNaN(n) ? "—" : n.toFixed(digits);
const s1 = (ms: number | undefined) => fmt(ms === undefined ? undefined : ms / 1000, 1);
const s2 = (ms: number | undefined) => fmt(ms === undefined ? undefined : ms / 1000, 2);

function summaryLine(r: RunResult): string {
  return (
    `${r.key}-${r.devices} rep ${r.rep} ${r.kind}: wall ${s1(r.wallMs)} s, rotations ${s2(r.rotationSpanMs)} s` +
    ` (bound ${s2(r.boundMs)} s, ${fmt(r.spanPctOfBound, 1)}%), first request ${s2(r.firstRequestMs)} s,` +
    ` CPU ${s1(r.cpuMs)} s, throttled ${r.tenant?.throttled ?? "—"}, failed ${r.failedRotations ?? "—"},` +
    ` duplicates ${r.duplicateRotations ?? "—"}, load ${fmt(r.loadBefore?.loadavg[0], 2)}` +
    (r.note ? ` — ${r.note.split("\n")[0]}` : "")
  );
}

function render(results: RunResult[]): string {
  return [
    "Medians over repetitions:",
    medianTable(results),
    "",
    ratios(results),
    "",
    "Every run:",
    table(results),
  ].join("\n");
}

/** Groups measured results by contender and size, in the order they first appear. */
function groups(results: RunResult[]): RunResult[][] {
  const by = new Map<string, RunResult[]>();
  for (const r of results) {
    if (r.kind !== "measured") continue;
    const k = `${r.key}/${r.devices}`;
    by.set(k, [...(by.get(k) ?? []), r]);
  }
  return [...by.values()];
}

function med(rs: RunResult[], f: (r: RunResult) => number | undefined): number | undefined {
  const xs = rs.map(f).filter((x): x is number => x !== undefined && !Number.isNaN(x));
  return xs.length ? median(xs) : undefined;
}

export function medianTable(results: RunResult[]): string {
  const rows = [
    "| contender | devices | runs | whole command s | first request s | rotation span s | true bound s | % of bound (span) | % of bound (whole) | CPU s | throttled | failed | duplicates | peak memory MiB | load (1 min) |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const g of groups(results)) {
    const r = g[0]!;
    rows.push(
      `| ${r.key}. ${r.contender} | ${r.devices.toLocaleString("en-US")} | ${g.length} | ${s1(med(g, (x) => x.wallMs))} | ` +
        `${s2(med(g, (x) => x.firstRequestMs))} | ${s2(med(g, (x) => x.rotationSpanMs))} | ${s2(med(g, (x) => x.boundMs))} | ` +
        `${fmt(
          med(g, (x) => x.spanPctOfBound),
          1,
        )} | ${fmt(
          med(g, (x) => x.wallPctOfBound),
          1,
        )} | ` +
        `${s1(med(g, (x) => x.cpuMs))} | ${fmt(med(g, (x) => x.tenant?.throttled))} | ` +
        `${r.devices ? Math.max(...g.map((x) => x.failedRotations ?? 0)) : "—"} | ` +
        `${r.devices ? Math.max(...g.map((x) => x.duplicateRotations ?? 0)) : "—"} | ` +
        `${fmt((med(g, (x) => x.peakMemoryKb) ?? NaN) / 1024)} | ` +
        `${g.map((x) => fmt(x.loadBefore?.loadavg[0], 2)).join(", ")} |`,
    );
  }
  return rows.join("\n");
}

export function table(results: RunResult[]): string {
  const rows = [
    "| rep | contender | devices | whole command s | first request s | rotation span s | true bound s (RTT ms) | % of bound (span / whole) | CPU s | throttled (POST/GET) | failed | duplicates | state B/device (export / compact) | peak memory MiB | load before (1/5/15 min) |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    const t = r.tenant;
    rows.push(
      [
        r.rep ?? 1,
        `${r.key}. ${r.contender}${r.kind !== "measured" ? ` (${r.kind})` : ""}`,
        r.devices.toLocaleString("en-US"),
        s1(r.wallMs),
        s2(r.firstRequestMs),
        s2(r.rotationSpanMs),
        `${s2(r.boundMs)} (${fmt(r.rttMs)})`,
        `${fmt(r.spanPctOfBound, 1)} / ${fmt(r.wallPctOfBound, 1)}`,
        s1(r.cpuMs),
        t ? `${t.throttled} (${t.throttledPosts}/${t.throttledGets})` : "—",
        fmt(r.failedRotations),
        fmt(r.duplicateRotations),
        r.stateBytesPerDevice !== undefined
          ? `${fmt(r.stateBytesPerDevice)} / ${fmt(r.compactStateBytesPerDevice)}`
          : "—",
        fmt((r.peakMemoryKb ?? NaN) / 1024, 0),
        r.loadBefore ? r.loadBefore.loadavg.map((l) => l.toFixed(2)).join(" ") : "—",
      ].join(" | "),
    );
  }
  return rows.map((r) => (r.startsWith("|") ? r : `| ${r} |`)).join("\n");
}

/** Each peer's median against the fleet's (a) median, per size: whole command and rotation span. */
export function ratios(results: RunResult[]): string {
  const gs = groups(results);
  const lines: string[] = [];
  for (const fleet of gs.filter((g) => FLEET_KEYS.includes(g[0]!.key) && g[0]!.devices > 0)) {
    const a = fleet[0]!;
    const aWall = med(fleet, (x) => x.wallMs)!;
    const aSpan = med(fleet, (x) => x.rotationSpanMs);
    for (const peer of gs.filter(
      (g) => !FLEET_KEYS.includes(g[0]!.key) && g[0]!.devices === a.devices,
    )) {
      const p = peer[0]!;
      const pWall = med(peer, (x) => x.wallMs)!;
      const pSpan = med(peer, (x) => x.rotationSpanMs);
      const failed = Math.max(...peer.map((x) => x.failedRotations ?? 0));
      lines.push(
        `- ${a.devices.toLocaleString("en-US")} devices, ${a.key} against ${p.key}. ${p.contender}: ` +
          `fleet's whole command ${(aWall / pWall).toFixed(2)}× the peer's (${s1(aWall)} s vs ${s1(pWall)} s)` +
          (aSpan && pSpan
            ? `; fleet's rotation span ${(aSpan / pSpan).toFixed(2)}× (${s2(aSpan)} s vs ${s2(pSpan)} s)`
            : "") +
          (failed ? `; the peer left ${failed} device(s) not rotated` : ""),
      );
    }
  }
  return lines.join("\n");
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
