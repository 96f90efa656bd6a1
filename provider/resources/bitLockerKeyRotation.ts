// Program side of BitLockerKeyRotation: a thin pulumi.dynamic.Resource whose provider is the
// engine module loaded by package name (see engineProvider.ts).
import * as pulumi from "@pulumi/pulumi";
import { engineProvider } from "./engineProvider";

const provider = engineProvider("single-device", {
  configure: (req) => require("pulumi-intune-bitlocker/engine/single-device").configure(req),
  check: (o, n) => require("pulumi-intune-bitlocker/engine/single-device").check(o, n),
  diff: (id, o, n) => require("pulumi-intune-bitlocker/engine/single-device").diff(id, o, n),
  create: (i) => require("pulumi-intune-bitlocker/engine/single-device").create(i),
  update: (id, o, n) => require("pulumi-intune-bitlocker/engine/single-device").update(id, o, n),
  read: (id, p) => require("pulumi-intune-bitlocker/engine/single-device").read(id, p),
  delete: (id, p) => require("pulumi-intune-bitlocker/engine/single-device").delete(id, p),
});

export type Endpoint = "auto" | "managedDevices" | "comanagedDevices";
export type WaitFor = "requested" | "applied" | "escrowed";

export interface BitLockerKeyRotationArgs {
  /** The Intune managed device id (a GUID). A new id replaces the resource. */
  managedDeviceId: pulumi.Input<string>;
  /** Any text; each new value rotates the device's recovery password once. */
  rotationToken: pulumi.Input<string>;
  /** false: bring the device under management without rotating now. Default true. */
  rotateOnCreate?: pulumi.Input<boolean>;
  /** Graph collection to address: auto (co-managed devices → comanagedDevices). */
  endpoint?: pulumi.Input<Endpoint>;
  /** requested (default): return after Graph accepts; applied / escrowed: wait for the device. */
  waitFor?: pulumi.Input<WaitFor>;
  /** How long to wait for `applied` / `escrowed` before reporting "pending". Default 900. */
  waitTimeoutSeconds?: pulumi.Input<number>;
  /** Poll interval while waiting. Default 30. */
  pollIntervalSeconds?: pulumi.Input<number>;
  /** Why (a ticket, an incident): recorded in state for the audit trail. */
  reason?: pulumi.Input<string>;
}

/** Names of the outputs the engine records, so that Pulumi exposes them as properties. */
const OUTPUTS = [
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
] as const;

export class BitLockerKeyRotation extends pulumi.dynamic.Resource {
  declare readonly managedDeviceId: pulumi.Output<string>;
  /** The token last rotated (or adopted). */
  declare readonly rotationToken: pulumi.Output<string>;
  declare readonly deviceName: pulumi.Output<string>;
  declare readonly azureADDeviceId: pulumi.Output<string>;
  declare readonly collection: pulumi.Output<string>;
  declare readonly rotationCount: pulumi.Output<number>;
  declare readonly adopted: pulumi.Output<boolean>;
  declare readonly requestedAt: pulumi.Output<string | undefined>;
  declare readonly requestId: pulumi.Output<string | undefined>;
  declare readonly clientRequestId: pulumi.Output<string | undefined>;
  /** adopted | requested | pending | done | escrowed | failed | notSupported | canceled | unverified | missing */
  declare readonly status: pulumi.Output<string>;
  declare readonly actionState: pulumi.Output<string | undefined>;
  declare readonly errorCode: pulumi.Output<number | undefined>;
  declare readonly errorText: pulumi.Output<string | undefined>;
  declare readonly hint: pulumi.Output<string | undefined>;
  declare readonly escrowedAt: pulumi.Output<string | undefined>;
  declare readonly lastCheckedAt: pulumi.Output<string | undefined>;

  constructor(name: string, args: BitLockerKeyRotationArgs, opts?: pulumi.CustomResourceOptions) {
    const outputs = Object.fromEntries(OUTPUTS.map((k) => [k, undefined]));
    super(provider, name, { ...outputs, ...args }, opts, "bitlocker", "BitLockerKeyRotation");
  }
}
