// The outputs each resource records, named once: the resource classes declare their output
// properties from these lists (so Pulumi exposes them) and take their types from the engine's
// state types, so a name that is not in state does not compile.
import type { FleetState } from "./fleet/plan";
import type { SingleDeviceState } from "./singleDevicePlan";

/** What BitLockerKeyRotation records besides its inputs. */
export const SINGLE_DEVICE_OUTPUTS = [
  "deviceName",
  "azureADDeviceId",
  "collection",
  "rotationCount",
  "adopted",
  "requestedAt",
  "requestId",
  "clientRequestId",
  "status",
  "actionState",
  "errorCode",
  "errorText",
  "hint",
  "escrowedAt",
  "lastCheckedAt",
] as const satisfies readonly (keyof SingleDeviceState)[];

/**
 * The fleet's state as programs see it: lastCheckedAt is stamped by the engine; counts and
 * lastRun keep the plain record types the package has always exposed.
 */
export type FleetOutputState = Omit<FleetState, "counts" | "lastRun"> & {
  counts: Record<string, number>;
  lastRun: Record<string, number | string>;
  lastCheckedAt?: string;
};

/** What BitLockerKeyRotationFleet records besides its inputs. */
export const FLEET_OUTPUTS = [
  "devices",
  "counts",
  "lastRun",
  "lastCheckedAt",
] as const satisfies readonly (keyof FleetOutputState)[];

export type SingleDeviceOutputName = (typeof SINGLE_DEVICE_OUTPUTS)[number];
export type FleetOutputName = (typeof FLEET_OUTPUTS)[number];
