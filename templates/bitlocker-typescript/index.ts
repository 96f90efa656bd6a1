import {
  BitLockerKeyRotation,
  BitLockerKeyRotationFleet,
  selectDevices,
} from "pulumi-intune-bitlocker";

export = async () => {
  // The Windows desktops that can rotate (Windows ≥ 10.0.18363, Entra-joined, encrypted).
  const [helpdesk, ...desktops] = await selectDevices({
    namePattern: "DESKTOP-*",
    eligibleOnly: true,
  });
  if (!helpdesk) throw new Error("no device named DESKTOP-* can rotate");

  // One device, after its recovery key was read out by the help desk.
  new BitLockerKeyRotation("helpdesk", {
    managedDeviceId: helpdesk.id,
    rotationToken: "INC-0042", // change it to rotate this device again
  });

  // The others (never the help-desk device too: one resource per device), each quarter.
  const fleet = new BitLockerKeyRotationFleet("desktops", {
    managedDeviceIds: desktops.map((d) => d.id),
    rotationToken: "2026-Q4", // change it to rotate them all again
  });

  return { helpdesk: helpdesk.deviceName, desktops: fleet.counts };
};
