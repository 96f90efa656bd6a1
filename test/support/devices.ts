// Device facts for unit tests of the pure core (plain data, no I/O).
import type { DeviceActionResult, ManagedDevice } from "../../provider/graph/types";
import { ROTATE_ACTION_ODATA_TYPE } from "../../provider/graph/types";

export function windowsDevice(overrides: Partial<ManagedDevice> = {}): ManagedDevice {
  return {
    id: "0b7c5a2e-1111-4a2b-9c3d-000000000001",
    deviceName: "LAPTOP-001",
    operatingSystem: "Windows",
    osVersion: "10.0.19045.4651",
    isEncrypted: true,
    joinType: "azureADJoined",
    managementAgent: "mdm",
    azureADDeviceId: "5f1e2d3c-2222-4b5a-8c7d-000000000001",
    lastSyncDateTime: "2026-11-20T10:00:00Z",
    skuFamily: "Enterprise",
    deviceActionResults: [],
    ...overrides,
  };
}

export function rotationResult(overrides: Partial<DeviceActionResult> = {}): DeviceActionResult {
  return {
    "@odata.type": ROTATE_ACTION_ODATA_TYPE,
    actionName: "rotateBitLockerKeys",
    actionState: "pending",
    startDateTime: "2026-11-27T10:00:00Z",
    lastUpdatedDateTime: "2026-11-27T10:00:00Z",
    errorCode: 0,
    ...overrides,
  };
}
