// Validation of BitLockerKeyRotationFleet inputs at preview time, as plan/inputs.ts's INPUTS
// table says. Pure.
import { checkInputs, isUnknown, type CheckFailure, type RotationSettings } from "../inputs";
import { packIds, unpackIds } from "./packed";

export interface FleetInputs extends RotationSettings {
  /** Lower-cased, de-duplicated and sorted, so that order never causes a diff. */
  managedDeviceIds: string[];
  rotationToken: string;
  /** Per-device tokens that override the fleet's; keys lower-cased. */
  deviceTokens?: Record<string, string>;
}

/**
 * Validates the inputs. The id list may come packed (one id a line, as the program side sends
 * it) or as a list; it leaves packed, normalized, as state keeps it (packed.ts).
 */
export function checkFleet(news: Record<string, unknown>): {
  inputs: Record<string, unknown>;
  failures: CheckFailure[];
} {
  const ids = news.managedDeviceIds;
  const unpacked = typeof ids === "string" && !isUnknown(ids) ? unpackIds(ids) : ids;
  const checked = checkInputs("fleet", { ...news, managedDeviceIds: unpacked });
  const out = checked.inputs.managedDeviceIds;
  const refused = checked.failures.some((f) => f.property === "managedDeviceIds");
  if (!refused && Array.isArray(out) && out.every((id) => typeof id === "string" && !isUnknown(id)))
    checked.inputs.managedDeviceIds = packIds(out as string[]);
  return checked;
}

/** The inputs as the engine works with them: the id list unpacked (unknown stays unknown). */
export function fleetInputsOf<T extends object>(news: T): T & FleetInputs {
  const ids = (news as { managedDeviceIds?: unknown }).managedDeviceIds;
  if (typeof ids !== "string" || isUnknown(ids)) return news as T & FleetInputs;
  return { ...news, managedDeviceIds: unpackIds(ids) } as T & FleetInputs;
}

export function desiredToken(inputs: FleetInputs, id: string): string {
  return inputs.deviceTokens?.[id] ?? inputs.rotationToken;
}
