// Which Graph collection addresses a device: co-managed devices (Configuration Manager agent)
// under /comanagedDevices, the rest under /managedDevices. Users may override.
import type { DeviceCollection, ManagedDevice } from "../graph/types";

export type EndpointSetting = "auto" | DeviceCollection;
export const ENDPOINT_SETTINGS: readonly EndpointSetting[] = [
  "auto",
  "managedDevices",
  "comanagedDevices",
];

export function isCoManaged(device: Pick<ManagedDevice, "managementAgent">): boolean {
  return /^configurationManagerClient/i.test(device.managementAgent ?? "");
}

export function chooseCollection(
  device: Pick<ManagedDevice, "managementAgent">,
  setting: EndpointSetting,
): DeviceCollection {
  if (setting !== "auto") return setting;
  return isCoManaged(device) ? "comanagedDevices" : "managedDevices";
}
