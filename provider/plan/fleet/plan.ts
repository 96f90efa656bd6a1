// What a fleet run does to each device, decided from the old state and the new inputs only:
// rotate each device exactly once per token; rotate devices added later; forget removed
// ones; settle lost answers before resending; touch nothing else.
import { isUnknown, UPDATE_INPUTS } from "../inputs";
import { desiredToken, type FleetInputs } from "./inputs";
import {
  parseRecord,
  SENT,
  settlesToken,
  tokenHash,
  type DeviceRecord,
  type FleetDeviceStatus,
} from "./record";
import { deviceLines, packDevices } from "./packed";

/**
 * 3: `devices` packed (packed.ts); record times on Graph's clock unless `localTimes`.
 * 2: `devices` maps id → line; every rotation record's time is on Graph's clock
 * (plan/evidence.ts). 1: as 2, but some times may hold the clock of the machine that wrote
 * them (written before the evidence rule, or an answer without a Date header).
 */
const FLEET_STATE_VERSION = 3;

export interface FleetState extends Omit<FleetInputs, "managedDeviceIds"> {
  stateVersion: number;
  /** Record line → the ids holding it (packed.ts); version 1 and 2: id → record line. */
  devices: Record<string, string>;
  /** Some record time may be this machine's, not Graph's (what version 1 meant). */
  localTimes?: boolean;
  counts: Partial<Record<FleetDeviceStatus, number>>;
  lastRun?: FleetRunSummary;
}

/** @public (in the declaration of the engine's exported functions) */
export interface FleetRunSummary {
  at: string;
  rotated: number;
  adopted: number;
  skipped: number;
  errors: number;
  unchanged: number;
  forgotten: number;
}

export interface FleetPlan {
  /** Send a rotation request. */
  rotate: string[];
  /** Record without rotating (rotateOnCreate: false for a device new to the fleet). */
  adopt: string[];
  /** An unverified request for the current token: look at the device before resending. */
  settle: string[];
  unchanged: string[];
  /** In the old state, no longer in the inputs: dropped from state, no Graph call. */
  forget: string[];
}

export function planFleet(olds: Partial<FleetState> | undefined, news: FleetInputs): FleetPlan {
  const plan: FleetPlan = { rotate: [], adopt: [], settle: [], unchanged: [], forget: [] };
  const records = deviceLines(olds?.devices);
  const wanted = new Set(news.managedDeviceIds);
  const hashes = new Map<string, string>(); // one SHA-256 per token, not per device
  for (const id of news.managedDeviceIds) {
    const line = records.get(id);
    const record = line === undefined ? undefined : parseRecord(line);
    const token = desiredToken(news, id);
    let hash = hashes.get(token);
    if (hash === undefined) hashes.set(token, (hash = tokenHash(token)));
    if (!record) {
      (news.rotateOnCreate ? plan.rotate : plan.adopt).push(id);
    } else if (record.token === hash && record.status === "unverified") {
      plan.settle.push(id);
    } else if (record.token === hash && settlesToken(record)) {
      plan.unchanged.push(id);
    } else {
      plan.rotate.push(id);
    }
  }
  for (const id of records.keys()) if (!wanted.has(id)) plan.forget.push(id);
  return plan;
}

/** Inputs whose change means an update (with or without a rotation). */
const SETTINGS = UPDATE_INPUTS;

export interface FleetDiff {
  changes: boolean;
  /** Undefined while inputs are unknown (preview of a program whose ids come from outputs). */
  plan?: FleetPlan;
}

/** Compares old OUTPUTS with new inputs; never `__provider`. A fleet is never replaced. */
export function diffFleet(olds: Partial<FleetState>, news: FleetInputs): FleetDiff {
  const unknown =
    isUnknown(news.managedDeviceIds) ||
    (Array.isArray(news.managedDeviceIds) && news.managedDeviceIds.some(isUnknown)) ||
    isUnknown(news.rotationToken) ||
    isUnknown(news.deviceTokens) ||
    Object.values(news.deviceTokens ?? {}).some(isUnknown);
  if (unknown) return { changes: true };
  const plan = planFleet(olds, news);
  const work = plan.rotate.length + plan.adopt.length + plan.settle.length + plan.forget.length;
  const settings = SETTINGS.some((k) => (olds[k] ?? null) !== (news[k] ?? null));
  const tokens =
    JSON.stringify(olds.deviceTokens ?? {}) !== JSON.stringify(news.deviceTokens ?? {});
  return { changes: work > 0 || settings || tokens, plan };
}

/** Status counts over all records: each device's line (id → line). */
export function countStatuses(
  lines: ReadonlyMap<string, string>,
): Partial<Record<FleetDeviceStatus, number>> {
  const counts: Partial<Record<FleetDeviceStatus, number>> = {};
  const perLine = new Map<string, number>();
  for (const line of lines.values()) perLine.set(line, (perLine.get(line) ?? 0) + 1);
  for (const [line, n] of perLine) {
    const s = parseRecord(line)?.status;
    if (s) counts[s] = (counts[s] ?? 0) + n;
  }
  return counts;
}

/** Are the old records' times on Graph's clock (see FLEET_STATE_VERSION)? */
export function recordsOnGraphClock(olds: Partial<FleetState> | undefined): boolean {
  return (olds?.stateVersion ?? 1) >= 2 && olds?.localTimes !== true;
}

/** The clock fields of a state written now: `localTimes` only when some time may be local. */
export function clockFields(localTimes: boolean): Pick<FleetState, "stateVersion" | "localTimes"> {
  return localTimes
    ? { stateVersion: FLEET_STATE_VERSION, localTimes: true }
    : { stateVersion: FLEET_STATE_VERSION };
}

/**
 * The state after a run: the new records where the run produced one, the old ones where it
 * did not, forgotten devices gone. Pure, so a partial run's state is computed the same way.
 * `localTimes`: some record of this run holds this machine's time (an answer had no Date).
 */
export function stateAfterRun(
  olds: Partial<FleetState> | undefined,
  news: FleetInputs,
  plan: FleetPlan,
  results: ReadonlyMap<string, DeviceRecord>,
  at: string,
  formatted: (r: DeviceRecord) => string,
  localTimes = false,
): FleetState {
  const lines = new Map<string, string>();
  const previous = deviceLines(olds?.devices);
  let carriedLocal = false;
  for (const id of news.managedDeviceIds) {
    const r = results.get(id);
    const line = r ? formatted(r) : previous.get(id);
    if (line !== undefined) lines.set(id, line);
    if (!r && line !== undefined && !recordsOnGraphClock(olds)) carriedLocal = true;
  }
  // On Graph's clock only when no record kept may hold a local time: one such record, taken for
  // Graph's time, could make the device's own rotation look like evidence and skip the next token.
  const clock = clockFields(carriedLocal || localTimes);
  const tally = (s: readonly FleetDeviceStatus[]) =>
    [...results.values()].filter((r) => s.includes(r.status)).length;
  const lastRun: FleetRunSummary = {
    at,
    rotated: tally(SENT),
    adopted: tally(["adopted"]),
    skipped: tally(["skipped"]),
    errors: tally(["error", "unverified"]),
    unchanged: plan.unchanged.length,
    forgotten: plan.forget.length,
  };
  // The outputs hold the settings, not the id list: the keys of `devices` already name every
  // device (state stays small), and diff compares the new ids with those keys.
  const {
    __provider: _p,
    managedDeviceIds: _ids,
    ...settings
  } = news as FleetInputs & { __provider?: unknown };
  return {
    ...settings,
    ...clock,
    devices: packDevices(lines),
    counts: countStatuses(lines),
    lastRun,
  };
}

export type { DeviceRecord };
