// Crashes and races under the real `pulumi` CLI (file backend) against the simulated tenant:
//   - SIGKILL of `pulumi up`'s process group (as CI runners kill a job; the provider host, in a
//     group of its own, must exit by itself) while a rotation request is inside the
//     tenant, during a create and during an update of one device;
//   - SIGKILL during a fleet run of 300 devices (tenant latency 50 ms);
//   - two `pulumi up` of one stack at once.
// After a kill the operator does what Pulumi asks: `pulumi cancel` (the lock), then `pulumi up`
// (which reports the pending operation, see docs/reliability.md), and a re-run converges. Each
// case counts the rotations Intune accepted more than once per device: only requests in flight
// at the kill may repeat.
import { fleetDeviceRecords } from "../../provider/plan/fleet/packed";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseRecord, tokenHash } from "../../provider/plan/fleet/record";
import { scaleLimits, type SimulatedTenant } from "../../simulator/index";
import { type CommandResult, PulumiProject, type StackExport, isRunning } from "../e2e/harness";
import {
  FLEET_PROGRAM,
  SINGLE_PROGRAM,
  eventually,
  killAtRotation,
  killNow,
  settleAfterKill,
  fleetOf,
  outs,
  setDevices,
  singles,
  startE2eTenant,
  tenantEnv,
  text,
} from "../e2e/support";
import { RotationLedger, flushResults, mark, record, repeats, windowsDevice } from "./support";

const verbose = process.env.RELIABILITY_VERBOSE === "1";

/** What `pulumi up` said about pending operations, in short, for the report. */
function pendingLines(result: CommandResult): string {
  const out = text(result);
  const warned = /Attempting to deploy or update resources with (\d+) pending operations/.exec(out);
  const interrupted = [...out.matchAll(/, interrupted while (\w+)/g)].map((m) => m[1]);
  const evidence =
    /\[bitlocker\] (\d+ device\(s\) already show a rotation requested after[^\n]*)/.exec(out);
  return [
    warned
      ? `warned "Attempting to deploy or update resources with ${warned[1]} pending operations from previous deployment" (${[...new Set(interrupted)].map((w) => `interrupted while ${w}`).join(", ")}) and went on`
      : "",
    evidence ? `the engine said "${evidence[1]}"` : "",
  ]
    .filter(Boolean)
    .join("; ");
}

/**
 * What an operator does after a killed `pulumi up`, step by step, recording what Pulumi said:
 * `pulumi cancel` for the lock, optionally `pulumi refresh` (which the warning suggests), then
 * `pulumi up`. Returns the final up and the notes.
 */
async function recover(
  project: PulumiProject,
  {
    refreshFirst = false,
    env,
    afterCancel,
  }: {
    refreshFirst?: boolean;
    env?: Record<string, string | undefined>;
    /** Checks once the lock is cleared, before anything runs the provider again. */
    afterCancel?: () => void;
  } = {},
): Promise<{ up: CommandResult; notes: string[] }> {
  const notes: string[] = [];
  const locked = await project.up({ allowFailure: true });
  notes.push(
    locked.code === 0
      ? "up after the kill: not locked"
      : `up after the kill: exit ${locked.code}${/currently locked/.test(text(locked)) ? " (stack currently locked)" : ""}`,
  );
  await project.cancel();
  afterCancel?.();
  const pending = async () =>
    ((await project.exportStack()).deployment.pending_operations ?? [])
      .map((p) => p.type)
      .join(", ");
  notes.push(`after \`pulumi cancel\`: pending_operations [${await pending()}]`);
  if (refreshFirst) {
    const refresh = await project.refresh({ allowFailure: true });
    if (verbose) console.log(text(refresh));
    const said = /run interactively|interactive/i.test(text(refresh))
      ? " (said pending CREATE operations need an interactive refresh)"
      : "";
    notes.push(
      `\`pulumi refresh --yes\`: exit ${refresh.code}${said}, pending_operations now [${await pending()}]`,
    );
  }
  const up = await project.up({ allowFailure: true, ...(env ? { env } : {}) });
  notes.push(
    `\`pulumi up\`: exit ${up.code}; ${pendingLines(up) || "no word on pending operations"}`,
  );
  if (verbose) console.log(text(up));
  return { up, notes };
}

describe("reliability: crashes and races (pulumi CLI)", function () {
  this.timeout(5 * 60_000);
  let tenant: SimulatedTenant;
  let ledger: RotationLedger;
  let cacheDir: string;

  before(async function () {
    tenant = await startE2eTenant();
    ledger = new RotationLedger(tenant);
    cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "bitlocker-rel-crash-"));
  });
  after(async function () {
    flushResults();
    fs.rmSync(cacheDir, { recursive: true, force: true });
    await tenant?.close();
  });
  beforeEach(() => {
    tenant.clearFaults();
    tenant.setLatency(0);
    tenant.setThrottle(scaleLimits(1));
  });

  const project = (name: string, program: string, env: Record<string, string | undefined> = {}) =>
    PulumiProject.create({
      name,
      program,
      env: { ...tenantEnv(tenant), XDG_CACHE_HOME: cacheDir, ...env },
    });

  for (const phase of ["create", "update"] as const) {
    it(`SIGKILL during ${phase} while the rotation request is inside the tenant`, async function () {
      const d = windowsDevice(tenant);
      const p = await project(`crash-${phase}`, SINGLE_PROGRAM);
      try {
        const token = phase === "create" ? "A" : "B";
        if (phase === "update") {
          await setDevices(p, [{ name: "dev", managedDeviceId: d.id, rotationToken: "A" }]);
          await p.up();
        }
        const start = await mark();
        await setDevices(p, [{ name: "dev", managedDeviceId: d.id, rotationToken: token }]);
        // The rotation POST is held inside the tenant, unhandled: the kill lands while it is
        // in flight, and Graph acts on it only afterwards (as a slow Intune would).
        const rotatePath = new RegExp(`${d.id}/rotateBitLockerKeys$`);
        const held = tenant.hold({ method: "POST", path: rotatePath });
        const running = p.start([
          "up",
          "--stack",
          p.stack,
          "--yes",
          "--skip-preview",
          "--non-interactive",
        ]);
        await Promise.race([
          held.received,
          running.done.then((r) => {
            throw new Error(`up ended before its rotation request:\n${text(r)}`);
          }),
        ]);
        // As a CI runner kills a job: the CLI's process group; the provider host, in a group
        // of its own, must notice and exit (engine/engineWatchdog.ts).
        const kill = killNow(running);
        const killed = await running.done;
        assert.equal(killed.killed, true, `up ended by itself:\n${text(killed)}`);
        await eventually(() => !kill.hosts.some(isRunning), "the provider host to exit", 1500);
        await tenant.noConnections(); // every process of the run is gone
        // The request in flight lands: Intune acts on it, with its client gone.
        held.release();
        const [landed] = await tenant.log.waitFor({
          method: "POST",
          pathMatches: rotatePath,
          since: start,
        });
        assert.equal(landed?.status, 204, "Intune acted on the request in flight at the kill");
        await tenant.idle();
        const atKill = ledger.accepted(start).get(d.id) ?? 0;
        assert.equal(atKill, 1);

        const stateAtKill = singles(await p.exportStack({ showSecrets: false })).get("dev");
        const { up, notes } = await recover(p, { refreshFirst: true });
        const final = singles(await p.exportStack()).get("dev");
        const total = ledger.accepted(start).get(d.id) ?? 0;
        record({
          suite: "crashes (pulumi CLI)",
          case: `SIGKILL during ${phase} (one device)`,
          injected: `token ${phase === "create" ? "A on a new resource" : "A→B"}; rotation POST held in the tenant; \`pulumi up\` SIGKILLed (process tree) while it is in flight, then the POST let through`,
          happened: `killed; Intune acted on the in-flight request (${atKill}); ${notes.join("; ")}`,
          state: stateAtKill
            ? `token ${String(outs(stateAtKill).rotationToken)} (the killed run's result never reached state)`
            : "no resource",
          converged: up.code === 0 && outs(final).rotationToken === token,
          devices: 1,
          repeated: total > 1 ? 1 : 0,
          attempts: ledger.attempts(start),
          ms: killed.durationMs,
          notes: `${total} rotation(s) acted on for token ${token}`,
        });
        assert.equal(up.code, 0, `the re-run must converge:\n${text(up)}`);
        assert.equal(outs(final).rotationToken, token);
        assert.equal(outs(final).status, "requested");
        // Only the request in flight at the kill may have been repeated.
        assert.ok(total <= 2, `${total} rotations for one token`);
      } finally {
        await p.dispose();
      }
    });
  }

  // The re-run finds the killed run's rotations on the devices it reads (plan/evidence.ts),
  // with no memory outside the state: the same machine and a fresh runner fare alike.
  for (const rerunOn of ["the same machine", "a fresh runner"] as const) {
    it(`SIGKILL during a fleet run of 300 devices (tenant latency 50 ms), re-run on ${rerunOn}`, async function () {
      const N = 300;
      const ids = Array.from({ length: N }, () => windowsDevice(tenant).id);
      // Intune's 20 s window runs as 5 s in the engine and (timeScale) in the tenant.
      tenant.setThrottle(scaleLimits(0.25));
      const p = await project("crash-fleet", FLEET_PROGRAM, {
        BITLOCKER_THROTTLE_WINDOW_SECONDS: "5",
        // The whole fleet's token changes on purpose: above the blast-radius guard's default.
        BITLOCKER_MAX_ROTATIONS_PER_UPDATE: String(N),
      });
      try {
        await p.configSet(
          "e2e:fleet",
          JSON.stringify({ managedDeviceIds: ids, rotationToken: "A", rotateOnCreate: false }),
        );
        await p.up();
        tenant.setLatency(50);
        await p.configSet(
          "e2e:fleet",
          JSON.stringify({ managedDeviceIds: ids, rotationToken: "B", rotateOnCreate: false }),
        );
        const start = await mark();
        const running = p.start([
          "up",
          "--stack",
          p.stack,
          "--yes",
          "--skip-preview",
          "--non-interactive",
        ]);
        // Killed (as a CI runner kills a job) in the very turn the tenant logs the 120th
        // rotation: the kill is known to land mid-run.
        const kill = await killAtRotation(tenant, running, 120);
        const killed = await running.done;
        assert.equal(killed.killed, true, `up ended by itself:\n${text(killed)}`);
        // The provider host exits, every connection of the killed processes closes, and the
        // requests already inside the tenant (50 ms latency) finish on their own.
        await settleAfterKill(tenant, kill);
        const atKill = ledger.accepted(start).size;
        assert.ok(atKill >= 120 && atKill < N, `killed mid-run (${atKill} of ${N})`);

        const fresh = fs.mkdtempSync(path.join(cacheDir, "fresh-runner-"));
        // Through the locked `up` and `pulumi cancel` (neither runs the provider), nothing
        // more reached the tenant after the killed processes were gone.
        const nothingAfterKill = () =>
          assert.equal(ledger.accepted(start).size, atKill, "nothing is sent after the kill");
        const { up, notes } = await recover(p, {
          afterCancel: nothingAfterKill,
          ...(rerunOn === "a fresh runner" ? { env: { XDG_CACHE_HOME: fresh } } : {}),
        });
        const state: StackExport = await p.exportStack();
        const devices = fleetDeviceRecords(outs(fleetOf(state)).devices as Record<string, string>);
        const recs = Object.values(devices).map((l) => parseRecord(l)!);
        const acted = ledger.accepted(start);
        const { repeated, max } = repeats(acted);
        record({
          suite: "crashes (pulumi CLI)",
          case: `SIGKILL during a fleet run (300 devices), re-run on ${rerunOn}`,
          injected:
            "token A→B on 300 devices, tenant latency 50 ms; `pulumi up`'s process group SIGKILLed after ≥120 rotations",
          happened: `killed after ${atKill} rotations; ${notes.join("; ")}`,
          state: "the killed run's records never reached state (all token A)",
          converged:
            up.code === 0 && acted.size === N && recs.every((r) => r.token === tokenHash("B")),
          devices: N,
          repeated,
          attempts: ledger.attempts(start),
          ms: killed.durationMs,
          notes: `${atKill} rotations before the kill; ${repeated} device(s) rotated again by the re-run (max ${max} per device)`,
        });
        assert.equal(up.code, 0, `the re-run must converge:\n${text(up)}`);
        assert.deepEqual(state.deployment.pending_operations ?? [], []);
        assert.equal(recs.length, N);
        for (const r of recs) assert.deepEqual([r.status, r.token], ["requested", tokenHash("B")]);
        assert.equal(acted.size, N, "every device rotated");
        // At most 4 $batch requests of 20 are in flight at once: only those may repeat.
        assert.ok(repeated <= 80, `${repeated} device(s) rotated twice`);
        assert.ok(max <= 2, `a device rotated ${max} times`);
      } finally {
        await p.dispose();
      }
    });
  }

  it("two `pulumi up` of one stack at once: the lock refuses one; no device rotates twice", async function () {
    const ids = Array.from({ length: 3 }, () => windowsDevice(tenant).id);
    const p = await project("race", SINGLE_PROGRAM);
    try {
      const specs = (token: string) =>
        ids.map((id, i) => ({ name: `dev-${i}`, managedDeviceId: id, rotationToken: token }));
      await setDevices(p, specs("A"));
      await p.up();
      await setDevices(p, specs("B"));
      // Each rotation takes a second: the first up holds the lock for a while.
      tenant.setLatency(0);
      const rule = ledger.add({
        method: "POST",
        path: /rotateBitLockerKeys$/,
        kind: "latency",
        ms: 1000,
      });
      const start = await mark();
      const args = ["up", "--stack", p.stack, "--yes", "--skip-preview", "--non-interactive"];
      const [a, b] = await Promise.all([p.pulumi(args), p.pulumi(args)]);
      tenant.removeFault(rule.id);
      const ok = [a, b].filter((r) => r.code === 0).length;
      const lockedOut = [a, b].filter((r) => /currently locked|locked by/i.test(text(r))).length;
      const acted = ledger.accepted(start);
      const { repeated, max } = repeats(acted);
      const state = singles(await p.exportStack());
      const tokens = ids.map((_, i) => outs(state.get(`dev-${i}`)).rotationToken);
      record({
        suite: "crashes (pulumi CLI)",
        case: "two `pulumi up` at once (one stack)",
        injected:
          "token A→B on 3 devices, each rotation answered after 1 s; two `pulumi up` started together",
        happened: `${ok} succeeded, ${lockedOut} refused by the lock (exit codes ${a.code}, ${b.code})`,
        state: `tokens ${tokens.join(", ")}`,
        converged: tokens.every((t) => t === "B"),
        devices: ids.length,
        repeated,
        attempts: ledger.attempts(start),
        ms: Math.max(a.durationMs, b.durationMs),
        notes: `max ${max} rotation(s) per device`,
      });
      assert.equal(ok, 1, `exactly one up succeeds:\n--- a ---\n${text(a)}\n--- b ---\n${text(b)}`);
      assert.equal(lockedOut, 1, "the other is refused by the lock");
      assert.equal(repeated, 0, "no device rotated twice");
      assert.equal(acted.size, ids.length);
      assert.deepEqual(tokens, ["B", "B", "B"]);
    } finally {
      await p.dispose();
    }
  });
});
