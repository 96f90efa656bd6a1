// Wire shapes of the Microsoft Graph beta resources the simulated tenant serves. Field names
// are Graph's own (see docs/graph-facts.md). The simulator keeps its own copy rather than
// importing the client's (provider/graph/types.ts): it is a separate package, and a
// server-side definition written apart from the client's is what lets the HTTPS tests catch a
// client that reads a field Graph does not send.

/** Graph's documented deviceActionResult states. */
type ActionState = "none" | "pending" | "canceled" | "active" | "done" | "failed" | "notSupported";

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
