// The engine side of BitLockerKeyRotationFleet. plan/fleet decides what each device needs;
// this file reads the devices, sends the rotations in paced batches, and records the result.
// A run that fails part-way still returns its records to Pulumi (RecordedFailure), so state
// keeps exactly what was rotated and the next run finishes the rest without repeats.
import { randomUUID } from "node:crypto";
import type { GraphError } from "../graph";
import { CLOCK_SKEW_MS, latestRotationResult, rotationStartedSince } from "../plan/actionResult";
import { chooseCollection } from "../plan/collection";
import { checkFleet, desiredToken, type FleetInputs } from "../plan/fleet/inputs";
import {
  countStatuses,
  diffFleet,
  planFleet,
  stateAfterRun,
  type FleetPlan,
  type FleetState,
} from "../plan/fleet/plan";
import { formatRecord, parseRecord, tokenHash, type DeviceRecord } from "../plan/fleet/record";
import { unmetPrerequisites } from "../plan/prerequisites";
import type { ManagedDevice } from "../graph/types";
import { engineContext } from "./context";
import { checkKeyCaps, guardEnabled, type KeyCapFinding } from "./keyCapGuard";
import { RecordedFailure } from "./errors";
import { isDevice, lookupDevices } from "./fleet/batchedLookup";
import { readFleetOutcomes } from "./fleet/fleetOutcomes";
import { PostPacer } from "./fleet/postPacer";
import { RunJournal } from "./fleet/runJournal";
import { lostAnswerGraceMs } from "./requestRotation";
import { FleetProgress } from "./fleet/progress";
import { jobFor, rotateInBatches, type RotationJob } from "./fleet/rotateInBatches";
import { log } from "./log";

type Props = Record<string, unknown>;
type Inputs = FleetInputs & { label?: string; __provider?: unknown };

/** Intune's documented per-app POST limit (graph.md): 200 per 20 s. */
const INTUNE_POST_LIMIT = 200;
const INTUNE_WINDOW_SECONDS = 20;
const MAX_SENDS_PER_DEVICE = 10;

export async function check(_olds: Props, news: Props) {
  return checkFleet(news);
}

export async function diff(_id: string, olds: Props, news: Props) {
  const inputs = news as unknown as Inputs;
  const d = diffFleet(olds as Partial<FleetState>, inputs);
  if (d.plan) describePlan(inputs.label ?? "fleet", d.plan);
  return { changes: d.changes, replaces: [] as string[], deleteBeforeReplace: false };
}

export async function create(inputs: Props) {
  const id = `fleet-${randomUUID()}`;
  return { id, outs: await run(id, undefined, inputs as unknown as Inputs) };
}

export async function update(id: string, olds: Props, news: Props) {
  return { outs: await run(id, olds as unknown as FleetState, news as unknown as Inputs) };
}

/** Refresh: every followed device's status, read in batches; never a write. */
export async function read(id: string, props: Props) {
  const olds = props as unknown as FleetState & { __provider?: unknown };
  const { graph } = engineContext();
  const records = parsed(olds.devices ?? {});
  const update = await readFleetOutcomes(graph, records, olds.waitFor === "escrowed");
  const devices = { ...olds.devices };
  for (const [deviceId, r] of update.records) devices[deviceId] = formatRecord(r);
  const { __provider: _p, ...rest } = olds;
  return {
    id,
    props: {
      ...rest,
      devices,
      counts: countStatuses(devices),
      lastCheckedAt: new Date().toISOString(),
    },
  };
}

/** Forgetting a fleet sends nothing: a rotation cannot be undone. */
export async function deleteResource(_id: string, _props: Props): Promise<void> {}

async function run(id: string, olds: FleetState | undefined, news: Inputs): Promise<FleetState> {
  const label = news.label ?? id;
  const plan = planFleet(olds, news);
  const at = new Date().toISOString();
  const results = new Map<string, DeviceRecord>();
  const errors = new Map<string, Error>();
  for (const deviceId of plan.adopt) {
    results.set(deviceId, {
      status: "adopted",
      at,
      token: tokenHash(desiredToken(news, deviceId)),
    });
  }
  const toRead = [...plan.rotate, ...plan.settle];
  if (toRead.length > 0) {
    const { graph, settings } = engineContext();
    const progress = new FleetProgress(label, toRead.length);
    const journal = RunJournal.for(label);
    const jobs = await prepare(graph, olds, news, plan, results, errors, progress, journal);
    if (jobs.length > 0) {
      log(
        `fleet ${label}: rotating ${jobs.length} device(s) at up to ${((INTUNE_POST_LIMIT * settings.postShareOfLimit) / windowSeconds()).toFixed(1)}/s`,
      );
      const pacer = new PostPacer({
        limit: INTUNE_POST_LIMIT,
        windowMs: windowSeconds() * 1000,
        share: settings.postShareOfLimit,
      });
      await rotateInBatches(graph, jobs, {
        pacer,
        maxAttempts: MAX_SENDS_PER_DEVICE,
        concurrency: 4,
        lostAnswerGraceMs: lostAnswerGraceMs(settings.requestTimeoutSeconds),
        onRecord: (deviceId, record, error) => {
          results.set(deviceId, record);
          if (error) errors.set(deviceId, error);
          if (record.status === "requested")
            journal.append([{ d: deviceId, t: record.token, at: record.at }]);
          progress.add(record.status);
        },
      });
      journal.compact();
    }
    progress.print();
    if (news.waitFor !== "requested") await waitForOutcomes(graph, news, results);
  }
  const state = stateAfterRun(olds, news, plan, results, at, formatRecord);
  const failed = [...results].filter(([, r]) => r.status === "error" || r.status === "unverified");
  if (failed.length > 0) {
    throw new RecordedFailure(failureMessage(label, state, failed, errors), id, {
      ...state,
      __provider: news.__provider,
    });
  }
  return state;
}

/** Reads the devices to rotate; records skips and settles lost answers; returns the jobs. */
async function prepare(
  graph: ReturnType<typeof engineContext>["graph"],
  olds: FleetState | undefined,
  news: Inputs,
  plan: FleetPlan,
  results: Map<string, DeviceRecord>,
  errors: Map<string, Error>,
  progress: FleetProgress,
  journal: RunJournal,
): Promise<RotationJob[]> {
  const at = new Date().toISOString();
  // Rotations an interrupted run sent for the same token, confirmed on the device below.
  const journaled = journal.read();
  let fromJournal = 0;
  const seen = await lookupDevices(graph, [...plan.rotate, ...plan.settle]);
  const jobs: RotationJob[] = [];
  const eligible: ManagedDevice[] = [];
  const settle = new Set(plan.settle);
  for (const [deviceId, found] of seen) {
    const token = tokenHash(desiredToken(news, deviceId));
    const record = (r: DeviceRecord) => {
      results.set(deviceId, r);
      progress.add(r.status);
    };
    if (found && "notFound" in found) {
      record({ status: "skipped", at, token, detail: "notFound" });
      continue;
    }
    if (!isDevice(found)) {
      errors.set(deviceId, found.error);
      record({
        status: "error",
        at,
        token: "-",
        detail: (found.error as GraphError).code ?? "Error",
      });
      continue;
    }
    const entry = journaled.get(deviceId);
    if (entry && entry.t === token && rotatedAtOrAfter(found, entry.at)) {
      // The journal says we sent it, and the device shows a rotation since: do not resend.
      record({ status: "requested", at: entry.at, token });
      fromJournal++;
      continue;
    }
    if (settle.has(deviceId)) {
      // The last run lost this device's answer: look before sending again.
      const old = parseRecord(olds!.devices[deviceId]!)!;
      const priorStart = old.detail && old.detail !== "-" ? old.detail : undefined;
      if (rotationStartedSince(priorStart, found)) {
        record({ status: "requested", at: old.at, token });
        continue;
      }
    }
    const unmet = unmetPrerequisites(found);
    if (unmet.length > 0) {
      record({ status: "skipped", at, token, detail: unmet[0]!.code });
      continue;
    }
    eligible.push(found);
  }
  if (fromJournal > 0) {
    log(
      `${fromJournal} device(s) were rotated by an interrupted run (journal, confirmed on the device); recorded, not sent again`,
    );
  }
  // Entra's 200-key cap: a device at the limit is skipped, one near it is named in a warning.
  const caps = guardEnabled(news)
    ? await checkKeyCaps(graph, eligible, news)
    : new Map<string, KeyCapFinding>();
  const near = [...caps.values()].filter((f) => f.verdict === "warn");
  if (near.length > 0)
    log(`${near.length} device(s) near Entra's recovery-key cap, e.g. ${near[0]!.message}`);
  for (const device of eligible) {
    const token = tokenHash(desiredToken(news, device.id));
    if (caps.get(device.id)?.verdict === "refuse") {
      results.set(device.id, { status: "skipped", at, token, detail: "keyCap" });
      progress.add("skipped");
      continue;
    }
    jobs.push(jobFor(device, chooseCollection(device, news.endpoint), token));
  }
  return jobs;
}

async function waitForOutcomes(
  graph: ReturnType<typeof engineContext>["graph"],
  news: Inputs,
  results: Map<string, DeviceRecord>,
): Promise<void> {
  const deadline = Date.now() + news.waitTimeoutSeconds * 1000;
  // Devices with a request whose outcome can still change what the user waits for.
  const followed = () =>
    new Map(
      [...results].filter(
        ([, r]) =>
          r.status === "requested" ||
          r.status === "pending" ||
          (r.status === "done" && news.waitFor === "escrowed"),
      ),
    );
  for (;;) {
    const open = followed();
    if (open.size === 0) return;
    let update;
    try {
      update = await readFleetOutcomes(graph, open, news.waitFor === "escrowed");
    } catch (e) {
      log(`could not follow the outcomes (${(e as Error).message}); run \`pulumi refresh\` later`);
      return;
    }
    for (const [deviceId, r] of update.records) results.set(deviceId, r);
    if (update.escrowHint) return log(update.escrowHint);
    if (followed().size === 0) return;
    if (Date.now() + news.pollIntervalSeconds * 1000 > deadline) {
      for (const [deviceId, r] of followed())
        if (r.status === "requested") results.set(deviceId, { ...r, status: "pending" });
      return log(
        `${followed().size} device(s) not ${news.waitFor} within ${news.waitTimeoutSeconds}s; run \`pulumi refresh\` to follow them`,
      );
    }
    await new Promise((r) => setTimeout(r, news.pollIntervalSeconds * 1000));
  }
}

function failureMessage(
  label: string,
  state: FleetState,
  failed: [string, DeviceRecord][],
  errors: Map<string, Error>,
): string {
  const run = state.lastRun!;
  const lines = [
    `fleet ${label}: ${run.rotated} rotation(s) requested and recorded, ${run.skipped} skipped, ${failed.length} not rotated. ` +
      `State keeps what was rotated; run \`pulumi up\` again to finish the rest (nothing is sent twice).`,
  ];
  const byCode = new Map<string, string[]>();
  for (const [deviceId, r] of failed) {
    const code = r.status === "unverified" ? "unverified" : (r.detail ?? "Error");
    byCode.set(code, [...(byCode.get(code) ?? []), deviceId]);
  }
  for (const [code, ids] of byCode) {
    const example = errors.get(ids[0]!);
    const what =
      code === "unverified"
        ? "answer lost; the next run checks each device before sending again"
        : (example?.message ?? code);
    lines.push(
      `  ${ids.length} × ${code}: ${what}${ids.length > 1 ? ` (devices: ${ids.slice(0, 5).join(", ")}${ids.length > 5 ? ", …" : ""})` : ""}`,
    );
  }
  return lines.join("\n");
}

function describePlan(label: string, plan: FleetPlan): void {
  const parts = [
    plan.rotate.length ? `rotate ${plan.rotate.length} (if eligible): ${sample(plan.rotate)}` : "",
    plan.settle.length ? `check ${plan.settle.length} with a lost answer before resending` : "",
    plan.adopt.length ? `adopt ${plan.adopt.length} without rotating` : "",
    plan.forget.length ? `forget ${plan.forget.length}` : "",
  ].filter(Boolean);
  if (parts.length > 0)
    log(`fleet ${label}: ${parts.join("; ")}; ${plan.unchanged.length} unchanged`);
}

function sample(ids: string[]): string {
  return ids.slice(0, 10).join(", ") + (ids.length > 10 ? `, … (+${ids.length - 10})` : "");
}

function parsed(devices: Record<string, string>): Map<string, DeviceRecord> {
  const m = new Map<string, DeviceRecord>();
  for (const [k, v] of Object.entries(devices)) {
    const r = parseRecord(v);
    if (r) m.set(k, r);
  }
  return m;
}

/** Does the device show a rotation that started at or after `at` (allowing for clock skew)? */
function rotatedAtOrAfter(device: ManagedDevice, at: string): boolean {
  const latest = latestRotationResult(device);
  return latest !== undefined && Date.parse(latest.startDateTime) >= Date.parse(at) - CLOCK_SKEW_MS;
}

/** Intune's window; shorter only against a time-scaled simulated tenant. */
function windowSeconds(): number {
  const s = Number(process.env.BITLOCKER_THROTTLE_WINDOW_SECONDS);
  return Number.isFinite(s) && s > 0 ? s : INTUNE_WINDOW_SECONDS;
}
