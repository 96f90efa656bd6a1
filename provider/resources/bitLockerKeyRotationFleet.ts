// Program side of BitLockerKeyRotationFleet: many devices in one resource, each rotated
// exactly once per token, at Intune's throttling limit. See engine/fleetProvider.ts. Its Args
// come from the inputs table (plan/inputs.ts) and its outputs from plan/outputs.ts.
import * as pulumi from "@pulumi/pulumi";
import { FLEET_OUTPUTS, type FleetOutputName, type FleetOutputState } from "../plan/outputs";
import { packIds } from "../plan/fleet/packed";
import type { OutputProperties, ProgramArgs } from "./args";
import { engineProvider } from "./engineProvider";

const provider = engineProvider("fleet", {
  configure: (req) => require("pulumi-intune-bitlocker/engine/fleet").configure(req),
  check: (o, n) => require("pulumi-intune-bitlocker/engine/fleet").check(o, n),
  diff: (id, o, n) => require("pulumi-intune-bitlocker/engine/fleet").diff(id, o, n),
  create: (i) => require("pulumi-intune-bitlocker/engine/fleet").create(i),
  update: (id, o, n) => require("pulumi-intune-bitlocker/engine/fleet").update(id, o, n),
  read: (id, p) => require("pulumi-intune-bitlocker/engine/fleet").read(id, p),
  delete: (id, p) => require("pulumi-intune-bitlocker/engine/fleet").delete(id, p),
});

/** Inputs of BitLockerKeyRotationFleet: see the inputs table in docs/concepts.md. */
export type BitLockerKeyRotationFleetArgs = ProgramArgs<"fleet">;

// devices: "<status> <time> <tokenHash> [detail]" → the ids holding it, space-separated
// (fleetDeviceRecords unpacks it); counts: devices per status; lastRun: what the last run did
// (see docs/concepts.md). Declared from one list.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface BitLockerKeyRotationFleet extends OutputProperties<
  FleetOutputState,
  FleetOutputName | "rotationToken"
> {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class BitLockerKeyRotationFleet extends pulumi.dynamic.Resource {
  constructor(
    name: string,
    args: BitLockerKeyRotationFleetArgs,
    opts?: pulumi.CustomResourceOptions,
  ) {
    const outputs = Object.fromEntries(FLEET_OUTPUTS.map((k) => [k, undefined]));
    super(
      provider,
      name,
      { ...outputs, label: name, ...args, managedDeviceIds: packed(args.managedDeviceIds) },
      opts,
      "bitlocker",
      "BitLockerKeyRotationFleet",
    );
  }
}

/**
 * The id list as one string, one id a line (plan/fleet/packed.ts): 50,000 ids as one value cost
 * Pulumi's gRPC and state a fraction of 50,000 values. The engine validates and sorts it.
 */
function packed(ids: BitLockerKeyRotationFleetArgs["managedDeviceIds"]): pulumi.Input<string> {
  if (Array.isArray(ids) && ids.every((id) => typeof id === "string")) return packIds(ids);
  // Not a list (a JavaScript caller's mistake): passed on as it is, for check to name.
  return pulumi
    .output(ids)
    .apply((list) => (Array.isArray(list) ? packIds(list) : (list as unknown as string)));
}
