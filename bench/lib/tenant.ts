// The simulated tenant of one measurement (fresh for each contender) and what its request
// log says about a run: accepted rotations per device, throttled answers, timing.
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import type { SimulatedTenant, SimulatedTenantOptions } from "../../simulator/index";
import { REPO_DIR } from "../../test/e2e/harness";
import { INTUNE_POST_LIMIT, INTUNE_WINDOW_SECONDS, trueBoundMs as bound } from "./bound";
import type { PackageUnderTest } from "./package";

const CA_DIR = path.join(REPO_DIR, ".sim");
const CA_PEM = path.join(CA_DIR, "ca.pem");

export interface TenantSettings {
  timeScale: number;
  latencyMs: number;
}

type SimulatorModule = typeof import("../../simulator/index");

// The tenant is the measuring instrument, not the thing measured: always the workspace's simulator.
function simulator(_pkg: PackageUnderTest): SimulatorModule {
  return require(path.join(REPO_DIR, "simulator")) as SimulatorModule;
}

export async function ensureCa(pkg: PackageUnderTest): Promise<void> {
  await simulator(pkg).ensureCa(CA_DIR);
}

/** The scaled window (s) and the limit's rate (POST/s) under `timeScale`. */
export function limitOf(s: TenantSettings): { windowSeconds: number; ratePerSecond: number } {
  const windowSeconds = INTUNE_WINDOW_SECONDS * s.timeScale;
  return { windowSeconds, ratePerSecond: INTUNE_POST_LIMIT / windowSeconds };
}

/**
 * A fresh tenant with `size` Windows devices that all meet every prerequisite (so every
 * device should be rotated exactly once), Intune's throttle on a scaled clock, and latency.
 * Check-ins are off: a device's rotation result stays `pending`, as within Intune's 8 hours.
 */
export async function startBenchTenant(
  pkg: PackageUnderTest,
  size: number,
  s: TenantSettings,
): Promise<SimulatedTenant> {
  const options: SimulatedTenantOptions = {
    caDir: CA_DIR,
    seed: `bench-${size}`,
    fleet: {
      size,
      osMix: { Windows: 100, macOS: 0, iOS: 0, Android: 0 },
      oldBuild: 0,
      registered: 0,
      notEncrypted: 0,
      coManaged: 0,
      multiSession: 0,
      noEntraDevice: 0,
      failing: 0,
      offline: 0,
      priorRotation: 0,
    },
    checkInDelayMs: null,
    timeScale: s.timeScale,
    latencyMs: s.latencyMs,
    logLimit: 5_000_000,
  };
  return simulator(pkg).startSimulatedTenant(options);
}

const ROTATE = /\/rotateBitLockerKeys$/;
const TOKEN = /\/oauth2\/v2\.0\/token$/;
const ROTATE_ACTION = "#microsoft.graph.rotateBitLockerKeysDeviceActionResult";

export interface TenantFigures {
  devices: number;
  /** Devices with at least one accepted (204) rotation request. */
  devicesRotated: number;
  /** Devices without any accepted rotation request: failed rotations. */
  devicesNotRotated: number;
  /** Accepted rotation requests in all. */
  acceptedRotations: number;
  /** Devices whose rotation Graph accepted more than once (from the request log). */
  duplicateDevices: number;
  /** Up to 20 of them, with their counts. */
  duplicateIds: string[];
  /** Devices with more than one rotation entry in deviceActionResults (see docs/benchmarks.md). */
  duplicateActionResults: number;
  /** Rotation POSTs put to Graph (any answer), top-level or inside $batch. */
  rotationAttempts: number;
  throttled: number;
  throttledPosts: number;
  throttledGets: number;
  /** Top-level HTTP requests (each $batch counts once), token requests excluded. */
  httpRequests: number;
  batchRequests: number;
  tokenRequests: number;
  /** Status counts of rotation attempts, e.g. { "204": 1000, "429": 12 }. */
  rotationStatuses: Record<string, number>;
  /**
   * First rotation POST's arrival → last accepted rotation's answer, ms, as the tenant saw them
   * (a rotation inside a `$batch` timed by its envelope).
   */
  rotationSpanMs: number | undefined;
  /** When things happened, in ms after `startedAt` (the command's start): where the time went. */
  timeline: Record<string, number | undefined>;
}

export function figures(
  tenant: SimulatedTenant,
  ids: readonly string[],
  startedAt: number,
): TenantFigures {
  const all = tenant.log.entries();
  // A rotation inside a `$batch` is timed by its envelope: it arrived when the envelope did
  // (before the simulated latency) and was answered when the envelope was.
  const topLevel = new Map<string, (typeof all)[number]>();
  for (const e of all) if (e.batchId === undefined) topLevel.set(e.requestId, e);
  const accepted = new Map<string, number>();
  const rotationStatuses: Record<string, number> = {};
  let first = Infinity;
  let lastAccepted = -Infinity;
  let rotationAttempts = 0;
  for (const e of tenant.log.entries({ method: "POST", pathMatches: ROTATE })) {
    rotationAttempts++;
    rotationStatuses[e.status] = (rotationStatuses[e.status] ?? 0) + 1;
    const carrier = (e.batchId !== undefined ? topLevel.get(e.batchId) : undefined) ?? e;
    const t = Date.parse(carrier.time);
    first = Math.min(first, t);
    if (e.status === 204) {
      const id = e.path.split("/").at(-2) ?? "";
      accepted.set(id, (accepted.get(id) ?? 0) + 1);
      lastAccepted = Math.max(lastAccepted, t + carrier.durationMs);
    }
  }
  let devicesRotated = 0;
  let duplicateDevices = 0;
  let duplicateActionResults = 0;
  const duplicateIds: string[] = [];
  for (const id of ids) {
    const n = accepted.get(id) ?? 0;
    if (n > 0) devicesRotated++;
    if (n > 1) {
      duplicateDevices++;
      if (duplicateIds.length < 20) duplicateIds.push(`${id} ×${n}`);
    }
    const results = tenant.actionResults(id).filter((r) => r["@odata.type"] === ROTATE_ACTION);
    if (results.length > 1) duplicateActionResults++;
  }
  const at = (e: { time: string } | undefined) =>
    e === undefined ? undefined : Date.parse(e.time) - startedAt;
  const tokens = all.filter((e) => TOKEN.test(e.path));
  const reads = all.filter((e) => e.method === "GET");
  const timeline = {
    firstRequest: at(all[0]),
    firstToken: at(tokens[0]),
    firstRead: at(reads[0]),
    lastRead: at(reads.at(-1)),
    firstRotation: Number.isFinite(first) ? first - startedAt : undefined,
    lastAcceptedRotation: Number.isFinite(lastAccepted) ? lastAccepted - startedAt : undefined,
    lastRequest: at(all.at(-1)),
  };
  return {
    devices: ids.length,
    devicesRotated,
    devicesNotRotated: ids.length - devicesRotated,
    acceptedRotations: [...accepted.values()].reduce((a, b) => a + b, 0),
    duplicateDevices,
    duplicateIds,
    duplicateActionResults,
    rotationAttempts,
    throttled: tenant.log.count({ throttled: true }),
    throttledPosts: tenant.log.count({ throttled: true, method: "POST" }),
    throttledGets: tenant.log.count({ throttled: true, method: "GET" }),
    httpRequests: all.filter((e) => e.batchId === undefined && !TOKEN.test(e.path)).length,
    batchRequests: all.filter((e) => e.batchId === undefined && e.path.endsWith("/$batch")).length,
    tokenRequests: all.filter((e) => TOKEN.test(e.path)).length,
    rotationStatuses,
    rotationSpanMs:
      Number.isFinite(first) && lastAccepted > first ? lastAccepted - first : undefined,
    timeline,
  };
}

/** The true bound for this tenant's scaled window (see bound.ts). */
export function trueBoundMs(devices: number, s: TenantSettings, rttMs: number): number {
  return bound(devices, limitOf(s).windowSeconds, rttMs);
}

/**
 * One round trip to the tenant, measured: the median of `samples` requests over one
 * keep-alive TLS connection (the first, with the handshake, left out). An unauthenticated
 * GET pays the simulated latency and is answered 401; the caller clears the log and throttle.
 */
export async function measureRttMs(tenant: SimulatedTenant, samples = 5): Promise<number> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: fs.readFileSync(CA_PEM) });
  const url = new URL(`${tenant.url}/beta/deviceManagement/managedDevices?$top=1`);
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const t0 = performance.now();
      https
        .get(url, { agent }, (res) => {
          res.resume();
          res.on("end", () => resolve(performance.now() - t0));
        })
        .on("error", reject);
    });
  try {
    await once();
    const times: number[] = [];
    for (let i = 0; i < samples; i++) times.push(await once());
    return median(times);
  } finally {
    agent.destroy();
  }
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Environment naming the tenant, for the pulumi CLI and for peer processes. */
export function tenantEnv(
  tenant: SimulatedTenant,
  s: TenantSettings,
): Record<string, string | undefined> {
  return {
    AZURE_TENANT_ID: tenant.tenantId,
    AZURE_AUTHORITY_HOST: tenant.authorityHost,
    AZURE_CLIENT_ID: tenant.defaultApp.clientId,
    AZURE_CLIENT_SECRET: tenant.defaultApp.clientSecret,
    AZURE_CLIENT_CERTIFICATE_PATH: undefined,
    AZURE_FEDERATED_TOKEN_FILE: undefined,
    BITLOCKER_GRAPH_ENDPOINT: tenant.url,
    // The engine paces for Intune's window; against a time-scaled tenant it must know the scale.
    BITLOCKER_THROTTLE_WINDOW_SECONDS: String(limitOf(s).windowSeconds),
    NODE_EXTRA_CA_CERTS: CA_PEM,
    // Serializes the provider as a user's npm install would (see docs/architecture.md).
    NODE_PRESERVE_SYMLINKS: "1",
  };
}
