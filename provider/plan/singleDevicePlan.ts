// Decisions for BitLockerKeyRotation (one device): what check returns, what diff reports,
// whether update rotates (create rotates unless the `rotateOnCreate` input is false), and
// the record kept in state.
import type { DeviceCollection, ManagedDevice } from "../graph/types";
import {
  checkInputs,
  isUnknown,
  UPDATE_INPUTS,
  type CheckFailure,
  type RotationSettings,
} from "./inputs";
import type { OutcomeFacts } from "./status";
import type { UnverifiedRequest } from "./unverifiedRequest";
import type { RecordTime } from "./evidence";

export interface SingleDeviceInputs extends RotationSettings {
  managedDeviceId: string;
  rotationToken: string;
}

/**
 * Bumped only if the state's meaning changes; older records stay readable. 2: `requestedAt` is
 * on Graph's clock (plan/evidence.ts); 1: it may be the clock of the machine that sent it.
 */
const STATE_VERSION = 2;

export interface SingleDeviceState extends SingleDeviceInputs, OutcomeFacts {
  stateVersion: number;
  deviceName: string;
  azureADDeviceId: string;
  collection: DeviceCollection;
  /** Rotations this resource has requested (0 when adopted and never rotated since). */
  rotationCount: number;
  adopted: boolean;
  /** When the last rotation was requested (ISO 8601). */
  requestedAt?: string;
  /** Graph's request-id of the last rotation request. */
  requestId?: string;
  clientRequestId?: string;
  lastCheckedAt?: string;
  /** A request whose answer was lost and not yet checked; settled before any resend. */
  unverifiedRequest?: UnverifiedRequest;
}

export function checkSingleDevice(news: Record<string, unknown>): {
  inputs: Record<string, unknown>;
  failures: CheckFailure[];
} {
  return checkInputs("single", news);
}

/** Inputs whose change means an update (with or without a rotation). */
const SETTINGS = UPDATE_INPUTS;

export interface DiffDecision {
  changes: boolean;
  replaces: string[];
  /** The properties that differ, for messages and tests. */
  changed: string[];
}

/**
 * Compares old OUTPUTS with new inputs, never `__provider`: a new version of this package
 * alone must never update (let alone rotate) anything.
 */
export function diffSingleDevice(
  olds: Partial<SingleDeviceState>,
  news: Partial<SingleDeviceInputs>,
): DiffDecision {
  const replaces = differs(olds.managedDeviceId, news.managedDeviceId) ? ["managedDeviceId"] : [];
  const changed = SETTINGS.filter((k) => differs(olds[k], news[k]));
  return {
    changes: replaces.length > 0 || changed.length > 0,
    replaces,
    changed: [...replaces, ...changed],
  };
}

function differs(a: unknown, b: unknown): boolean {
  if (isUnknown(b)) return true;
  return (a ?? null) !== (b ?? null);
}

/** update rotates only when the token changed; every other change is bookkeeping. */
export function rotatesOnUpdate(
  olds: Partial<SingleDeviceState>,
  news: SingleDeviceInputs,
): boolean {
  return olds.rotationToken !== news.rotationToken;
}

export interface RotationRequestRecord {
  /** Graph's clock, unless `localClock`. */
  requestedAt: string;
  requestId?: string;
  clientRequestId?: string;
  /** requestedAt is this machine's time (Graph's answer had no Date header). */
  localClock?: boolean;
}

/** The time the old state holds for the evidence rule: its last request, if any. */
export function lastRequestTime(olds: Partial<SingleDeviceState>): RecordTime | undefined {
  if (!olds.requestedAt) return undefined;
  return { at: olds.requestedAt, graphClock: (olds.stateVersion ?? 1) >= STATE_VERSION };
}

function requestFields(request: RotationRequestRecord) {
  const { localClock, ...fields } = request;
  return { stateVersion: localClock ? 1 : STATE_VERSION, ...fields };
}

/** The state after a create: a rotation requested, or an adoption. */
export function stateAfterCreate(
  news: SingleDeviceInputs,
  device: ManagedDevice,
  collection: DeviceCollection,
  request: RotationRequestRecord | undefined,
): SingleDeviceState {
  const base = withSettings(news, device, collection);
  if (!request) {
    return {
      ...base,
      stateVersion: STATE_VERSION,
      rotationCount: 0,
      adopted: true,
      status: "adopted",
    };
  }
  return {
    ...base,
    rotationCount: 1,
    adopted: false,
    status: "requested",
    ...requestFields(request),
  };
}

/** The state after an update: settings always; the request only when one was sent. */
export function stateAfterUpdate(
  olds: Partial<SingleDeviceState>,
  news: SingleDeviceInputs,
  device: ManagedDevice | undefined,
  collection: DeviceCollection | undefined,
  request: RotationRequestRecord | undefined,
): SingleDeviceState {
  const kept = stripOutcome(olds);
  const merged: SingleDeviceState = {
    ...kept,
    ...news,
    // Only a new request changes whose clock requestedAt is on.
    stateVersion: olds.requestedAt ? (olds.stateVersion ?? 1) : STATE_VERSION,
    deviceName: device?.deviceName ?? olds.deviceName ?? "",
    azureADDeviceId: device?.azureADDeviceId ?? olds.azureADDeviceId ?? "",
    collection: collection ?? olds.collection ?? "managedDevices",
    rotationCount: olds.rotationCount ?? 0,
    adopted: olds.adopted ?? false,
    status: olds.status ?? "requested",
  };
  if (!request) return { ...merged, ...outcomeOnly(olds) };
  delete merged.unverifiedRequest;
  return {
    ...merged,
    rotationCount: merged.rotationCount + 1,
    status: "requested",
    ...requestFields(request),
  };
}

function withSettings(
  news: SingleDeviceInputs,
  device: ManagedDevice,
  collection: DeviceCollection,
) {
  return {
    ...news,
    deviceName: device.deviceName,
    azureADDeviceId: device.azureADDeviceId,
    collection,
  };
}

const OUTCOME_KEYS = [
  "status",
  "actionState",
  "errorCode",
  "errorText",
  "hint",
  "escrowedAt",
] as const;

function stripOutcome(olds: Partial<SingleDeviceState>): Partial<SingleDeviceState> {
  const copy: Record<string, unknown> = { ...olds };
  for (const k of OUTCOME_KEYS) delete copy[k];
  delete copy.__provider;
  return copy as Partial<SingleDeviceState>;
}

function outcomeOnly(olds: Partial<SingleDeviceState>): Partial<OutcomeFacts> {
  const out: Record<string, unknown> = {};
  for (const k of OUTCOME_KEYS) if (olds[k] !== undefined) out[k] = olds[k];
  return out as Partial<OutcomeFacts>;
}

/** Refresh: the device's facts and the request's outcome; settings and the token untouched. */
export function stateAfterRead(
  olds: SingleDeviceState,
  device: ManagedDevice | undefined,
  outcome: OutcomeFacts | undefined,
  checkedAt: string,
): SingleDeviceState {
  const kept = stripOutcome(olds) as SingleDeviceState;
  if (!device) {
    return {
      ...kept,
      status: "missing",
      lastCheckedAt: checkedAt,
      hint: "The device no longer exists in Intune (retired or deleted). Remove it from the program to forget it.",
    };
  }
  const facts = { deviceName: device.deviceName, azureADDeviceId: device.azureADDeviceId };
  if (!olds.requestedAt)
    return {
      ...kept,
      ...facts,
      status: olds.status === "missing" ? "adopted" : olds.status,
      lastCheckedAt: checkedAt,
    };
  return { ...kept, ...facts, ...(outcome ?? { status: "requested" }), lastCheckedAt: checkedAt };
}
