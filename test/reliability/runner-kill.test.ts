// Killed and cancelled the way CI runners do it, under the real `pulumi` CLI (file backend)
// against the simulated tenant:
//   - `kill -9 -- -PGID` of `pulumi up`'s process group (a runner killing a job): the CLI dies,
//     but the dynamic-provider host lives in a process group of its own. It must stop sending
//     within a second (engine/engineWatchdog.ts) and exit;
//   - then a re-run on a FRESH runner (new empty HOME, XDG_CACHE_HOME and PULUMI_HOME: no run
//     journal; the same backend): every device rotated exactly once for the token, every
//     record in state.
// Kill points are chosen by events (the N-th rotation request in the tenant's log), at random
// (seed printed; KILL_SEED=<n> repeats a run), never by sleeping.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseRecord, tokenHash } from "../../provider/plan/fleet/record";
import { scaleLimits, type SimulatedTenant } from "../../provider/simulator";
import {
  E2E_TMP_DIR,
  PulumiProject,
  isRunning,
  providerHosts,
  signalGroup,
  type CommandResult,
  type RunningCommand,
} from "../e2e/harness";
import { FLEET_PROGRAM, fleetOf, outs, startE2eTenant, tenantEnv, text } from "../e2e/support";
import {
  RotationLedger,
  flushResults,
  mark,
  record,
  repeats,
  sleep,
  windowsDevice,
} from "./support";

const verbose = process.env.RELIABILITY_VERBOSE === "1";
const SUITE = "kills and cancels as CI runners do (pulumi CLI)";

/** mulberry32: a small seeded generator, so that a failing set of kill points can be re-run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Polls (an event in the tenant's log or the process table) until `predicate` holds. */
async function until(what: string, predicate: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** A CI runner's own directories: a fresh one has no run journal, no Pulumi home, no cache. */
function runnerEnv(name: string): { HOME: string; XDG_CACHE_HOME: string; PULUMI_HOME: string } {
  const dir = path.join(E2E_TMP_DIR, `runner-${process.pid}-${name}`);
  fs.rmSync(dir, { recursive: true, force: true });
  const env = {
    HOME: path.join(dir, "home"),
    XDG_CACHE_HOME: path.join(dir, "cache"),
    PULUMI_HOME: path.join(dir, "pulumi-home"),
  };
  for (const d of Object.values(env)) fs.mkdirSync(d, { recursive: true });
  return env;
}

const UP = (p: PulumiProject) => [
  "up",
  "--stack",
  p.stack,
  "--yes",
  "--skip-preview",
  "--non-interactive",
];

describe("reliability: killed and cancelled as CI runners do (pulumi CLI)", function () {
  this.timeout(20 * 60_000);
  let tenant: SimulatedTenant;
  let ledger: RotationLedger;
  const runners: string[] = [];

  before(async function () {
    tenant = await startE2eTenant();
    ledger = new RotationLedger(tenant);
  });
  after(async function () {
    flushResults();
    for (const r of runners) fs.rmSync(r, { recursive: true, force: true });
    await tenant?.close();
  });
  beforeEach(() => {
    tenant.clearFaults();
    tenant.setLatency(0);
    tenant.setThrottle(scaleLimits(1));
  });

  const runner = (name: string) => {
    const env = runnerEnv(name);
    runners.push(path.dirname(env.HOME));
    return env;
  };

  /**
   * Kills `running`'s process group with SIGKILL once `killWhen` holds, and watches what the
   * provider host does after: when it exits, and whether any rotation request reaches the
   * tenant later. Returns the measurements.
   */
  async function killGroupWhen(
    running: RunningCommand,
    killWhen: () => boolean,
  ): Promise<{
    killed: CommandResult;
    killAt: number;
    hosts: number[];
    hostGoneMs: number | undefined;
  }> {
    await until("the kill point", () => killWhen() || running.child.exitCode !== null);
    const hosts = providerHosts(running.child.pid!);
    signalGroup(running, "SIGKILL");
    const killAt = Date.now();
    const killed = await running.done;
    let hostGoneMs: number | undefined;
    try {
      await until("the provider host to exit", () => !hosts.some(isRunning), 5000);
      hostGoneMs = Date.now() - killAt;
    } catch {
      // reported by the caller; stop the orphan so it cannot disturb the next case
      for (const h of hosts) if (isRunning(h)) process.kill(h, "SIGKILL");
    }
    // Whatever was already inside the tenant finishes; anything later than 1 s is an orphan's.
    const quietUntil = killAt + 2000;
    if (Date.now() < quietUntil) await sleep(quietUntil - Date.now());
    return { killed, killAt, hosts, hostGoneMs };
  }

  it("kill -9 of the `pulumi up` process group at 5 random points of a fleet update (240 devices); re-run on a fresh runner", async function () {
    const N = 240;
    const POINTS = 5;
    const seed = Number(process.env.KILL_SEED ?? Date.now() % 100_000);
    const rnd = random(seed);
    // Kill after the k-th rotation request: anywhere from the first to the last but one.
    const points = Array.from({ length: POINTS }, () => 1 + Math.floor(rnd() * (N - 1)));
    console.log(
      `      kill points (KILL_SEED=${seed}): after ${points.join(", ")} rotation requests`,
    );

    const ids = Array.from({ length: N }, () => windowsDevice(tenant).id);
    // Intune's 20 s window runs as 2 s in the tenant and the engine; a share of 0.25 paces 50
    // rotations per window, so a run lasts ~10 s and a kill point lands mid-run.
    tenant.setThrottle(scaleLimits(0.1));
    const env = { BITLOCKER_THROTTLE_WINDOW_SECONDS: "2", BITLOCKER_POST_SHARE_OF_LIMIT: "0.25" };
    const p = await PulumiProject.create({
      name: "runner-kill",
      program: FLEET_PROGRAM,
      env: { ...tenantEnv(tenant), ...env, ...runner("setup") },
    });
    const orphanProblems: string[] = [];
    const onceProblems: string[] = [];
    try {
      const fleet = (token: string) =>
        p.configSet(
          "e2e:fleet",
          JSON.stringify({ managedDeviceIds: ids, rotationToken: token, rotateOnCreate: false }),
        );
      await fleet("A");
      await p.up();
      tenant.setLatency(20);

      for (const [i, k] of points.entries()) {
        const token = `K${i + 1}`;
        await fleet(token);
        const start = await mark();
        const running = p.start(UP(p), { env: runner(`killed-${i}`) });
        const { killed, killAt, hosts, hostGoneMs } = await killGroupWhen(
          running,
          () => ledger.attempts(start) >= k,
        );
        const atKill = ledger.attempts(start);
        const late = tenant.log
          .entries({ method: "POST", since: new Date(killAt + 1000) })
          .filter((e) => /rotateBitLockerKeys$/.test(e.path));
        const where = `kill point ${i + 1} (after ${k} requests; ${atKill} at the kill)`;
        if (killed.code === 0) orphanProblems.push(`${where}: \`pulumi up\` ended by itself`);
        if (hosts.length === 0) orphanProblems.push(`${where}: no provider host found to watch`);
        if (hostGoneMs === undefined || hostGoneMs > 1500)
          orphanProblems.push(
            `${where}: the provider host still ran ${hostGoneMs ?? ">5000"} ms after the kill`,
          );
        if (late.length > 0)
          orphanProblems.push(
            `${where}: ${late.length} rotation request(s) more than 1 s after the kill`,
          );
        const sentByKilled = ledger.attempts(start);

        // A CI re-run: another runner, with nothing of the first; the lock is the backend's.
        const fresh = runner(`rerun-${i}`);
        await p.pulumiOk(["cancel", "--stack", p.stack, "--yes", "--non-interactive"], {
          env: fresh,
        });
        const up = await p.pulumi(UP(p), { env: fresh });
        if (verbose) console.log(text(up));
        const acted = ledger.accepted(start);
        const { repeated, max } = repeats(acted);
        const devices = outs(fleetOf(await p.exportStack())).devices as Record<string, string>;
        const recs = ids.map((id) => (devices[id] ? parseRecord(devices[id]) : undefined));
        const lost = recs.filter((r) => r?.token !== tokenHash(token)).length;
        const missing = ids.filter((id) => !acted.has(id)).length;
        const notes = `${atKill} rotation requests before the kill, ${sentByKilled - atKill} after it; provider host exited ${hostGoneMs ?? "(not)"} ms after the kill; re-run exit ${up.code}: ${repeated} device(s) rotated twice (max ${max}), ${missing} never rotated, ${lost} record(s) not for ${token}`;
        console.log(`      ${where}: ${notes}`);
        record({
          suite: SUITE,
          case: `kill -9 of the process group, fleet of ${N}, kill point ${i + 1}, re-run on a fresh runner`,
          injected: `token → ${token}; \`kill -9 -- -PGID\` of \`pulumi up\` after ${k} rotation requests (seed ${seed})`,
          happened: `killed after ${atKill} requests; provider host exited ${hostGoneMs ?? "(not)"} ms after the kill; ${late.length} requests later than 1 s; \`pulumi cancel\` then \`pulumi up\` on a fresh runner: exit ${up.code}`,
          state: `${N - lost} of ${N} records for ${token} after the re-run`,
          converged: up.code === 0 && repeated === 0 && missing === 0 && lost === 0,
          devices: N,
          repeated,
          attempts: ledger.attempts(start),
          ms: killed.durationMs,
          notes,
        });
        if (up.code !== 0) onceProblems.push(`${where}: the re-run failed:\n${text(up)}`);
        if (repeated > 0)
          onceProblems.push(`${where}: ${repeated} device(s) rotated twice for ${token}`);
        if (missing > 0)
          onceProblems.push(`${where}: ${missing} device(s) never rotated for ${token}`);
        if (lost > 0) onceProblems.push(`${where}: ${lost} record(s) not for ${token} in state`);
      }
    } finally {
      await p.dispose();
    }
    assert.deepEqual(orphanProblems, [], "no rotation after the kill; the provider host exits");
    assert.deepEqual(onceProblems, [], "each device rotated exactly once per token, all recorded");
  });
});
