// The engine side of BitLockerKeyRotationFleet. plan/fleet decides what each device needs;
// this file reads the devices, sends the rotations in paced batches, and records the result.
// A run that fails part-way still returns its records to Pulumi (RecordedFailure), so state
// keeps exactly what was rotated and the next run finishes the rest without repeats. A run
// that never returns (killed, cancelled) leaves the old records: the next run, on any
// machine, finds its rotations on the devices it reads anyway (plan/evidence.ts).
import { randomUUID } from "node:crypto";
import type { GraphError } from "../graph";
import { chooseCollection } from "../plan/collection";
import { desiredToken, fleetInputsOf, type FleetInputs } from "../plan/fleet/inputs";
import {
  clockFields,
  countStatuses,
  planFleet,
  recordsOnGraphClock,
  stateAfterRun,
  type FleetPlan,
  type FleetState,
} from "../plan/fleet/plan";
import { formatRecord, parseRecord, tokenHash, type DeviceRecord } from "../plan/fleet/record";
import { deviceLines, packDevices } from "../plan/fleet/packed";
import { classifyReadDevice, keepLostAnswer, recordTime } from "../plan/fleet/classify";
import type { ManagedDevice } from "../graph/types";
import { pollOutcome } from "./pollOutcome";
import { engineContext } from "./context";
import { summarizeFleetRun } from "../plan/fleet/summary";
import { summarizeRefresh } from "../plan/fleet/refreshSummary";
import { checkKeyCaps, guardEnabled, type KeyCapAccess, type KeyCapFinding } from "./keyCapGuard";
import { RecordedFailure } from "./errors";
import { isDevice, lookupDevices, type LookupResult } from "./fleet/batchedLookup";
import { readFleetOutcomes } from "./fleet/fleetOutcomes";
import { JobFeed } from "./fleet/jobFeed";
import { intunePacers } from "./fleet/intunePacers";
import { planKey, takePreviewReads, type HandedReads } from "./fleet/previewHandoff";
import type { WindowPacer } from "./fleet/windowPacer";
import { forbiddenIsPerDevice } from "../plan/permissions";
import { isGuid } from "../plan/ids";
import { lostAnswerGraceMs } from "./requestRotation";
import { FleetProgress } from "./fleet/progress";
import { jobFor, rotateInBatches, type RotationJob } from "./fleet/rotateInBatches";
import { log } from "./log";
import { acquireRunLock, lastRunEnded } from "./runLock";

type Props = Record<string, unknown>;
type Inputs = FleetInputs & { label?: string; __provider?: unknown };

/** Devices read per step: five $batches of 20 GETs, then their recovery-key counts. */
const READ_CHUNK = 100;
/** The first step is one $batch, so the first rotations leave as soon as it is answered. */
const FIRST_READ_CHUNK = 20;
const MAX_SENDS_PER_DEVICE = 10;

export async function create(inputs: Props) {
  const id = `fleet-${randomUUID()}`;
  return { id, outs: await run(id, undefined, fleetInputsOf(inputs) as Inputs) };
}

export async function update(id: string, olds: Props, news: Props) {
  const inputs = fleetInputsOf(news) as Inputs;
  // A cancelled run that goes on (file backend) must not race this one: see runLock.ts.
  const release = acquireRunLock(id, inputs.label ?? "fleet");
  try {
    return { outs: await run(id, olds as unknown as FleetState, inputs) };
  } finally {
    release();
  }
}

/** Refresh: every followed device's status, read in batches; never a write. */
export async function read(id: string, props: Props) {
  const olds = props as unknown as FleetState & { __provider?: unknown };
  const { graph, settings } = engineContext();
  const lines = deviceLines(olds.devices);
  const update = await readFleetOutcomes(
    graph,
    parsed(lines),
    olds.waitFor === "escrowed",
    intunePacers(settings).reads,
  );
  const before = Object.fromEntries(lines);
  for (const [deviceId, r] of update.records) lines.set(deviceId, formatRecord(r));
  // Pulumi shows the fleet as unchanged when its inputs are: say what the devices did.
  log(summarizeRefresh(String(props.label ?? id), before, Object.fromEntries(lines)));
  const { __provider: _p, localTimes: _l, ...rest } = olds;
  return {
    id,
    props: {
      ...rest,
      // Written in the current form, whatever form it was read in (a refresh upgrades state).
      ...clockFields(!recordsOnGraphClock(olds)),
      devices: packDevices(lines),
      counts: countStatuses(lines),
      lastCheckedAt: new Date().toISOString(),
    },
  };
}

/** Forgetting a fleet sends nothing: a rotation cannot be undone. */
export async function deleteResource(_id: string, _props: Props): Promise<void> {}

async function run(id: string, olds: FleetState | undefined, news: Inputs): Promise<FleetState> {
  const label = news.label ?? id;
  // Defence in depth: check refuses such ids; called without it, the engine still sends
  // nothing at all for them (not even a token request).
  const notIds = news.managedDeviceIds.filter((d) => !isGuid(d));
  if (notIds.length > 0)
    throw new TypeError(
      `fleet ${label}: managedDeviceIds must be Intune managed device ids (GUIDs); refused ${notIds
        .slice(0, 3)
        .map((d) => JSON.stringify(String(d).slice(0, 60)))
        .join(", ")}`,
    );
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
  // Lost answers first: they are the records a cut-short run must not lose.
  const toRead = [...plan.settle, ...plan.rotate];
  const oldLines = deviceLines(olds?.devices);
  const lostAnswers = new Map(plan.settle.map((d) => [d, parseRecord(oldLines.get(d)!)!]));
  let readFailure: Error | undefined;
  let localTimes = false;
  if (toRead.length > 0) {
    const { graph, settings } = engineContext();
    const progress = new FleetProgress(label, toRead.length);
    const pacers = intunePacers(settings);
    // Asked before the first send, so a 403 can be told apart at once (the token is reused).
    // A credential that fails here fails the reads too, which record it per device as before.
    const perDevice403 = forbiddenIsPerDevice(
      await graph.accessTokenRoles().catch(() => undefined),
    );
    const record = (deviceId: string, r: DeviceRecord, error?: Error) => {
      results.set(deviceId, keepLostAnswer(lostAnswers.get(deviceId), r));
      if (error) errors.set(deviceId, error);
      progress.add(r.status);
    };
    log(
      `fleet ${label}: reading ${toRead.length} device(s) and rotating the eligible ones at up to ${pacers.posts.ratePerSecond().toFixed(1)}/s`,
    );
    // Read and rotate at once: the reader keeps a few windows of jobs ahead of the rotations.
    const feed = new JobFeed<RotationJob>();
    // The devices the preview of this same plan read moments ago are not read again.
    const tokens = toRead.map((d) => desiredToken(news, d));
    const handed = takePreviewReads(
      planKey(news.label ?? "fleet", toRead, tokens),
      graph,
      lastRunEnded(id),
    );
    const reading = readDevices(graph, toRead, {
      handed,
      olds,
      news,
      plan,
      oldLines,
      pacer: pacers.reads,
      feed,
      lookahead: 2 * pacers.posts.budget(),
      record,
    })
      .catch((e: unknown) => {
        readFailure = e as Error;
      })
      .finally(() => feed.close());
    await rotateInBatches(graph, feed, {
      pacer: pacers.posts,
      readPacer: pacers.reads,
      maxAttempts: MAX_SENDS_PER_DEVICE,
      concurrency: 4,
      lostAnswerGraceMs: lostAnswerGraceMs(settings.requestTimeoutSeconds),
      forbiddenIsPerDevice: perDevice403,
      onLocalTime: () => (localTimes = true),
      onRecord: record,
    });
    await reading;
    progress.print();
    if (news.waitFor !== "requested") await waitForOutcomes(graph, news, results, pacers.reads);
  }
  const state = stateAfterRun(olds, news, plan, results, at, formatRecord, localTimes);
  log(summarizeFleetRun(label, plan, results));
  const failed = [...results].filter(([, r]) => r.status === "error" || r.status === "unverified");
  if (failed.length > 0 || readFailure) {
    throw new RecordedFailure(failureMessage(label, state, failed, errors, readFailure), id, {
      ...state,
      __provider: news.__provider,
    });
  }
  return state;
}

interface ReadOptions {
  olds: FleetState | undefined;
  news: Inputs;
  plan: FleetPlan;
  /** Each device's old record line (id → line). */
  oldLines: ReadonlyMap<string, string>;
  pacer: WindowPacer;
  /** The preview's reads of these devices, used where they may stand in for a new read. */
  handed: HandedReads;
  feed: JobFeed<RotationJob>;
  /** Jobs queued ahead of the rotations before the reader waits. */
  lookahead: number;
  record: (deviceId: string, r: DeviceRecord, error?: Error) => void;
}

/**
 * Reads the devices to rotate a chunk at a time, records those that need no request (gone,
 * prerequisites unmet, at the key cap, rotated since their old record, a lost answer that
 * landed) and feeds the rest to the rotator.
 */
async function readDevices(
  graph: ReturnType<typeof engineContext>["graph"],
  ids: readonly string[],
  o: ReadOptions,
): Promise<void> {
  const settle = new Set(o.plan.settle);
  const keyAccess: KeyCapAccess = { denied: false };
  const graphClock = recordsOnGraphClock(o.olds);
  let rotatedSince = 0;
  let nearCap: KeyCapFinding | undefined;
  let nearCapCount = 0;
  for (let i = 0, size = FIRST_READ_CHUNK; i < ids.length; i += size, size = READ_CHUNK) {
    await o.feed.room(o.lookahead);
    const chunk = ids.slice(i, i + size);
    const at = new Date().toISOString();
    const token = (deviceId: string) => tokenHash(desiredToken(o.news, deviceId));
    if (o.feed.stopped) {
      // The rotator hit a permission or credential failure: the rest would fail the same way.
      for (const deviceId of ids.slice(i))
        o.record(deviceId, { status: "error", at, token: "-", detail: "NotSent" }, o.feed.stopped);
      return;
    }
    // Read only what the preview did not hand over (never a lost answer's device:
    // previewReads.ts keeps none); the answers keep the chunk's order.
    const handed = new Map(chunk.map((d) => [d, o.handed.take(d)]));
    const toFetch = chunk.filter((d) => handed.get(d) === undefined);
    const fetched =
      toFetch.length > 0
        ? await lookupDevices(graph, toFetch, { pacer: o.pacer })
        : new Map<string, LookupResult>();
    const seen = new Map<string, LookupResult>(
      chunk.map((d) => [d, handed.get(d) ?? fetched.get(d)!]),
    );
    // Graph did not answer any of the devices read within the budget: the next chunks would
    // only wait as long again. Stop; the devices not read are left for the next run.
    const failures = [...fetched.values()].map((r) => (r && "error" in r ? r.error : undefined));
    if (failures.length > 0 && failures.every((e) => e !== undefined && noAnswer(e)))
      throw failures[0]!;
    const eligible: ManagedDevice[] = [];
    for (const [deviceId, found] of seen) {
      if (found && "error" in found) {
        const code = (found.error as GraphError).code ?? "Error";
        o.record(deviceId, { status: "error", at, token: "-", detail: code }, found.error);
        continue;
      }
      const line = o.oldLines.get(deviceId);
      const old = line === undefined ? undefined : parseRecord(line);
      const lost = settle.has(deviceId) ? old : undefined;
      const decision = classifyReadDevice({
        device: isDevice(found) ? found : undefined,
        token: token(deviceId),
        at,
        since: lost ? undefined : recordTime(old, graphClock),
        tokenText: desiredToken(o.news, deviceId),
        lostAnswer: lost,
      });
      // Keyed by the id we asked for, whatever the body spells: records and state use it.
      if (decision.send) eligible.push({ ...(found as ManagedDevice), id: deviceId });
      else {
        if (decision.why === "evidence") rotatedSince++;
        o.record(deviceId, decision.record);
      }
    }
    // Entra's 200-key cap: a device at the limit is skipped, one near it is named in a warning.
    const caps = guardEnabled(o.news)
      ? await checkKeyCaps(graph, eligible, o.news, keyAccess)
      : new Map<string, KeyCapFinding>();
    const jobs: RotationJob[] = [];
    for (const device of eligible) {
      const cap = caps.get(device.id);
      if (cap?.verdict === "warn") {
        nearCap ??= cap;
        nearCapCount++;
      }
      if (cap?.verdict === "refuse") {
        o.record(device.id, { status: "skipped", at, token: token(device.id), detail: "keyCap" });
        continue;
      }
      jobs.push(jobFor(device, chooseCollection(device, o.news.endpoint), token(device.id)));
    }
    o.feed.push(jobs);
  }
  if (rotatedSince > 0) {
    log(
      `${rotatedSince} device(s) already show a rotation requested after their last record (a run whose state was not saved, or another admin); recorded, not sent again`,
    );
  }
  if (nearCap)
    log(`${nearCapCount} device(s) near Entra's recovery-key cap, e.g. ${nearCap.message}`);
}

async function waitForOutcomes(
  graph: ReturnType<typeof engineContext>["graph"],
  news: Inputs,
  results: Map<string, DeviceRecord>,
  pacer: WindowPacer,
): Promise<void> {
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
  if (followed().size === 0) return;
  const end = await pollOutcome({
    timeoutSeconds: news.waitTimeoutSeconds,
    pollIntervalSeconds: news.pollIntervalSeconds,
    read: async () => {
      const update = await readFleetOutcomes(graph, followed(), news.waitFor === "escrowed", pacer);
      for (const [deviceId, r] of update.records) results.set(deviceId, r);
      return update;
    },
    // A missing escrow permission will not grant itself: stop waiting and say so.
    settled: (update) => update.escrowHint !== undefined || followed().size === 0,
  });
  if (end.kind === "failed")
    return log(
      `could not follow the outcomes (${end.error.message}); run \`pulumi refresh\` later`,
    );
  if (end.value.escrowHint) return log(end.value.escrowHint);
  if (end.kind === "settled") return;
  for (const [deviceId, r] of followed())
    if (r.status === "requested") results.set(deviceId, { ...r, status: "pending" });
  log(
    `${followed().size} device(s) not ${news.waitFor} within ${news.waitTimeoutSeconds}s; run \`pulumi refresh\` to follow them`,
  );
}

function failureMessage(
  label: string,
  state: FleetState,
  failed: [string, DeviceRecord][],
  errors: Map<string, Error>,
  readFailure: Error | undefined,
): string {
  const run = state.lastRun!;
  const lines = [
    `fleet ${label}: ${run.rotated} rotation(s) requested and recorded, ${run.skipped} skipped, ${failed.length} not rotated. ` +
      `State keeps what was rotated; run \`pulumi up\` again to finish the rest (nothing is sent twice).`,
  ];
  if (readFailure)
    lines.push(
      `  reading the devices stopped early: ${readFailure.message}; the devices not read were left for the next run`,
    );
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

/** Graph gave no usable answer (unreachable, timing out, throttling or failing past the budget). */
function noAnswer(e: Error): boolean {
  const status = (e as { status?: number }).status;
  return status === 0 || status === 429 || (status !== undefined && status >= 500);
}

function parsed(lines: ReadonlyMap<string, string>): Map<string, DeviceRecord> {
  const m = new Map<string, DeviceRecord>();
  for (const [k, v] of lines) {
    const r = parseRecord(v);
    if (r) m.set(k, r);
  }
  return m;
}
