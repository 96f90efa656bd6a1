// Which devices can rotate at all, decided from the device's Graph facts alone.
import type { ManagedDevice } from "../graph/types";
import { isNilGuid } from "./ids";
import { isAtLeast, MIN_WINDOWS_VERSION } from "./osVersion";

export type PrerequisiteCode =
  "notWindows" | "osTooOld" | "notJoined" | "notEncrypted" | "multiSession" | "noEntraDevice";

export interface UnmetPrerequisite {
  code: PrerequisiteCode;
  /** One sentence naming the fact and the requirement. */
  reason: string;
}

const JOINED = new Set(["azureADJoined", "hybridAzureADJoined"]);

/** Every unmet prerequisite of the rotation action, in a stable order; empty when all are met. */
export function unmetPrerequisites(device: ManagedDevice): UnmetPrerequisite[] {
  const unmet: UnmetPrerequisite[] = [];
  if ((device.operatingSystem ?? "").toLowerCase() !== "windows") {
    unmet.push({
      code: "notWindows",
      reason: `operatingSystem is "${device.operatingSystem}"; BitLocker key rotation needs Windows`,
    });
  } else if (!isAtLeast(device.osVersion ?? "", MIN_WINDOWS_VERSION)) {
    unmet.push({
      code: "osTooOld",
      reason: `osVersion ${device.osVersion} is older than ${MIN_WINDOWS_VERSION} (Windows 10 1909)`,
    });
  }
  if (!JOINED.has(device.joinType)) {
    unmet.push({
      code: "notJoined",
      reason: `joinType is "${device.joinType}"; it must be azureADJoined or hybridAzureADJoined`,
    });
  }
  if (device.isEncrypted !== true) {
    unmet.push({ code: "notEncrypted", reason: "isEncrypted is false: BitLocker is not on" });
  }
  if (/multisession/i.test(device.skuFamily ?? "")) {
    unmet.push({
      code: "multiSession",
      reason: `skuFamily "${device.skuFamily}": Windows Enterprise multi-session is not supported`,
    });
  }
  if (isNilGuid(device.azureADDeviceId)) {
    unmet.push({
      code: "noEntraDevice",
      reason: "azureADDeviceId is empty: the device has no Entra ID object to escrow keys to",
    });
  }
  return unmet;
}

export function describeUnmet(unmet: UnmetPrerequisite[]): string {
  return unmet.map((u) => u.reason).join("; ");
}
