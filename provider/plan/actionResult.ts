// Reading the rotation's entry in deviceActionResults: which one is ours, and what it says.
import {
  ROTATE_ACTION_ODATA_TYPE,
  type DeviceActionResult,
  type ManagedDevice,
} from "../graph/types";

/** Server and client clocks differ; a result this much older than our request may still be ours. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

function isRotation(r: DeviceActionResult): boolean {
  // Graph documents the @odata.type, not the actionName: match the type, fall back to the name.
  return (
    r["@odata.type"] === ROTATE_ACTION_ODATA_TYPE || /rotatebitlocker/i.test(r.actionName ?? "")
  );
}

/** The most recently started rotation action result on the device, if any. */
export function latestRotationResult(device: ManagedDevice): DeviceActionResult | undefined {
  let latest: DeviceActionResult | undefined;
  for (const r of device.deviceActionResults ?? []) {
    if (!isRotation(r)) continue;
    if (!latest || Date.parse(r.startDateTime) > Date.parse(latest.startDateTime)) latest = r;
  }
  return latest;
}

/**
 * After a POST whose answer was lost: did Graph start a rotation? Compares the rotation's
 * startDateTime with the one seen before the POST, so no clock comparison is needed.
 */
export function rotationStartedSince(
  priorStartDateTime: string | undefined,
  device: ManagedDevice,
): boolean {
  const now = latestRotationResult(device);
  if (!now) return false;
  if (priorStartDateTime === undefined) return true;
  return Date.parse(now.startDateTime) > Date.parse(priorStartDateTime);
}

/** The result of the rotation requested at requestedAt, or undefined if Graph shows none yet. */
export function resultForRequest(
  device: ManagedDevice,
  requestedAt: string,
): DeviceActionResult | undefined {
  const r = latestRotationResult(device);
  if (!r) return undefined;
  return Date.parse(r.startDateTime) >= Date.parse(requestedAt) - CLOCK_SKEW_MS ? r : undefined;
}
