// Wire shapes of the Microsoft Graph beta resources this package reads and writes.
// Field names are Graph's own (see docs/graph-facts.md); only the fields we use are typed.

/** Graph's documented deviceActionResult states. */
export type ActionState =
  "none" | "pending" | "canceled" | "active" | "done" | "failed" | "notSupported";

/** One entry of managedDevice.deviceActionResults. */
export interface DeviceActionResult {
  "@odata.type"?: string;
  actionName: string;
  actionState: ActionState;
  startDateTime: string;
  lastUpdatedDateTime: string;
  /** HRESULT as a signed Int32 (only on rotateBitLockerKeysDeviceActionResult). */
  errorCode?: number;
}

/** The @odata.type that marks the rotation's action result (the actionName is undocumented). */
export const ROTATE_ACTION_ODATA_TYPE = "#microsoft.graph.rotateBitLockerKeysDeviceActionResult";

type JoinType = "unknown" | "azureADJoined" | "azureADRegistered" | "hybridAzureADJoined" | string;

export interface ManagedDevice {
  id: string;
  deviceName: string;
  operatingSystem: string;
  osVersion: string;
  isEncrypted: boolean;
  joinType: JoinType;
  /** mdm, configurationManagerClientMdm, configurationManagerClientMdmEas, … */
  managementAgent: string;
  /** The Entra device id: the recovery-key API's deviceId (not the Intune id). */
  azureADDeviceId: string;
  lastSyncDateTime: string;
  /** e.g. "Enterprise", "EnterpriseMultiSession" (Windows multi-session hosts). */
  skuFamily: string;
  deviceActionResults?: DeviceActionResult[];
}

/** The managedDevice fields the prerequisites and device queries read; `$select` keeps large reads small. */
export const DEVICE_FACT_FIELDS = [
  "id",
  "deviceName",
  "operatingSystem",
  "osVersion",
  "isEncrypted",
  "joinType",
  "managementAgent",
  "azureADDeviceId",
  "skuFamily",
  "lastSyncDateTime",
] as const;

/** The listed fields of a recovery key that this package keeps (never the key itself). */
export const RECOVERY_KEY_FIELDS = ["id", "createdDateTime", "deviceId", "volumeType"] as const;

/** A recovery-key entry as listed (never the key itself). */
export interface RecoveryKeyInfo {
  id: string;
  createdDateTime: string;
  deviceId: string;
  /** "1" = OS volume; a string on the wire. */
  volumeType: string;
}

/** Collection path under /beta/deviceManagement used to address a device. */
export type DeviceCollection = "managedDevices" | "comanagedDevices";

export type CloudName = "global" | "usgov" | "usgovdod" | "china";

/** One request inside a JSON $batch. */
export interface BatchRequest {
  id: string;
  method: "GET" | "POST" | "PATCH" | "DELETE" | "PUT";
  /** Relative to the version root, e.g. "/deviceManagement/managedDevices/{id}/rotateBitLockerKeys". */
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: string[];
}

export interface BatchResponse {
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}
