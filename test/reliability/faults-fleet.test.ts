// Faults against BitLockerKeyRotationFleet (40 devices per case), engine level: the real
// engine, Graph client ($batch) and @azure/identity against the simulated tenant over HTTPS.
// Faults hit inner $batch requests ("batchItem") or the $batch envelope itself ("request").
// For every case: no rotation lost from state, none repeated, a clear error when the budget
// runs out, and a re-run that converges. Measured into bench/results/reliability.json.
import { fleetDeviceRecords } from "../../provider/plan/fleet/packed";
import assert from "node:assert/strict";
import * as engine from "../../provider/engine/fleetEntry";
import { clearCredentialCache } from "../../provider/auth/credential";
import { checkFleet } from "../../provider/plan/fleet/inputs";
import type { FleetState } from "../../provider/plan/fleet/plan";
import { parseRecord, tokenHash } from "../../provider/plan/fleet/record";
import type { FaultRuleInput, SimulatedTenant } from "../../simulator/index";
import { configureEngine, engineConfig, startTenant } from "../support/tenant";
import {
  ROTATE,
  RotationLedger,
  TOKEN_PATH,
  capture,
  firstLine,
  flushResults,
  isolateCache,
  mark,
  record,
  repeats,
  sleep,
  unexpectedPaths,
  windowsDevice,
} from "./support";

type Props = Record<string, unknown>;
const N = 40;
const GRAPH = /^\/(beta|v1\.0)\//;
const BATCH = /^\/beta\/\$batch$/;

/** Inner rotation requests of a $batch. */
const inner = (rule: Omit<FaultRuleInput, "path" | "method" | "scope">): FaultRuleInput => ({
  method: "POST",
  path: ROTATE,
  scope: "batchItem",
  ...rule,
});

/**
 * The first $batch of rotations (the envelope). The run first reads its 40 devices in two
 * $batch requests of GETs: a pass-through rule takes those two matches.
 */
const firstRotationBatch = (
  rule: Omit<FaultRuleInput, "path" | "method" | "scope" | "count">,
): FaultRuleInput[] => [
  { method: "POST", path: BATCH, scope: "request", kind: "latency", ms: 0, count: 2 },
  { method: "POST", path: BATCH, scope: "request", count: 1, ...rule },
];

interface FleetCase {
  name: string;
  injected: string;
  faults: () => FaultRuleInput[];
  config?: Record<string, string>;
  tokenLifetimeSeconds?: number;
  /**
   * "converges": the faulted run itself succeeds; "fails": it fails with `error`; "settles":
   * it succeeds, or records the unanswered devices as unverified for the next run to settle.
   */
  first: "converges" | "fails" | "settles";
  error?: RegExp;
  settleMs?: number;
  minMs?: number;
}

const CASES: FleetCase[] = [
  {
    name: "429 storm on inner requests, Retry-After in seconds",
    injected: "429 on 20 inner rotation requests, `Retry-After: 1`",
    faults: () => [inner({ kind: "429", retryAfterSeconds: 1, count: 20 })],
    first: "converges",
    minMs: 1000,
  },
  {
    name: "429 storm on inner requests, fractional Retry-After",
    injected: "429 on 30 inner rotation requests, `Retry-After: 0.35`",
    faults: () => [inner({ kind: "429", retryAfterSeconds: 0.35, count: 30 })],
    first: "converges",
    minMs: 350,
  },
  {
    name: "429 storm on inner requests, Retry-After as an HTTP date",
    injected: "429 on 20 inner rotation requests, `Retry-After: <HTTP date 1 s ahead>`",
    faults: () => [
      inner({ kind: "429", retryAfterSeconds: 1, retryAfterFormat: "http-date", count: 20 }),
    ],
    first: "converges",
  },
  {
    name: "429 storm on inner requests, no Retry-After",
    injected: "429 on 20 inner rotation requests without Retry-After (engine backoff)",
    faults: () => [inner({ kind: "429", retryAfterFormat: "none", count: 20 })],
    first: "converges",
    minMs: 1000,
  },
  {
    name: "429 on the $batch envelope",
    injected: "429 ×2 on the first rotation $batch envelopes, `Retry-After: 0.5`",
    faults: () => [
      { method: "POST", path: BATCH, scope: "request", kind: "latency", ms: 0, count: 2 },
      {
        method: "POST",
        path: BATCH,
        scope: "request",
        kind: "429",
        retryAfterSeconds: 0.5,
        count: 2,
      },
    ],
    first: "converges",
    minMs: 500,
  },
  {
    name: "endless 429 on inner requests (maxRetries + 1 sends per device)",
    injected: "429 on every inner rotation request, `Retry-After: 0.05`",
    faults: () => [inner({ kind: "429", retryAfterSeconds: 0.05 })],
    first: "fails",
    error: /run `pulumi up` again[\s\S]*40 × TooManyRequests/,
  },
  {
    name: "503 on inner requests",
    injected: "503 on 20 inner rotation requests, `Retry-After: 0.2`",
    faults: () => [inner({ kind: "503", retryAfterSeconds: 0.2, count: 20 })],
    first: "converges",
  },
  {
    name: "504 on inner requests before Intune acted",
    injected: "504 on 5 inner rotation requests (not processed)",
    faults: () => [inner({ kind: "504", count: 5 })],
    first: "settles",
  },
  {
    name: "504 on inner requests after Intune acted",
    injected: "504 on 5 inner rotation requests, afterProcessing",
    faults: () => [inner({ kind: "504", afterProcessing: true, count: 5 })],
    first: "converges",
  },
  {
    name: "500 on inner requests before Intune acted",
    injected: "500 on 5 inner rotation requests (not processed)",
    faults: () => [inner({ kind: "500", count: 5 })],
    first: "settles",
  },
  {
    name: "500 on inner requests after Intune acted",
    injected: "500 on 5 inner rotation requests, afterProcessing",
    faults: () => [inner({ kind: "500", afterProcessing: true, count: 5 })],
    first: "converges",
  },
  {
    name: "504 on the $batch envelope after Intune acted",
    injected: "the first rotation $batch is processed, then answered 504",
    faults: () => firstRotationBatch({ kind: "504", afterProcessing: true }),
    first: "converges",
  },
  {
    name: "connection reset on a $batch",
    injected: "the first rotation $batch is reset before Intune sees it",
    faults: () => firstRotationBatch({ kind: "reset" }),
    first: "settles",
  },
  {
    name: "$batch accepted, answer dropped",
    injected: "the first rotation $batch is processed, then the connection closes",
    faults: () => firstRotationBatch({ kind: "drop" }),
    first: "converges",
  },
  {
    name: "no answer to a $batch within the request timeout (not processed)",
    injected: "the first rotation $batch hangs; requestTimeoutSeconds 1",
    config: { "bitlocker:requestTimeoutSeconds": "1" },
    faults: () => firstRotationBatch({ kind: "hang" }),
    first: "settles",
  },
  {
    name: "no answer to a $batch within the request timeout, after Intune acted",
    injected: "the first rotation $batch is processed, then hangs; requestTimeoutSeconds 1",
    config: { "bitlocker:requestTimeoutSeconds": "1" },
    faults: () => firstRotationBatch({ kind: "hang", afterProcessing: true }),
    first: "converges",
  },
  {
    name: "a $batch answered slower than the request timeout",
    injected:
      "the first rotation $batch is delayed 2.5 s (Intune acts at 2.5 s); requestTimeoutSeconds 1",
    config: { "bitlocker:requestTimeoutSeconds": "1" },
    faults: () => firstRotationBatch({ kind: "latency", ms: 2500 }),
    first: "settles",
    settleMs: 2500,
  },
  {
    name: "401: the token expired in flight",
    injected: "token lifetime 1 s; the first rotation $batch is delayed 2.1 s once (401)",
    tokenLifetimeSeconds: 1,
    faults: () => firstRotationBatch({ kind: "latency", ms: 2100 }),
    first: "converges",
  },
  {
    name: "token endpoint down",
    injected: "503 on every POST to /oauth2/v2.0/token",
    faults: () => [{ method: "POST", path: TOKEN_PATH, kind: "503", retryAfterSeconds: 0.2 }],
    first: "fails",
    error: /(503|unavailable)/i,
  },
  {
    name: "Graph down for the whole run",
    injected: "503 on every Graph path; retryBudgetSeconds 2",
    config: { "bitlocker:retryBudgetSeconds": "2" },
    faults: () => [{ path: GRAPH, kind: "503", retryAfterSeconds: 0.3 }],
    first: "fails",
    error: /503|ServiceUnavailable/,
  },
  {
    name: "Graph resets every connection for the whole run",
    injected: "connection reset on every Graph path; retryBudgetSeconds 2",
    config: { "bitlocker:retryBudgetSeconds": "2" },
    faults: () => [{ path: GRAPH, kind: "reset" }],
    first: "fails",
    error: /ECONNRESET|UND_ERR_SOCKET/,
  },
];

describe("reliability: faults, fleet of 40 (engine)", function () {
  this.timeout(90_000);
  let tenant: SimulatedTenant;
  let ledger: RotationLedger;
  let restoreCache: () => void;

  before(async () => {
    // Intune's throttle on a 2 s window, and the engine paces to the same window.
    tenant = await startTenant({ timeScale: 0.1 });
    ledger = new RotationLedger(tenant);
    process.env.BITLOCKER_THROTTLE_WINDOW_SECONDS = "2";
    restoreCache = isolateCache();
  });
  after(async () => {
    flushResults();
    delete process.env.BITLOCKER_THROTTLE_WINDOW_SECONDS;
    restoreCache?.();
    await tenant?.close();
  });
  beforeEach(() => {
    tenant.clearFaults();
    tenant.resetThrottle();
    tenant.setTokenLifetime(3599);
    tenant.log.clear();
    clearCredentialCache();
    configureEngine(engineConfig(tenant));
  });

  /**
   * The inputs as check validates them, without check's preview reads (engine/previewReads.ts):
   * these tests count and fault the run's own requests. Preview reads: test/e2e/preview-reads.
   */
  async function inputs(news: Props): Promise<Props> {
    const { inputs: i, failures } = checkFleet(news);
    assert.deepEqual(failures, []);
    return i as Props;
  }

  for (const c of CASES) {
    it(c.name, async function () {
      const ids = Array.from({ length: N }, () => windowsDevice(tenant).id);
      const news = await inputs({ managedDeviceIds: ids, rotationToken: "A", label: "rel" });
      const start = await mark();

      configureEngine(engineConfig(tenant, tenant.defaultApp, c.config ?? {}));
      clearCredentialCache();
      if (c.tokenLifetimeSeconds) tenant.setTokenLifetime(c.tokenLifetimeSeconds);
      for (const rule of c.faults()) ledger.add(rule);
      const run = await capture(() => engine.create(news));
      if (c.settleMs) await sleep(c.settleMs);
      tenant.clearFaults();
      tenant.setTokenLifetime(3599);
      const actedFirst = ledger.accepted(start);
      const attemptsFirst = ledger.attempts(start);

      // The state Pulumi keeps after the first run.
      const kept: { id: string; state: FleetState } | undefined = run.value
        ? { id: run.value.id, state: run.value.outs }
        : run.error?.properties
          ? { id: run.error.id!, state: run.error.properties as unknown as FleetState }
          : undefined;
      const statuses = kept ? JSON.stringify(kept.state.counts) : "nothing";
      // No rotation lost: each device Intune acted on is recorded for token A (or unverified).
      const lost = [...actedFirst.keys()].filter((id) => {
        const r = kept && parseRecord(fleetDeviceRecords(kept.state.devices)[id] ?? "");
        return !r || r.token !== tokenHash("A") || !["requested", "unverified"].includes(r.status);
      });

      // The re-run, as the next `pulumi up` does it.
      configureEngine(engineConfig(tenant));
      clearCredentialCache();
      let final: FleetState;
      if (!kept) final = (await engine.create(news)).outs;
      else if ((await engine.diff(kept.id, kept.state as unknown as Props, news)).changes)
        final = (await engine.update(kept.id, kept.state as unknown as Props, news)).outs;
      else final = kept.state;
      const acted = ledger.accepted(start);
      const { repeated, max } = repeats(acted);
      record({
        suite: "faults: fleet of 40 (engine)",
        case: c.name,
        injected: c.injected,
        happened: run.value ? "succeeded" : `failed: ${firstLine(run.error, 400)}`,
        state: kept ? `records ${statuses}` : "nothing (the resource is not created)",
        converged: acted.size === N && max === 1 && final.counts.requested === N,
        devices: N,
        repeated,
        attempts: ledger.attempts(start),
        ms: run.ms,
        notes: `first run: ${attemptsFirst} rotation request(s), ${actedFirst.size} device(s) acted on`,
      });

      if (c.first === "converges")
        assert.ok(run.value, `the run must succeed: ${run.error?.message}`);
      else if (c.first === "settles") {
        const counts = (run.value?.outs ?? (run.error?.properties as unknown as FleetState))
          ?.counts;
        assert.ok(counts, `nothing recorded: ${run.error?.message}`);
        assert.deepEqual(
          Object.keys(counts).filter((k) => k !== "requested" && k !== "unverified"),
          [],
          JSON.stringify(counts),
        );
      } else {
        assert.ok(run.error, "the run must fail");
        assert.match(run.error.message, c.error!);
        assert.doesNotMatch(run.error.message, /\[object Object\]/);
      }
      if (c.minMs !== undefined)
        assert.ok(run.ms >= c.minMs, `Retry-After honoured (${run.ms} ms)`);
      assert.deepEqual(lost, [], "rotations Intune acted on but state does not hold");
      assert.deepEqual(unexpectedPaths(tenant), [], "only Graph and Entra paths");
      assert.equal(final.counts.requested, N, `final state: ${JSON.stringify(final.counts)}`);
      for (const id of ids) {
        assert.equal(
          parseRecord(fleetDeviceRecords(final.devices)[id]!)!.token,
          tokenHash("A"),
          id,
        );
      }
      assert.equal(acted.size, N, "every device rotated");
      assert.equal(repeated, 0, `${repeated} device(s) rotated more than once for one token`);
    });
  }
});
