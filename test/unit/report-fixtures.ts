// Exported-state fixtures for the report's unit tests: the shapes `pulumi stack export`
// produces for BitLockerKeyRotation and BitLockerKeyRotationFleet resources, with outputs
// as the engine writes them (records through formatRecord, outcomes through outcomeOf).
import { formatRecord, tokenHash, type DeviceRecord } from "../../provider/plan/fleet/record";
import { countStatuses } from "../../provider/plan/fleet/plan";
import { packDevices, packIds } from "../../provider/plan/fleet/packed";
import type { SingleDeviceState } from "../../provider/plan/singleDevicePlan";
import { outcomeOf } from "../../provider/plan/status";
import { FLEET_TYPE, SINGLE_TYPE } from "../../provider/report/exported";

export const NOW = new Date("2026-11-27T10:00:00Z");
const STACK = "prod";
const PROJECT = "fleet-ops";

/** Text that must never reach a report: the serialized provider and a secret's ciphertext. */
export const PROVIDER_SENTINEL = "exports.handler = __f0; // PROVIDER-CODE-SENTINEL";
export const CIPHERTEXT_SENTINEL = "v1:CIPHERTEXT-SENTINEL:AAAA";

const SECRET_SIG = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };

/** A secret as `pulumi stack export` shows it (no --show-secrets). */
export function secret(): Record<string, string> {
  return { ...SECRET_SIG, ciphertext: CIPHERTEXT_SENTINEL };
}

/** A secret as `pulumi stack export --show-secrets` shows it. */
export function shownSecret(value: unknown): Record<string, string> {
  return { ...SECRET_SIG, plaintext: JSON.stringify(value) };
}

/** Deterministic device ids: guid(7) → "0b7c5a2e-0000-4a2b-9c3d-000000000007". */
export function guid(n: number): string {
  return `0b7c5a2e-0000-4a2b-9c3d-${String(n).padStart(12, "0")}`;
}

export function urn(type: string, name: string): string {
  return `urn:pulumi:${STACK}::${PROJECT}::${type}::${name}`;
}

const SETTINGS = {
  rotateOnCreate: true,
  endpoint: "auto",
  waitFor: "requested",
  waitTimeoutSeconds: 900,
  pollIntervalSeconds: 30,
};

type Resource = Record<string, unknown>;

/** A BitLockerKeyRotation as exported: inputs, and outputs holding the SingleDeviceState. */
export function single(
  name: string,
  state: Partial<SingleDeviceState> & Record<string, unknown>,
  extra: { created?: string; delete?: boolean } = {},
): Resource {
  const managedDeviceId = (state.managedDeviceId as string | undefined) ?? guid(9000);
  const outputs = {
    ...SETTINGS,
    stateVersion: 1,
    managedDeviceId,
    rotationToken: "2026-Q4",
    deviceName: "LAPTOP-0001",
    azureADDeviceId: "5f1e2d3c-2222-4b5a-8c7d-000000000001",
    collection: "managedDevices",
    rotationCount: 1,
    adopted: false,
    requestedAt: "2026-11-20T09:30:00.123Z",
    requestId: "d3a1c0de-0000-4000-8000-000000000001",
    clientRequestId: "c1a2b3c4-0000-4000-8000-000000000001",
    status: "requested",
    lastCheckedAt: "2026-11-26T08:00:00.000Z",
    ...state,
    __provider: PROVIDER_SENTINEL,
  };
  return {
    urn: urn(SINGLE_TYPE, name),
    custom: true,
    id: managedDeviceId,
    type: SINGLE_TYPE,
    inputs: {
      ...SETTINGS,
      managedDeviceId,
      rotationToken: outputs.rotationToken,
      __provider: PROVIDER_SENTINEL,
    },
    outputs,
    parent: urn("pulumi:pulumi:Stack", `${PROJECT}-${STACK}`),
    ...(extra.created ? { created: extra.created, modified: extra.created } : {}),
    ...(extra.delete ? { delete: true } : {}),
  };
}

/** The outcome fields of a single device, exactly as outcomeOf writes them. */
export function failedOutcome(errorCode: number): Partial<SingleDeviceState> {
  return outcomeOf({
    actionName: "rotateBitLockerKeys",
    actionState: "failed",
    startDateTime: "2026-11-20T09:30:00Z",
    lastUpdatedDateTime: "2026-11-20T09:45:00Z",
    errorCode,
  });
}

/**
 * A BitLockerKeyRotationFleet as exported, from device records: in the packed form of state
 * version 3 (packed.ts), or as state versions 1 and 2 wrote it (id → line).
 */
export function fleet(
  name: string,
  records: Record<string, DeviceRecord>,
  extra: { created?: string; form?: "packed" | "map" } = {},
): Resource {
  const lines = new Map(Object.entries(records).map(([id, r]) => [id, formatRecord(r)]));
  const ids = [...lines.keys()].sort();
  const packed = extra.form !== "map";
  const outputs = {
    ...SETTINGS,
    managedDeviceIds: packed ? packIds(ids) : ids,
    rotationToken: "2026-Q4",
    label: name,
    stateVersion: packed ? 3 : 1,
    devices: packed ? packDevices(lines) : Object.fromEntries(lines),
    counts: countStatuses(lines),
    lastRun: {
      at: "2026-11-20T09:30:00Z",
      rotated: ids.length,
      adopted: 0,
      skipped: 0,
      errors: 0,
      unchanged: 0,
      forgotten: 0,
    },
    __provider: PROVIDER_SENTINEL,
  };
  return {
    urn: urn(FLEET_TYPE, name),
    custom: true,
    id: `fleet-${name}`,
    type: FLEET_TYPE,
    inputs: {
      ...SETTINGS,
      managedDeviceIds: ids,
      rotationToken: "2026-Q4",
      label: name,
      __provider: PROVIDER_SENTINEL,
    },
    outputs,
    parent: urn("pulumi:pulumi:Stack", `${PROJECT}-${STACK}`),
    ...(extra.created ? { created: extra.created, modified: extra.created } : {}),
  };
}

export const HASH = tokenHash("2026-Q4");

/** A record line's fields. */
export function rec(
  status: DeviceRecord["status"],
  at: string,
  detail?: string,
  token = HASH,
): DeviceRecord {
  return { status, at, token, ...(detail ? { detail } : {}) };
}

/** `pulumi stack export` output: the stack resource first, as the CLI writes it. */
export function exported(...resources: Resource[]): Record<string, unknown> {
  return {
    version: 3,
    deployment: {
      manifest: { time: "2026-11-27T09:00:00.000Z", magic: "0".repeat(64), version: "v3.274.1" },
      secrets_providers: { type: "passphrase", state: { salt: "v1:AAAA" } },
      resources: [
        {
          urn: urn("pulumi:pulumi:Stack", `${PROJECT}-${STACK}`),
          custom: false,
          type: "pulumi:pulumi:Stack",
          outputs: { fleetStatuses: { done: 1 }, token: secret() },
        },
        ...resources,
      ],
      metadata: {},
    },
  };
}

/** A stack with one of everything. */
export function mixedStack(): Record<string, unknown> {
  return exported(
    single("helpdesk-disclosure", {
      managedDeviceId: guid(1),
      deviceName: "LAPTOP-0042",
      rotationToken: "INC-0001",
      status: "escrowed",
      actionState: "done",
      escrowedAt: "2026-11-20T09:50:00Z",
    }),
    single("finance-laptop", {
      managedDeviceId: guid(2),
      deviceName: "FIN-LT-7",
      ...failedOutcome(0x80310008 | 0),
    }),
    single("kiosk", {
      managedDeviceId: guid(3),
      deviceName: "KIOSK-3",
      status: "pending",
      actionState: "pending",
      hint: "Not applied within 900s (the device applies it at its next check-in); run `pulumi refresh` to follow it",
    }),
    single(
      "adopted-server",
      {
        managedDeviceId: guid(4),
        deviceName: "SRV-ADOPT",
        status: "adopted",
        adopted: true,
        rotationCount: 0,
        requestedAt: undefined,
        requestId: undefined,
        clientRequestId: undefined,
      },
      { created: "2026-05-01T12:00:00.000Z" },
    ),
    fleet("windows-fleet", {
      [guid(101)]: rec("done", "2026-11-20T09:30:00Z"),
      [guid(102)]: rec("escrowed", "2026-11-20T09:30:00Z"),
      [guid(103)]: rec("failed", "2026-11-20T09:30:00Z", "0x803100DA"),
      [guid(104)]: rec("pending", "2026-11-20T09:30:00Z"),
      [guid(105)]: rec("skipped", "2026-11-20T09:30:00Z", "osTooOld"),
      [guid(106)]: rec("error", "2026-11-20T09:30:00Z", "Forbidden", "-"),
      [guid(107)]: rec("unverified", "2026-11-20T09:30:00Z", "2026-10-01T00:00:00Z"),
      [guid(108)]: rec("missing", "2026-11-20T09:30:00Z", "notFound"),
      [guid(109)]: rec("adopted", "2026-06-01T00:00:00Z"),
      [guid(110)]: rec("requested", "2026-08-01T00:00:00Z"),
    }),
  );
}
