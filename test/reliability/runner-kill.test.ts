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
import { fleetDeviceRecords } from "../../provider/plan/fleet/packed";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseRecord, tokenHash } from "../../provider/plan/fleet/record";
import { scaleLimits, type SimulatedTenant } from "../../simulator/index";
import {
  E2E_TMP_DIR,
  PulumiProject,
  cmdline,
  isRunning,
  parentOf,
  providerHosts,
  pulumiBinDir,
  REPO_DIR,
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

/**
 * PATH with a directory holding Pulumi's own `pulumi-resource-pulumi-nodejs` (shipped in
 * @pulumi/pulumi) first: the CLI prefers a plugin on PATH to the one beside it.
 */
function officialPluginPath(): { PATH: string } {
  const dir = path.join(E2E_TMP_DIR, `official-plugin-${process.pid}`);
  fs.mkdirSync(dir, { recursive: true });
  const script = path.join(dir, "pulumi-resource-pulumi-nodejs");
  fs.copyFileSync(
    path.join(REPO_DIR, "node_modules", "@pulumi", "pulumi", "pulumi-resource-pulumi-nodejs"),
    script,
  );
  fs.chmodSync(script, 0o755);
  const PATH = [dir, pulumiBinDir(), path.join(REPO_DIR, "node_modules", ".bin"), process.env.PATH];
  return { PATH: PATH.join(path.delimiter) };
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
   * Kills `running`'s process group with SIGKILL once `count()` reaches `k`, and watches what the
   * provider host does after: when it exits, and whether any rotation request reaches the
   * tenant later. Returns the measurements.
   */
  async function killGroupWhen(
    running: RunningCommand,
    count: () => number,
    k: number,
  ): Promise<{
    killed: CommandResult;
    killAt: number;
    atKill: number;
    hosts: number[];
    hostGoneMs: number | undefined;
    parent: string;
  }> {
    await until("the kill point", () => count() >= k || running.child.exitCode !== null);
    const hosts = providerHosts(running.child.pid!);
    const parent = hosts.length > 0 ? cmdline(parentOf(hosts[0]!)) : "";
    running.signalGroup("SIGKILL");
    const killAt = Date.now();
    const atKill = count();
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
    return { killed, killAt, atKill, hosts, hostGoneMs, parent };
  }

  // Our plugin script `exec`s node (its parent is the CLI); Pulumi's own runs node as a child
  // of `sh`, which survives the kill with it: only the engine-address probe can tell there.
  for (const plugin of ["this repository's plugin script", "Pulumi's own plugin script"] as const) {
    it(`kill -9 of the \`pulumi up\` process group at 5 random points of a fleet update (120 devices; ${plugin}); re-run on a fresh runner`, async function () {
      const N = 120;
      const POINTS = 5;
      const seed = Number(process.env.KILL_SEED ?? Date.now() % 100_000);
      const rnd = random(seed);
      // Kill after the k-th rotation request: anywhere from the first to the last but one.
      const points = Array.from({ length: POINTS }, () => 1 + Math.floor(rnd() * (N - 1)));
      console.log(
        `      ${plugin}: kill points (KILL_SEED=${seed}): after ${points.join(", ")} rotation requests`,
      );

      const ids = Array.from({ length: N }, () => windowsDevice(tenant).id);
      // Intune's 20 s window runs as 2 s in the tenant and the engine; a share of 0.5 paces 100
      // rotations per window. Each request takes 150 ms inside the tenant (set below), so while
      // one $batch is answered (the event) others are still in there: the kill lands with
      // rotations in flight, which Intune carries out after it.
      tenant.setThrottle(scaleLimits(0.1));
      const env = { BITLOCKER_THROTTLE_WINDOW_SECONDS: "2", BITLOCKER_POST_SHARE_OF_LIMIT: "0.5" };
      const p = await PulumiProject.create({
        name: "runner-kill",
        program: FLEET_PROGRAM,
        env: {
          ...tenantEnv(tenant),
          // Every token change here rotates the whole fleet on purpose (default limit: 100).
          BITLOCKER_MAX_ROTATIONS_PER_UPDATE: String(N),
          ...env,
          ...runner("setup"),
          ...(plugin === "Pulumi's own plugin script" ? officialPluginPath() : {}),
        },
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
        tenant.setLatency(150);

        for (const [i, k] of points.entries()) {
          const token = `K${i + 1}`;
          await fleet(token);
          const start = await mark();
          const running = p.start(UP(p), { env: runner(`killed-${i}`) });
          const { killed, killAt, atKill, hosts, hostGoneMs, parent } = await killGroupWhen(
            running,
            () => ledger.attempts(start),
            k,
          );
          // Rotations inside the tenant at the kill: their $batch arrived before it and was
          // answered after it (the tenant's latency delays the whole $batch; Intune acts on its
          // requests at the end of it).
          const openBatches = new Set(
            tenant.log
              .entries({ method: "POST", inBatch: false, since: start })
              .filter(
                (e) =>
                  /\/\$batch$/.test(e.path) &&
                  Date.parse(e.time) < killAt &&
                  Date.parse(e.time) + e.durationMs > killAt,
              )
              .map((e) => e.requestId),
          );
          const inFlight = tenant.log
            .entries({ method: "POST", pathMatches: /rotateBitLockerKeys$/, since: start })
            .filter((e) => e.batchId !== undefined && openBatches.has(e.batchId)).length;
          // Any write (a $batch envelope or a rotation) that reached the tenant later than 1 s
          // after the kill came from a process that outlived it.
          const late = tenant.log
            .entries({ method: "POST", since: new Date(killAt + 1000) })
            .filter((e) => /rotateBitLockerKeys$|\/\$batch$/.test(e.path));
          const where = `kill point ${i + 1} (after ${k} requests; ${atKill} at the kill)`;
          if (!killed.killed) orphanProblems.push(`${where}: \`pulumi up\` ended by itself`);
          if (hosts.length === 0) orphanProblems.push(`${where}: no provider host found to watch`);
          const expectedParent =
            plugin === "Pulumi's own plugin script" ? /^(\/bin\/)?sh / : /pulumi /;
          if (!expectedParent.test(parent))
            orphanProblems.push(
              `${where}: the provider host's parent is '${parent}', not the plugin script's`,
            );
          if (hostGoneMs === undefined || hostGoneMs > 1500)
            orphanProblems.push(
              `${where}: the provider host still ran ${hostGoneMs ?? ">5000"} ms after the kill`,
            );
          if (late.length > 0)
            orphanProblems.push(`${where}: ${late.length} POST(s) more than 1 s after the kill`);
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
          const devices = fleetDeviceRecords(
            outs(fleetOf(await p.exportStack())).devices as Record<string, string>,
          );
          const recs = ids.map((id) => (devices[id] ? parseRecord(devices[id]) : undefined));
          const lost = recs.filter((r) => r?.token !== tokenHash(token)).length;
          const missing = ids.filter((id) => !acted.has(id)).length;
          const notes = `${atKill} rotation requests answered before the kill, ${sentByKilled - atKill} after it (${inFlight} were inside the tenant at the kill); provider host exited ${hostGoneMs ?? "(not)"} ms after the kill; re-run exit ${up.code}: ${repeated} device(s) rotated twice (max ${max}), ${missing} never rotated, ${lost} record(s) not for ${token}`;
          console.log(`      ${where}: ${notes}`);
          record({
            suite: SUITE,
            case: `kill -9 of the process group, fleet of ${N}, ${plugin}, kill point ${i + 1}, re-run on a fresh runner`,
            injected: `token → ${token}; \`kill -9 -- -PGID\` of \`pulumi up\` after ${k} rotation requests (seed ${seed})`,
            happened: `killed after ${atKill} requests; provider host exited ${hostGoneMs ?? "(not)"} ms after the kill; ${late.length} POSTs later than 1 s; \`pulumi cancel\` then \`pulumi up\` on a fresh runner: exit ${up.code}`,
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
      assert.deepEqual(
        onceProblems,
        [],
        "each device rotated exactly once per token, all recorded",
      );
    });
  }

  /**
   * What GitHub Actions and Azure Pipelines do on "cancel": SIGINT to the job's process group,
   * SIGTERM 7.5 s later, SIGKILL 2.5 s after that, each only while the job still runs.
   */
  async function ciCancel(running: RunningCommand): Promise<{
    result: CommandResult;
    sent: { signal: NodeJS.Signals; at: number }[];
    exitedAt: number;
  }> {
    const sent: { signal: NodeJS.Signals; at: number }[] = [];
    const exited = running.done.then(() => Date.now());
    for (const [signal, waitMs] of [
      ["SIGINT", 7500],
      ["SIGTERM", 2500],
      ["SIGKILL", 0],
    ] as const) {
      if (running.child.exitCode !== null || running.child.signalCode !== null) break;
      running.signalGroup(signal);
      sent.push({ signal, at: Date.now() });
      if (waitMs > 0) await Promise.race([exited, sleep(waitMs)]);
    }
    return { result: await running.done, sent, exitedAt: await exited };
  }

  /** A fleet project whose runs take ~24 s: 240 devices at 10 rotations a second. */
  async function slowFleet(name: string, n: number) {
    const ids = Array.from({ length: n }, () => windowsDevice(tenant).id);
    tenant.setThrottle(scaleLimits(0.1));
    const p = await PulumiProject.create({
      name,
      program: FLEET_PROGRAM,
      env: {
        ...tenantEnv(tenant),
        BITLOCKER_THROTTLE_WINDOW_SECONDS: "2",
        BITLOCKER_POST_SHARE_OF_LIMIT: "0.1",
        // Every token change here rotates the whole fleet on purpose (default limit: 100).
        BITLOCKER_MAX_ROTATIONS_PER_UPDATE: String(n),
        ...runner(`${name}-setup`),
      },
    });
    const fleet = (token: string) =>
      p.configSet(
        "e2e:fleet",
        JSON.stringify({ managedDeviceIds: ids, rotationToken: token, rotateOnCreate: false }),
      );
    await fleet("A");
    await p.up();
    return { p, ids, fleet };
  }

  /** Per-device outcome of the runs since `start`, and the records state holds for `token`. */
  async function tally(p: PulumiProject, ids: string[], token: string, start: Date) {
    const acted = ledger.accepted(start);
    const { repeated, max } = repeats(acted);
    const devices = fleetDeviceRecords(
      outs(fleetOf(await p.exportStack())).devices as Record<string, string>,
    );
    const lost = ids.filter(
      (id) => parseRecord(devices[id] ?? "")?.token !== tokenHash(token),
    ).length;
    const missing = ids.filter((id) => !acted.has(id)).length;
    return { repeated, max, lost, missing };
  }

  const rotationPosts = (since: number) =>
    tenant.log
      .entries({ method: "POST", since: new Date(since) })
      .filter((e) => /rotateBitLockerKeys$/.test(e.path)).length;

  it("cancel as CI sends it (SIGINT, SIGTERM 7.5 s later, SIGKILL) to `pulumi up`'s process group mid-fleet; re-run on a fresh runner", async function () {
    const N = 240;
    const seed = Number(process.env.KILL_SEED ?? Date.now() % 100_000);
    const rnd = random(seed + 1);
    const points = Array.from({ length: 3 }, () => 10 + Math.floor(rnd() * 100));
    console.log(
      `      cancel points (KILL_SEED=${seed}): after ${points.join(", ")} rotation requests`,
    );
    const { p, ids, fleet } = await slowFleet("runner-cancel", N);
    const orphanProblems: string[] = [];
    const onceProblems: string[] = [];
    try {
      for (const [i, k] of points.entries()) {
        const token = `C${i + 1}`;
        await fleet(token);
        const start = await mark();
        const running = p.start(UP(p), { env: runner(`cancelled-${i}`) });
        await until(
          "the cancel point",
          () => ledger.attempts(start) >= k || running.child.exitCode !== null,
        );
        const hosts = providerHosts(running.child.pid!);
        const atSignal = ledger.attempts(start);
        const { result, sent, exitedAt } = await ciCancel(running);
        let hostGoneAt: number | undefined;
        try {
          await until("the provider host to exit", () => !hosts.some(isRunning), 15_000);
          hostGoneAt = Date.now();
        } catch {
          for (const h of hosts) if (isRunning(h)) process.kill(h, "SIGKILL");
        }
        await sleep(Math.max(0, exitedAt + 2000 - Date.now()));
        const t0 = sent[0]!.at;
        const after = Object.fromEntries(sent.map((s) => [s.signal, rotationPosts(s.at)]));
        const lateAfterExit = rotationPosts(exitedAt + 1000);
        const said = [
          /\^C received; cancelling/.test(text(result)) ? '"^C received; cancelling"' : "",
          /SIGTERM received; terminating/.test(text(result))
            ? '"SIGTERM received; terminating"'
            : "",
        ].filter(Boolean);
        const exportAfter = await p.exportStack().catch(() => undefined);
        const stateAfter = exportAfter
          ? (() => {
              const devices = fleetDeviceRecords(
                outs(fleetOf(exportAfter)).devices as Record<string, string>,
              );
              return ids.filter((id) => parseRecord(devices[id] ?? "")?.token === tokenHash(token))
                .length;
            })()
          : -1;
        const fresh = runner(`after-cancel-${i}`);
        const cancel = await p.pulumi(
          ["cancel", "--stack", p.stack, "--yes", "--non-interactive"],
          { env: fresh },
        );
        const up = await p.pulumi(UP(p), { env: fresh });
        if (verbose) console.log(text(result), text(up));
        const t = await tally(p, ids, token, start);
        const where = `cancel point ${i + 1} (after ${k} requests; ${atSignal} at SIGINT)`;
        const timeline = `${sent.map((s) => `${s.signal} at +${s.at - t0} ms`).join(", ")}; CLI exited at +${exitedAt - t0} ms (code ${result.code}, signal ${result.signal}); provider host exited at ${hostGoneAt === undefined ? "(not within 15 s)" : `+${hostGoneAt - t0} ms`}`;
        const notes = `${atSignal} requests at SIGINT; requests after SIGINT ${after.SIGINT ?? 0}, after SIGTERM ${after.SIGTERM ?? "-"}, after SIGKILL ${after.SIGKILL ?? "-"}, later than 1 s after the CLI exited ${lateAfterExit}; the CLI said ${said.join(", ") || "nothing about signals"}; state after: ${stateAfter} of ${N} records for ${token}; \`pulumi cancel\` exit ${cancel.code}; re-run exit ${up.code}: ${t.repeated} rotated twice (max ${t.max}), ${t.missing} never, ${t.lost} records not for ${token}`;
        console.log(`      ${where}: ${timeline}; ${notes}`);
        record({
          suite: SUITE,
          case: `CI cancel (SIGINT, SIGTERM +7.5 s, SIGKILL +10 s), fleet of ${N}, point ${i + 1}, re-run on a fresh runner`,
          injected: `token → ${token}; fleet paced at 10 rotations/s; signals to the process group after ${k} rotation requests (seed ${seed})`,
          happened: timeline,
          state: `${stateAfter} of ${N} records for ${token}`,
          converged: up.code === 0 && t.repeated === 0 && t.missing === 0 && t.lost === 0,
          devices: N,
          repeated: t.repeated,
          attempts: ledger.attempts(start),
          ms: exitedAt - t0,
          notes,
        });
        if (hostGoneAt === undefined)
          orphanProblems.push(`${where}: the provider host outlived the cancel by 15 s`);
        if (lateAfterExit > 0)
          orphanProblems.push(
            `${where}: ${lateAfterExit} rotation requests more than 1 s after the CLI exited`,
          );
        if (up.code !== 0) onceProblems.push(`${where}: the re-run failed:\n${text(up)}`);
        if (t.repeated > 0)
          onceProblems.push(`${where}: ${t.repeated} device(s) rotated twice for ${token}`);
        if (t.missing > 0)
          onceProblems.push(`${where}: ${t.missing} device(s) never rotated for ${token}`);
        if (t.lost > 0) onceProblems.push(`${where}: ${t.lost} record(s) not for ${token}`);
      }
    } finally {
      await p.dispose();
    }
    assert.deepEqual(orphanProblems, [], "nothing sent after the CLI is gone");
    assert.deepEqual(onceProblems, [], "each device rotated exactly once per token, all recorded");
  });

  it("`pulumi cancel` during `pulumi up`, then another `pulumi up` (file backend)", async function () {
    const N = 240;
    const { p, ids, fleet } = await slowFleet("runner-pulumi-cancel", N);
    try {
      const token = "P1";
      await fleet(token);
      const start = await mark();
      const first = p.start(UP(p), { env: runner("first") });
      await until(
        "40 rotation requests",
        () => ledger.attempts(start) >= 40 || first.child.exitCode !== null,
      );
      const atCancel = ledger.attempts(start);
      const cancel = await p.pulumi(["cancel", "--stack", p.stack, "--yes", "--non-interactive"], {
        env: runner("canceller"),
      });
      const firstAfterCancel =
        first.child.exitCode === null ? "still running" : `exited ${first.child.exitCode}`;
      const second = await p.pulumi(UP(p), { env: runner("second") });
      const firstResult = await first.done;
      const t = await tally(p, ids, token, start);
      const notes = `\`pulumi cancel\` exit ${cancel.code} after ${atCancel} requests; the first \`up\` was ${firstAfterCancel} after it and ended with exit ${firstResult.code}; the second \`up\` exit ${second.code}; ${t.repeated} device(s) rotated twice (max ${t.max}), ${t.missing} never, ${t.lost} records not for ${token}`;
      console.log(`      ${notes}`);
      if (verbose) console.log(text(cancel), text(firstResult), text(second));
      record({
        suite: SUITE,
        case: `\`pulumi cancel\` during \`pulumi up\`, then another \`pulumi up\` (file backend), fleet of ${N}`,
        injected: `token → ${token}; fleet paced at 10 rotations/s; \`pulumi cancel --yes\` after 40 rotation requests, then \`pulumi up\` at once`,
        happened: notes,
        state: `${N - t.lost} of ${N} records for ${token}`,
        converged: t.repeated === 0 && t.missing === 0 && t.lost === 0,
        devices: N,
        repeated: t.repeated,
        attempts: ledger.attempts(start),
        ms: firstResult.durationMs,
        notes,
      });
      // With the file backend `pulumi cancel` only deletes the lock: the first run goes on.
      // Racing it, the second would rotate again what the first sends after the second read
      // the device (measured before the run lock: 20 and 180 of 240). The fleet's run lock
      // (engine/runLock.ts) refuses the second run on this machine before it sends anything.
      assert.equal(
        firstAfterCancel,
        "still running",
        "`pulumi cancel` (file backend) stops nothing",
      );
      assert.notEqual(second.code, 0, `the second up is refused:\n${text(second)}`);
      assert.match(
        text(second),
        /another `pulumi up` on this machine .* is still rotating this fleet/,
      );
      assert.equal(firstResult.code, 0, text(firstResult));
      assert.equal(t.repeated, 0, notes);
      assert.equal(t.lost + t.missing, 0, notes);
    } finally {
      await p.dispose();
    }
  });
});
