// Program side of BitLockerKeyRotationFleet: many devices in one resource, each rotated
// exactly once per token, at Intune's throttling limit. See engine/fleetProvider.ts.
import * as pulumi from "@pulumi/pulumi";
import type { Endpoint, WaitFor } from "./bitLockerKeyRotation";
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

export interface BitLockerKeyRotationFleetArgs {
  /** Intune managed device ids (GUIDs). Order and duplicates do not matter. */
  managedDeviceIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The fleet's token: each new value rotates every device once. */
  rotationToken: pulumi.Input<string>;
  /** Per-device tokens overriding the fleet's (e.g. one device after a help-desk disclosure). */
  deviceTokens?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** false: devices new to the fleet are adopted without rotating. Default true. */
  rotateOnCreate?: pulumi.Input<boolean>;
  endpoint?: pulumi.Input<Endpoint>;
  waitFor?: pulumi.Input<WaitFor>;
  waitTimeoutSeconds?: pulumi.Input<number>;
  pollIntervalSeconds?: pulumi.Input<number>;
  /** Why (a ticket, an incident): recorded in state. */
  reason?: pulumi.Input<string>;
  /** Name used in progress lines; defaults to the resource name. */
  label?: pulumi.Input<string>;
}

export class BitLockerKeyRotationFleet extends pulumi.dynamic.Resource {
  declare readonly rotationToken: pulumi.Output<string>;
  /** Device id → "<status> <time> <tokenHash> [detail]" (see docs/concepts.md). */
  declare readonly devices: pulumi.Output<Record<string, string>>;
  /** Devices per status: requested, pending, done, escrowed, failed, skipped, error, … */
  declare readonly counts: pulumi.Output<Record<string, number>>;
  /** The last run: rotated, adopted, skipped, errors, unchanged, forgotten. */
  declare readonly lastRun: pulumi.Output<Record<string, number | string>>;
  declare readonly lastCheckedAt: pulumi.Output<string | undefined>;

  constructor(
    name: string,
    args: BitLockerKeyRotationFleetArgs,
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(
      provider,
      name,
      {
        devices: undefined,
        counts: undefined,
        lastRun: undefined,
        lastCheckedAt: undefined,
        label: name,
        ...args,
      },
      opts,
      "bitlocker",
      "BitLockerKeyRotationFleet",
    );
  }
}
