// Program side of BitLockerKeyRotation: a thin pulumi.dynamic.Resource whose provider is the
// engine module loaded by package name (see engineProvider.ts). Its Args come from the inputs
// table (plan/inputs.ts) and its outputs from plan/outputs.ts.
import * as pulumi from "@pulumi/pulumi";
import type { EndpointSetting, WaitFor } from "../plan/inputs";
import { SINGLE_DEVICE_OUTPUTS, type SingleDeviceOutputName } from "../plan/outputs";
import type { SingleDeviceState } from "../plan/singleDevicePlan";
import type { OutputProperties, ProgramArgs } from "./args";
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

/** Graph collection to address: auto (co-managed devices → comanagedDevices). */
export type Endpoint = EndpointSetting;
export type { WaitFor };

/** Inputs of BitLockerKeyRotation: see the inputs table in docs/concepts.md. */
export type BitLockerKeyRotationArgs = ProgramArgs<"single">;

// The output properties (status: adopted | requested | pending | done | escrowed | failed |
// notSupported | canceled | unverified | missing), declared from one list.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface BitLockerKeyRotation extends OutputProperties<
  SingleDeviceState,
  SingleDeviceOutputName | "managedDeviceId" | "rotationToken"
> {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class BitLockerKeyRotation extends pulumi.dynamic.Resource {
  constructor(name: string, args: BitLockerKeyRotationArgs, opts?: pulumi.CustomResourceOptions) {
    const outputs = Object.fromEntries(SINGLE_DEVICE_OUTPUTS.map((k) => [k, undefined]));
    super(provider, name, { ...outputs, ...args }, opts, "bitlocker", "BitLockerKeyRotation");
  }
}
