// Faults against BitLockerKeyRotation (one device), engine level: the real engine, Graph
// client and @azure/identity against the simulated tenant over HTTPS. For every injected
// fault: no rotation lost from state, none repeated (rotation requests Intune acted on, from
// the request log), a clear error when the retry budget runs out, and a re-run that converges.
// Each case is measured into bench/results/reliability.json (see docs/reliability.md).
import assert from "node:assert/strict";
import * as engine from "../../provider/engine/singleDeviceEntry";
import { clearCredentialCache } from "../../provider/auth/credential";
import type { SingleDeviceState } from "../../provider/plan/singleDevicePlan";
import type { FaultRuleInput, SimulatedTenant } from "../../simulator/index";
import { configureEngine, engineConfig, startTenant } from "../support/tenant";
import {
  RotationLedger,
  TOKEN_PATH,
  capture,
  firstLine,
  flushResults,
  isolateCache,
  mark,
  record,
  sleep,
  unexpectedPaths,
  windowsDevice,
} from "./support";

type Props = Record<string, unknown>;
const GRAPH = /^\/(beta|v1\.0)\//;

interface SingleCase {
  name: string;
  injected: string;
  /** Rules added before the faulted run (path defaults to the device's rotation POST). */
  faults: (deviceId: string) => FaultRuleInput[];
  /** Extra stack config (bitlocker:*) for the faulted run. */
  config?: Record<string, string>;
  /** Access-token lifetime during the faulted run. */
  tokenLifetimeSeconds?: number;
  /** The faulted run is a create (default) or an update from token A to B. */
  phase?: "create" | "update";
  /**
   * "converges": the faulted run itself succeeds; "fails": it fails with `error`; "settles":
   * it succeeds, or records the request as unverified for the next run to settle.
   */
  first: "converges" | "fails" | "settles";
  error?: RegExp;
  /** Wait this long after the faulted run, for requests the tenant is still holding. */
  settleMs?: number;
  /** The faulted run sent this many rotation requests (when the answer says so exactly). */
  attempts?: number;
  /** The faulted run took at least this long (Retry-After honoured). */
  minMs?: number;
}

const rotationPost = (
  rule: Omit<FaultRuleInput, "path" | "method">,
  deviceId: string,
): FaultRuleInput => ({
  method: "POST",
  path: new RegExp(`${deviceId}/rotateBitLockerKeys$`),
  ...rule,
});

const CASES: SingleCase[] = [
  {
    name: "429 storm, Retry-After in seconds",
    injected: "429 ×2 on the rotation POST, `Retry-After: 1`",
    faults: (d) => [rotationPost({ kind: "429", retryAfterSeconds: 1, count: 2 }, d)],
    first: "converges",
    attempts: 3,
    minMs: 2000,
  },
  {
    name: "429 storm, fractional Retry-After",
    injected: "429 ×4, `Retry-After: 0.35`",
    faults: (d) => [rotationPost({ kind: "429", retryAfterSeconds: 0.35, count: 4 }, d)],
    first: "converges",
    attempts: 5,
    minMs: 1400,
  },
  {
    name: "429 storm, Retry-After as an HTTP date",
    injected: "429 ×2, `Retry-After: <HTTP date 1 s ahead>`",
    faults: (d) => [
      rotationPost(
        { kind: "429", retryAfterSeconds: 1, retryAfterFormat: "http-date", count: 2 },
        d,
      ),
    ],
    first: "converges",
    attempts: 3,
  },
  {
    name: "429 storm, no Retry-After",
    injected: "429 ×2 without Retry-After (client backoff)",
    faults: (d) => [rotationPost({ kind: "429", retryAfterFormat: "none", count: 2 }, d)],
    first: "converges",
    attempts: 3,
    minMs: 1000,
  },
  {
    name: "endless 429, retry budget runs out",
    injected: "429 on every rotation POST, `Retry-After: 0.3`; retryBudgetSeconds 2",
    config: { "bitlocker:retryBudgetSeconds": "2", "bitlocker:maxRetries": "5" },
    faults: (d) => [rotationPost({ kind: "429", retryAfterSeconds: 0.3 }, d)],
    first: "fails",
    error: /429[\s\S]*throttl/i,
  },
  {
    name: "endless 429 during an update, retry budget runs out",
    injected: "token A→B; 429 on every rotation POST; retryBudgetSeconds 2",
    phase: "update",
    config: { "bitlocker:retryBudgetSeconds": "2" },
    faults: (d) => [rotationPost({ kind: "429", retryAfterSeconds: 0.3 }, d)],
    first: "fails",
    error: /429[\s\S]*throttl/i,
  },
  {
    name: "503 ×2",
    injected: "503 ×2 on the rotation POST, `Retry-After: 0.2`",
    faults: (d) => [rotationPost({ kind: "503", retryAfterSeconds: 0.2, count: 2 }, d)],
    first: "converges",
    attempts: 3,
  },
  {
    name: "endless 503, retry budget runs out",
    injected: "503 on every rotation POST; retryBudgetSeconds 2",
    config: { "bitlocker:retryBudgetSeconds": "2" },
    faults: (d) => [rotationPost({ kind: "503", retryAfterSeconds: 0.3 }, d)],
    first: "fails",
    error: /503/,
  },
  {
    name: "504 before Intune acted",
    injected: "504 ×1 on the rotation POST (not processed)",
    faults: (d) => [rotationPost({ kind: "504", count: 1 }, d)],
    first: "settles",
  },
  {
    name: "504 after Intune acted",
    injected: "504 ×1 on the rotation POST, afterProcessing",
    faults: (d) => [rotationPost({ kind: "504", afterProcessing: true, count: 1 }, d)],
    first: "converges",
    attempts: 1,
  },
  {
    name: "500 before Intune acted",
    injected: "500 ×1 on the rotation POST (not processed)",
    faults: (d) => [rotationPost({ kind: "500", count: 1 }, d)],
    first: "settles",
  },
  {
    name: "500 after Intune acted",
    injected: "500 ×1 on the rotation POST, afterProcessing",
    faults: (d) => [rotationPost({ kind: "500", afterProcessing: true, count: 1 }, d)],
    first: "converges",
    attempts: 1,
  },
  {
    name: "connection reset",
    injected: "reset ×1 on the rotation POST (before Intune saw it)",
    faults: (d) => [rotationPost({ kind: "reset", count: 1 }, d)],
    first: "settles",
  },
  {
    name: "accepted, answer dropped",
    injected: "drop ×1: Intune acts, the connection closes before the answer",
    faults: (d) => [rotationPost({ kind: "drop", count: 1 }, d)],
    first: "converges",
    attempts: 1,
  },
  {
    name: "accepted, answer dropped, during an update",
    injected: "token A→B; drop ×1 on the rotation POST",
    phase: "update",
    faults: (d) => [rotationPost({ kind: "drop", count: 1 }, d)],
    first: "converges",
    attempts: 1,
  },
  {
    name: "answer lost and the device unreadable",
    injected: "drop ×1 on the POST, then 503 on every read of the device; retryBudgetSeconds 1",
    config: { "bitlocker:retryBudgetSeconds": "1", "bitlocker:maxRetries": "1" },
    faults: (d) => [
      // The read before the POST goes through; every later one fails.
      { method: "GET", path: new RegExp(`managedDevices/${d}$`), kind: "latency", ms: 0, count: 1 },
      {
        method: "GET",
        path: new RegExp(`managedDevices/${d}$`),
        kind: "503",
        retryAfterSeconds: 0,
      },
      rotationPost({ kind: "drop", count: 1 }, d),
    ],
    first: "fails",
    error: /answer was lost/,
    attempts: 1,
  },
  {
    name: "no answer within the request timeout (not processed)",
    injected: "hang ×1 on the POST; requestTimeoutSeconds 1",
    config: { "bitlocker:requestTimeoutSeconds": "1" },
    faults: (d) => [rotationPost({ kind: "hang", count: 1 }, d)],
    first: "settles",
  },
  {
    name: "no answer within the request timeout, after Intune acted",
    injected: "hang ×1 after processing; requestTimeoutSeconds 1",
    config: { "bitlocker:requestTimeoutSeconds": "1" },
    faults: (d) => [rotationPost({ kind: "hang", afterProcessing: true, count: 1 }, d)],
    first: "converges",
    attempts: 1,
  },
  {
    name: "answer slower than the request timeout",
    injected: "latency 2.5 s ×1 on the POST (Intune acts at 2.5 s); requestTimeoutSeconds 1",
    config: { "bitlocker:requestTimeoutSeconds": "1" },
    faults: (d) => [rotationPost({ kind: "latency", ms: 2500, count: 1 }, d)],
    first: "settles",
    settleMs: 2500,
  },
  {
    name: "401: the token expired in flight",
    injected: "token lifetime 1 s; the POST is delayed 2.1 s once (401), renewed once",
    tokenLifetimeSeconds: 1,
    faults: (d) => [rotationPost({ kind: "latency", ms: 2100, count: 1 }, d)],
    first: "converges",
    attempts: 2,
  },
  {
    name: "401 on every request",
    injected:
      "token lifetime 1 s; every Graph request delayed 2.1 s (each token expires in flight)",
    tokenLifetimeSeconds: 1,
    faults: () => [{ path: GRAPH, kind: "latency", ms: 2100 }],
    first: "fails",
    error: /401/,
  },
  {
    name: "token endpoint down",
    injected: "503 on every POST to /oauth2/v2.0/token",
    faults: () => [{ method: "POST", path: TOKEN_PATH, kind: "503", retryAfterSeconds: 0.2 }],
    first: "fails",
    // What failed (the token endpoint, its status), not a guess at the credential.
    error: /authentication failed[\s\S]*(503|unavailable)/i,
  },
  {
    name: "Graph down for the whole run",
    injected: "503 on every Graph path; retryBudgetSeconds 2",
    config: { "bitlocker:retryBudgetSeconds": "2" },
    faults: () => [{ path: GRAPH, kind: "503", retryAfterSeconds: 0.3 }],
    first: "fails",
    error: /503/,
  },
  {
    name: "Graph down for the whole run, during an update",
    injected: "token A→B; connection reset on every Graph path; retryBudgetSeconds 2",
    phase: "update",
    config: { "bitlocker:retryBudgetSeconds": "2" },
    faults: () => [{ path: GRAPH, kind: "reset" }],
    first: "fails",
    error: /ECONNRESET|UND_ERR_SOCKET|closed|no answer/i,
  },
];

/**
 * A clear error: says what failed (`expected`), carries no "[object Object]", and does not send
 * the user to check their credential when the credential is not the problem.
 */
function assertClear(error: Error, expected: RegExp): void {
  assert.match(error.message, expected);
  assert.doesNotMatch(error.message, /\[object Object\]/, "an unreadable message");
  if (!/AADSTS|401/.test(error.message)) {
    assert.doesNotMatch(
      error.message,
      /Check bitlocker:tenantId, bitlocker:clientId and bitlocker:clientSecret/,
      "a network or service failure blamed on the credential",
    );
  }
}

describe("reliability: faults, one device (engine)", function () {
  this.timeout(60_000);
  let tenant: SimulatedTenant;
  let ledger: RotationLedger;
  let restoreCache: () => void;

  before(async () => {
    tenant = await startTenant();
    ledger = new RotationLedger(tenant);
    restoreCache = isolateCache();
  });
  after(async () => {
    flushResults();
    restoreCache?.();
    await tenant?.close();
  });
  beforeEach(() => {
    tenant.clearFaults();
    tenant.setTokenLifetime(3599);
    tenant.log.clear();
    clearCredentialCache();
    configureEngine(engineConfig(tenant));
  });

  /** The device's requests since `start`, for failure messages. */
  const trace = (id: string, start: Date) =>
    `since ${start.toISOString()}:\n` +
    tenant.log
      .entries()
      .filter((e) => e.path.includes(id))
      .map(
        (e) =>
          `  ${e.time} ${e.method} …${e.path.slice(-40)} ${e.status} ${e.fault ?? ""} ${e.durationMs}ms`,
      )
      .join("\n");

  async function inputs(news: Props): Promise<Props> {
    const { inputs: i, failures } = await engine.check({}, news);
    assert.deepEqual(failures, []);
    return i;
  }

  for (const c of CASES) {
    it(c.name, async function () {
      const d = windowsDevice(tenant);
      const phase = c.phase ?? "create";
      const token = phase === "create" ? "A" : "B";
      const news = await inputs({ managedDeviceId: d.id, rotationToken: token });
      let olds: SingleDeviceState | undefined;
      if (phase === "update") {
        olds = (await engine.create(await inputs({ managedDeviceId: d.id, rotationToken: "A" })))
          .outs;
      }
      const start = await mark();

      // The faulted run.
      configureEngine(engineConfig(tenant, tenant.defaultApp, c.config ?? {}));
      clearCredentialCache();
      if (c.tokenLifetimeSeconds) tenant.setTokenLifetime(c.tokenLifetimeSeconds);
      for (const rule of c.faults(d.id)) ledger.add(rule);
      const run = await capture(async () =>
        phase === "create"
          ? (await engine.create(news)).outs
          : (await engine.update(d.id, olds as unknown as Props, news)).outs,
      );
      if (c.settleMs) await sleep(c.settleMs);
      tenant.clearFaults();
      tenant.setTokenLifetime(3599);
      const afterFirst = ledger.accepted(start).get(d.id) ?? 0;
      const attemptsFirst = ledger.attempts(start);

      // What the first run did, and what state it left.
      let stateAfter: string;
      let next: { kind: "create" } | { kind: "update"; olds: Props };
      if (c.first === "settles" && run.error) {
        assert.equal(run.error.properties?.status, "unverified", run.error.message);
      }
      if (c.first === "converges" || (c.first === "settles" && run.value)) {
        assert.ok(run.value, `the run must succeed: ${run.error?.message}`);
        assert.deepEqual([run.value.status, run.value.rotationToken], ["requested", token]);
        stateAfter = `recorded: token ${token}, status ${run.value.status}`;
        next = { kind: "update", olds: run.value as unknown as Props };
      } else {
        assert.ok(run.error, "the run must fail");
        if (run.error.properties) {
          // A RecordedFailure: Pulumi saves these properties (ErrorResourceInitFailed).
          const p = run.error.properties;
          stateAfter = `recorded failure: status ${String(p.status)}, token ${JSON.stringify(p.rotationToken)}`;
          next = { kind: "update", olds: p };
        } else if (phase === "update") {
          stateAfter = "unchanged (token A kept)";
          next = { kind: "update", olds: olds as unknown as Props };
        } else {
          stateAfter = "nothing (the resource is not created)";
          next = { kind: "create" };
        }
      }
      // No rotation lost from state: one Intune acted on is recorded, or left to be checked.
      if (afterFirst > 0 && !run.value) {
        assert.ok(
          run.error?.properties?.unverifiedRequest,
          `Intune acted on ${afterFirst} request(s) but the failed run recorded none:\n${run.error?.message}\n${trace(d.id, start)}`,
        );
      }
      if (c.attempts !== undefined)
        assert.equal(attemptsFirst, c.attempts, `rotation attempts\n${trace(d.id, start)}`);
      if (c.minMs !== undefined)
        assert.ok(run.ms >= c.minMs, `Retry-After honoured (${run.ms} ms)`);

      // The re-run (as `pulumi up` would do it) converges without repeating anything.
      configureEngine(engineConfig(tenant));
      clearCredentialCache();
      const rerun =
        next.kind === "create"
          ? (await engine.create(news)).outs
          : (await engine.diff(d.id, next.olds, news)).changes
            ? (await engine.update(d.id, next.olds, news)).outs
            : (next.olds as unknown as SingleDeviceState);
      assert.deepEqual([rerun.rotationToken, rerun.status], [token, "requested"]);
      const total = ledger.accepted(start).get(d.id) ?? 0;
      record({
        suite: "faults: one device (engine)",
        case: c.name,
        injected: c.injected,
        happened: run.value ? "succeeded" : `failed: ${firstLine(run.error, 400)}`,
        state: stateAfter,
        converged: total === 1,
        devices: 1,
        repeated: total > 1 ? 1 : 0,
        attempts: ledger.attempts(start),
        ms: run.ms,
        notes: `first run: ${attemptsFirst} rotation request(s), ${afterFirst} acted on`,
      });
      assert.deepEqual(unexpectedPaths(tenant), [], "only Graph and Entra paths");
      assert.equal(total, 1, `Intune acted on ${total} rotation requests for one token`);
      if (run.error && c.first === "fails") assertClear(run.error, c.error!);
    });
  }

  it("tenant unreachable (closed), then back", async function () {
    // A tenant that goes away: nothing listens on its port any more.
    const seed = "unreachable";
    const first = await startTenant({ seed });
    const port = Number(new URL(first.url).port);
    const d = windowsDevice(first);
    const config = engineConfig(first, first.defaultApp, {
      "bitlocker:retryBudgetSeconds": "2",
    });
    await first.close();
    configureEngine(config);
    clearCredentialCache();
    const news = await inputs({ managedDeviceId: d.id, rotationToken: "A" });
    const run = await capture(() => engine.create(news));
    assert.ok(run.error, "the run must fail");
    assert.equal(run.error.properties, undefined, "nothing to record");

    // The tenant comes back on the same address, with the same app and device.
    const back = await startTenant({ seed, port });
    let total: number;
    try {
      windowsDevice(back, { id: d.id });
      const backLedger = new RotationLedger(back);
      configureEngine(config);
      clearCredentialCache();
      const rerun = await engine.create(news);
      assert.equal(rerun.outs.status, "requested");
      total = backLedger.accepted().get(d.id) ?? 0;
      record({
        suite: "faults: one device (engine)",
        case: "tenant unreachable (closed), then back",
        injected:
          "the tenant is closed (connection refused on every request); retryBudgetSeconds 2",
        happened: `failed: ${firstLine(run.error, 400)}`,
        state: "nothing (the resource is not created)",
        converged: total === 1,
        devices: 1,
        repeated: total > 1 ? 1 : 0,
        attempts: backLedger.attempts(),
        ms: run.ms,
      });
    } finally {
      await back.close();
    }
    assert.equal(total, 1);
    // The cause is the network, not the credential: the message must say so.
    assertClear(run.error, /could not reach the authority/);
  });
});
