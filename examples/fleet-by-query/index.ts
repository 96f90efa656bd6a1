// A fleet chosen by a query: every Windows device whose name matches the pattern and that
// meets every rotation prerequisite, in one BitLockerKeyRotationFleet. The query runs on
// each preview and up, so a laptop enrolled later joins the fleet (and is rotated once) on
// the next run; one that leaves it is forgotten (never "un-rotated").
import * as pulumi from "@pulumi/pulumi";
import { BitLockerKeyRotationFleet, selectDevices } from "pulumi-intune-bitlocker";

const config = new pulumi.Config();

export = async () => {
  const devices = await selectDevices({
    namePattern: config.require("namePattern"),
    // Leave out devices that cannot rotate (unencrypted, too old a build, not joined, …).
    // Without it they stay in the fleet and are recorded as skipped, with the reason.
    eligibleOnly: true,
  });
  if (devices.length === 0) {
    pulumi.log.warn(`no eligible device matches ${config.require("namePattern")}`);
  }

  const fleet = new BitLockerKeyRotationFleet("laptops", {
    managedDeviceIds: devices.map((d) => d.id),
    rotationToken: config.require("rotationToken"),
    reason: config.get("reason") || undefined,
  });

  return {
    selected: devices.map((d) => d.deviceName),
    counts: fleet.counts,
    lastRun: fleet.lastRun,
  };
};
