// One device, rotated once per token. The device and the token come from stack config
// (Pulumi.<stack>.yaml), so a rotation request is a one-line change to that file.
import * as pulumi from "@pulumi/pulumi";
import { BitLockerKeyRotation } from "pulumi-intune-bitlocker";

const config = new pulumi.Config();

const rotation = new BitLockerKeyRotation("device", {
  managedDeviceId: config.require("deviceId"),
  rotationToken: config.require("rotationToken"),
  reason: config.get("reason") || undefined,
});

export const deviceName = rotation.deviceName;
export const status = rotation.status;
export const rotationCount = rotation.rotationCount;
export const requestedAt = rotation.requestedAt;
