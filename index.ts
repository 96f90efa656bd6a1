// The demo program (`npm start` runs `pulumi up` on it against the simulated tenant).
//
// A fleet rotation on a schedule, and one device rotated on its own after its recovery key
// was read out by the help desk. Change a token and run again: exactly those devices rotate.
import * as pulumi from "@pulumi/pulumi";
import {
  BitLockerKeyRotation,
  BitLockerKeyRotationFleet,
  selectDevices,
} from "pulumi-intune-bitlocker";

const config = new pulumi.Config();

export = async () => {
  // Every Windows device in the tenant; the fleet skips (with a reason) those that cannot rotate.
  const windows = await selectDevices({ operatingSystem: "Windows" });
  const [helpdeskLaptop] = await selectDevices({ operatingSystem: "Windows", eligibleOnly: true });
  if (!helpdeskLaptop) throw new Error("the tenant has no Windows device that can rotate");
  const others = windows.filter((d) => d.id !== helpdeskLaptop.id);

  const disclosure = new BitLockerKeyRotation("helpdesk-disclosure", {
    managedDeviceId: helpdeskLaptop.id,
    rotationToken: config.get("helpdeskToken") ?? "INC-0001",
    reason: "Recovery key read out to the user by the help desk",
    // Follow it to the device's check-in (the simulated tenant's devices check in quickly).
    waitFor: "applied",
    waitTimeoutSeconds: 60,
    pollIntervalSeconds: 2,
  });

  const fleet = new BitLockerKeyRotationFleet("windows-fleet", {
    managedDeviceIds: others.map((d) => d.id),
    rotationToken: config.get("rotationToken") ?? "2026-Q4",
    reason: "Quarterly rotation",
  });

  return {
    windowsDevices: windows.length,
    helpdeskDevice: disclosure.deviceName,
    helpdeskStatus: disclosure.status,
    fleetStatuses: fleet.counts,
    fleetLastRun: fleet.lastRun,
  };
};
