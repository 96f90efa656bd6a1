// pulumi-intune-bitlocker: Intune BitLocker recovery-key rotation as Pulumi resources.
import "./nodeCheck"; // first: a too-old Node.js fails here with one line
export { BitLockerKeyRotation } from "./resources/bitLockerKeyRotation";
export type { BitLockerKeyRotationArgs, Endpoint, WaitFor } from "./resources/bitLockerKeyRotation";
export { BitLockerKeyRotationFleet } from "./resources/bitLockerKeyRotationFleet";
export type { BitLockerKeyRotationFleetArgs } from "./resources/bitLockerKeyRotationFleet";
export { fleetDeviceRecords } from "./plan/fleet/packed";
export { selectDevices } from "./query/selectDevices";
export type { DeviceQuery, SelectedDevice } from "./query/selectDevices";
export {
  selectDisclosedDevices,
  findDisclosedDevices,
  disclosureTokens,
} from "./query/selectDisclosedDevices";
export type {
  DisclosedDevice,
  DisclosureQuery,
  DisclosureResult,
  UnresolvedRead,
} from "./query/selectDisclosedDevices";
export {
  mergeDisclosures,
  mergeDisclosureTokens,
  disclosureToken,
  AUDIT_RETENTION_DAYS,
} from "./plan/disclosure";
export type { DisclosureRecord } from "./plan/disclosure";
export { rotationWindow, rotationWindowBounds, RotationWindowError } from "./plan/rotationWindow";
export type { RotationWindow, RotationWindowOptions } from "./plan/rotationWindow";
