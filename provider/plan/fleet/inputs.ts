// Validation of BitLockerKeyRotationFleet inputs at preview time, as plan/inputs.ts's INPUTS
// table says. Pure.
import { checkInputs, MAX_FLEET_SIZE, type CheckFailure, type RotationSettings } from "../inputs";

export { MAX_FLEET_SIZE };

export interface FleetInputs extends RotationSettings {
  /** Lower-cased, de-duplicated and sorted, so that order never causes a diff. */
  managedDeviceIds: string[];
  rotationToken: string;
  /** Per-device tokens that override the fleet's; keys lower-cased. */
  deviceTokens?: Record<string, string>;
}

export function checkFleet(news: Record<string, unknown>): {
  inputs: Record<string, unknown>;
  failures: CheckFailure[];
} {
  return checkInputs("fleet", news);
}

export function desiredToken(inputs: FleetInputs, id: string): string {
  return inputs.deviceTokens?.[id] ?? inputs.rotationToken;
}
