// Shared helpers of the reliability suite: counting what reached the simulated tenant
// (rotations Intune acted on, attempts), the request paths and hosts the engine may use, and a
// results file (bench/results/reliability.json) that docs/reliability.md is transcribed from.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type {
  FaultRuleInput,
  FaultRuleJson,
  LogEntry,
  SimulatedTenant,
} from "../../simulator/index";
import { ROTATE } from "../support/tenant";

// Rotation requests (top-level or inside a $batch), Entra's token endpoint, and a device that
// meets every prerequisite and reports success at its next check-in: shared with the other suites.
export { ROTATE, TOKEN_PATH, addEligibleDevice as windowsDevice } from "../support/tenant";

export const REPO_DIR = path.resolve(__dirname, "..", "..");
export const RESULTS_FILE = path.join(REPO_DIR, "bench", "results", "reliability.json");

const GUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

/**
 * Every path the engine may ask the tenant for: Entra ID's discovery, keys and token endpoint
 * for the configured tenant, and Graph's device, rotation, batch and recovery-key paths with
 * GUIDs only. Anything else in the request log means an input steered a request.
 */
export function allowedPaths(tenantId: string): RegExp[] {
  const t = tenantId.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return [
    new RegExp(`^/${t}/v2\\.0/\\.well-known/openid-configuration$`),
    new RegExp(`^/${t}/oauth2/v2\\.0/token$`),
    new RegExp(`^/${t}/discovery/v2\\.0/keys$`),
    new RegExp(`^/beta/deviceManagement/(managedDevices|comanagedDevices)/${GUID}$`, "i"),
    new RegExp(
      `^/beta/deviceManagement/(managedDevices|comanagedDevices)/${GUID}/rotateBitLockerKeys$`,
      "i",
    ),
    /^\/beta\/deviceManagement\/managedDevices$/,
    /^\/beta\/\$batch$/,
    /^\/v1\.0\/informationProtection\/bitlocker\/recoveryKeys$/,
    // A fleet lists recovery keys inside /beta/$batch (inner paths are logged under /beta).
    /^\/beta\/informationProtection\/bitlocker\/recoveryKeys$/,
  ];
}

/** Log entries whose path is not one of allowedPaths. */
export function unexpectedPaths(tenant: SimulatedTenant): LogEntry[] {
  const allowed = allowedPaths(tenant.tenantId);
  return tenant.log.entries().filter((e) => !allowed.some((re) => re.test(e.path)));
}

/**
 * Counts what Intune acted on. A rotation request took effect when Graph answered 204, or
 * when a fault handled it first and then lost or falsified the answer (drop, and 500/503/504
 * or hang with afterProcessing). A delayed request is logged with its real status (204 even
 * when the client had given up on it). Faults must be added through `add` so their ids are known.
 */
export class RotationLedger {
  /** Ids of rules that let the request take effect before failing it. */
  private readonly processing = new Set<string>();

  constructor(private readonly tenant: SimulatedTenant) {}

  add(rule: FaultRuleInput): FaultRuleJson {
    const added = this.tenant.addFault(rule);
    // A delayed request ("latency") is logged with the status it was finally given.
    if (rule.kind === "drop" || rule.afterProcessing) {
      this.processing.add(added.id);
    }
    return added;
  }

  /** Did this logged rotation request take effect? */
  took(e: LogEntry): boolean {
    if (e.status === 204) return true;
    return e.fault !== undefined && this.processing.has(e.fault);
  }

  /** Rotation requests that took effect, per device id. */
  accepted(since?: Date): Map<string, number> {
    const by = new Map<string, number>();
    const filter = since ? { since } : {};
    for (const e of this.tenant.log.entries({ method: "POST", pathMatches: ROTATE, ...filter })) {
      if (!this.took(e)) continue;
      const id = e.path.split("/").at(-2) ?? "";
      by.set(id, (by.get(id) ?? 0) + 1);
    }
    return by;
  }

  /** Every rotation request that reached the tenant (any answer, or none). */
  attempts(since?: Date): number {
    return this.tenant.log.count({
      method: "POST",
      pathMatches: ROTATE,
      ...(since ? { since } : {}),
    });
  }
}

/** Devices rotated more than once (by `accepted`), and the most any device was rotated. */
export function repeats(accepted: Map<string, number>): { repeated: number; max: number } {
  let repeated = 0;
  let max = 0;
  for (const n of accepted.values()) {
    if (n > 1) repeated++;
    max = Math.max(max, n);
  }
  return { repeated, max };
}

/** One measured case, as it appears in docs/reliability.md. */
export interface CaseResult {
  suite: string;
  case: string;
  injected: string;
  /** What the first run did: "converged", or the error's first line. */
  happened: string;
  /** What state held after the first run. */
  state: string;
  /** Did the re-run (if any) converge: each device rotated once for its token, recorded. */
  converged: boolean;
  devices: number;
  /** Devices whose rotation Intune accepted more than once, over all runs of the case. */
  repeated: number;
  /** Rotation requests that reached the tenant, over all runs of the case. */
  attempts: number;
  /** Duration of the faulted run, in ms. */
  ms: number;
  /** Free-form extra numbers. */
  notes?: string;
  at?: string;
}

const collected: CaseResult[] = [];

export function record(result: CaseResult): void {
  collected.push({ ...result, at: new Date().toISOString() });
}

/**
 * Merges this process's results into bench/results/reliability.json (keyed by suite and case,
 * so that separate runs accumulate). Called from each suite's `after`.
 */
export function flushResults(): void {
  if (collected.length === 0) return;
  let existing: CaseResult[] = [];
  try {
    existing = (JSON.parse(fs.readFileSync(RESULTS_FILE, "utf8")) as { cases: CaseResult[] }).cases;
  } catch {
    // first run
  }
  const key = (r: CaseResult) => `${r.suite}\0${r.case}`;
  const byKey = new Map(existing.map((r) => [key(r), r]));
  for (const r of collected.splice(0)) byKey.set(key(r), r);
  fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  fs.writeFileSync(
    RESULTS_FILE,
    JSON.stringify({ updated: new Date().toISOString(), cases: [...byKey.values()] }, null, 2) +
      "\n",
  );
}

/** The first line of an error message, shortened for a table. */
export function firstLine(e: unknown, max = 160): string {
  const line = String((e as Error)?.message ?? e).split("\n")[0] ?? "";
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** What a run returned or threw, and what the engine wrote to stderr (its log) meanwhile. */
export interface Captured<T> {
  value?: T;
  error?: Error & { id?: string; properties?: Record<string, unknown> };
  stderr: string;
  ms: number;
}

/** Runs `fn`, capturing its result or error and the engine's stderr lines. */
export async function capture<T>(fn: () => Promise<T>): Promise<Captured<T>> {
  const original = process.stderr.write.bind(process.stderr);
  let stderr = "";
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    stderr += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    if (process.env.RELIABILITY_VERBOSE === "1")
      return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
    return true;
  }) as typeof process.stderr.write;
  const started = Date.now();
  try {
    const value = await fn();
    return { value, stderr, ms: Date.now() - started };
  } catch (e) {
    return { error: e as Captured<T>["error"], stderr, ms: Date.now() - started };
  } finally {
    process.stderr.write = original;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A point in time after every request already logged: log entries carry their start time in
 * milliseconds, and a request that ended a moment ago may share the current millisecond.
 */
export async function mark(): Promise<Date> {
  await sleep(5);
  return new Date();
}

/**
 * Points XDG_CACHE_HOME at a fresh directory until the returned function is called, so runs
 * neither read nor leave anything in the user's cache (the engine keeps nothing there; a re-run
 * on "a fresh runner" gets an empty one). Call in `before`, and the result in `after`.
 */
export function isolateCache(): () => void {
  const saved = process.env.XDG_CACHE_HOME;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bitlocker-rel-cache-"));
  process.env.XDG_CACHE_HOME = dir;
  return () => {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  };
}
