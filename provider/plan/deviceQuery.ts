// Which devices a program selects. Graph's $filter on managedDevices is unreliable (unknown
// properties are silently ignored, `or` can drop matches), so at most one `eq` goes to the
// server and every condition is checked again here. Pure.
import type { ManagedDevice } from "../graph/types";
import { isCoManaged } from "./collection";
import { unmetPrerequisites } from "./prerequisites";

export interface DeviceQuery {
  /** Default "Windows"; "*" for any. */
  operatingSystem?: string;
  /** e.g. ["azureADJoined", "hybridAzureADJoined"]. */
  joinTypes?: string[];
  encrypted?: boolean;
  /** A glob on deviceName ("LAPTOP-*", "*-KIOSK-??"), case-insensitive. */
  namePattern?: string;
  coManaged?: boolean;
  /** Only devices that checked in within this many days. */
  checkedInWithinDays?: number;
  /** Only devices that meet every rotation prerequisite. */
  eligibleOnly?: boolean;
}

/** The single server-side condition (case-sensitive on Graph's side, so re-checked). */
export function serverFilter(q: DeviceQuery): { property: string; value: string } | undefined {
  const os = q.operatingSystem ?? "Windows";
  return os === "*" ? undefined : { property: "operatingSystem", value: os };
}

export function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`, "i");
}

export function matchesQuery(device: ManagedDevice, q: DeviceQuery, now: Date): boolean {
  const os = q.operatingSystem ?? "Windows";
  if (os !== "*" && (device.operatingSystem ?? "").toLowerCase() !== os.toLowerCase()) return false;
  if (q.joinTypes && !q.joinTypes.includes(device.joinType)) return false;
  if (q.encrypted !== undefined && device.isEncrypted !== q.encrypted) return false;
  if (q.namePattern && !globToRegExp(q.namePattern).test(device.deviceName ?? "")) return false;
  if (q.coManaged !== undefined && isCoManaged(device) !== q.coManaged) return false;
  if (q.checkedInWithinDays !== undefined) {
    const synced = Date.parse(device.lastSyncDateTime);
    if (!(now.getTime() - synced <= q.checkedInWithinDays * 86_400_000)) return false;
  }
  if (q.eligibleOnly && unmetPrerequisites(device).length > 0) return false;
  return true;
}
