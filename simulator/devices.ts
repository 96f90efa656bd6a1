// The simulated device model: Graph's managedDevice as it goes on the wire, plus how the
// device behaves when it checks in after a rotation request.
import type { DeviceActionResult, ManagedDevice } from "./graphTypes";

/** A managedDevice with the extra (unused by the client) fields a real one carries. */
export interface WireManagedDevice extends ManagedDevice {
  userId: string;
  userPrincipalName: string;
  userDisplayName: string;
  emailAddress: string;
  managedDeviceOwnerType: string;
  enrolledDateTime: string;
  complianceState: string;
  deviceEnrollmentType: string;
  deviceRegistrationState: string;
  azureADRegistered: boolean;
  managementState: string;
  model: string;
  manufacturer: string;
  serialNumber: string;
  deviceActionResults: DeviceActionResult[];
}

/** What the device reports at its next check-in after a rotation request. */
export type RotationOutcome =
  | { state: "done" }
  | { state: "failed"; errorCode: number }
  | { state: "notSupported" }
  /** Never checks in: the action stays pending. */
  | { state: "offline" };

/** A device as the simulator keeps it. `device` is what Graph serves. */
export interface SimDevice {
  device: WireManagedDevice;
  outcome: RotationOutcome;
  /** Overrides the tenant's check-in delay for this device; null = only on checkIn(). */
  checkInDelayMs?: number | null;
  /** The fleet's label for why this device is as it is (e.g. "offline", "oldBuild"). */
  profile: string;
}

/** Input for an explicit device: any wire field, plus behaviour. Missing fields are filled in. */
export type DeviceInput = Partial<Omit<WireManagedDevice, "deviceActionResults">> & {
  deviceActionResults?: DeviceActionResult[];
  outcome?: RotationOutcome;
  checkInDelayMs?: number | null;
  /** Recovery keys already escrowed for the device (default: the fleet's recoveryKeysPerDevice). */
  recoveryKeys?: number;
  profile?: string;
};

/** Changes to an existing device: wire fields and behaviour. */
export type DevicePatch = Partial<Omit<WireManagedDevice, "id">> & {
  outcome?: RotationOutcome;
  checkInDelayMs?: number | null;
  profile?: string;
};

export const NIL_GUID = "00000000-0000-0000-0000-000000000000";

/** HRESULT (e.g. 0x80310008) → the signed Int32 Graph puts in errorCode (-2144272376). */
export function hresultToInt32(hresult: number): number {
  return hresult | 0;
}

export const ERROR_CODES = {
  /** FVE_E_NOT_ENCRYPTED: BitLocker is not enabled on the volume. */
  notEncrypted: hresultToInt32(0x80310008),
  /** ERROR_NOT_FOUND: element not found. */
  elementNotFound: hresultToInt32(0x80070490),
  /** The backup endpoint is busy. */
  backupBusy: hresultToInt32(0x803100e1),
  /** E_FAIL: Entra ID refused the escrow (the 200-key cap); the real code is not documented. */
  keyCapReached: hresultToInt32(0x80004005),
} as const;

/** The outcome a device's own facts imply (what a real device would report). */
export function impliedOutcome(device: ManagedDevice): RotationOutcome {
  if (device.operatingSystem.toLowerCase() !== "windows") return { state: "notSupported" };
  if (compareVersions(device.osVersion, "10.0.18363") < 0) return { state: "notSupported" };
  if (/multisession/i.test(device.skuFamily)) return { state: "notSupported" };
  if (device.joinType !== "azureADJoined" && device.joinType !== "hybridAzureADJoined") {
    return { state: "notSupported" };
  }
  if (!device.isEncrypted) return { state: "failed", errorCode: ERROR_CODES.notEncrypted };
  if (device.azureADDeviceId === NIL_GUID || device.azureADDeviceId === "") {
    return { state: "failed", errorCode: ERROR_CODES.elementNotFound };
  }
  return { state: "done" };
}

export function isCoManaged(device: Pick<ManagedDevice, "managementAgent">): boolean {
  return /^configurationManagerClient/i.test(device.managementAgent);
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split(".").map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
