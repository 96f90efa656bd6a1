// Which devices a program selects. Graph's $filter on managedDevices is unreliable (unknown
// properties are silently ignored, `or` can drop matches), so at most one `eq` goes to the
// server and every condition is checked again here. Pure.
import type { ManagedDevice } from "../graph/types";
import { isCoManaged } from "./collection";
import { preview } from "./inputs";
import { unmetPrerequisites } from "./prerequisites";

/** Intune's managedDevice joinType values. */
const JOIN_TYPES = [
  "azureADJoined",
  "hybridAzureADJoined",
  "azureADRegistered",
  "unknown",
] as const;
type QueryJoinType = (typeof JOIN_TYPES)[number];

export interface DeviceQuery {
  /** Default "Windows"; "*" for any. */
  operatingSystem?: string;
  /** A list, e.g. ["azureADJoined", "hybridAzureADJoined"]. */
  joinTypes?: QueryJoinType[];
  encrypted?: boolean;
  /** A glob on deviceName ("LAPTOP-*", "*-KIOSK-??"), case-insensitive. */
  namePattern?: string;
  coManaged?: boolean;
  /** Only devices that checked in within this many days. */
  checkedInWithinDays?: number;
  /** Only devices that meet every rotation prerequisite. */
  eligibleOnly?: boolean;
}

const QUERY_KEYS: readonly (keyof DeviceQuery)[] = [
  "operatingSystem",
  "joinTypes",
  "encrypted",
  "namePattern",
  "coManaged",
  "checkedInWithinDays",
  "eligibleOnly",
];

/**
 * What is wrong with a query a program passed (JavaScript programs, or values built at run
 * time, escape the types): one sentence per problem, empty when it is usable.
 */
export function deviceQueryProblems(q: unknown): string[] {
  if (q === undefined) return [];
  if (q === null || typeof q !== "object" || Array.isArray(q)) {
    return [`the query must be an object such as { namePattern: "LAPTOP-*" }; got ${preview(q)}`];
  }
  const out: string[] = [];
  const v = q as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (!(QUERY_KEYS as readonly string[]).includes(key)) {
      out.push(`unknown query option ${preview(key)}; known: ${QUERY_KEYS.join(", ")}`);
    }
  }
  const text = (key: keyof DeviceQuery, example: string) => {
    if (v[key] !== undefined && typeof v[key] !== "string") {
      out.push(`${key} must be text such as ${example}; got ${preview(v[key])}`);
    }
  };
  const flag = (key: keyof DeviceQuery) => {
    if (v[key] !== undefined && typeof v[key] !== "boolean") {
      out.push(`${key} must be true or false; got ${preview(v[key])}`);
    }
  };
  text("operatingSystem", '"Windows" (or "*" for any)');
  text("namePattern", '"LAPTOP-*"');
  flag("encrypted");
  flag("coManaged");
  flag("eligibleOnly");
  const jt = v.joinTypes;
  if (jt !== undefined) {
    if (!Array.isArray(jt)) {
      out.push(
        `joinTypes must be a list such as ["azureADJoined"] (each value matched whole); got ${preview(jt)}`,
      );
    } else {
      const unknown = jt.filter((t) => !(JOIN_TYPES as readonly unknown[]).includes(t));
      if (unknown.length > 0) {
        out.push(
          `joinTypes: ${unknown.map(preview).join(", ")} is not a join type; use ${JOIN_TYPES.join(", ")}`,
        );
      }
    }
  }
  const days = v.checkedInWithinDays;
  if (days !== undefined && (typeof days !== "number" || !Number.isFinite(days) || days < 0)) {
    out.push(`checkedInWithinDays must be a number of days, 0 or more; got ${preview(days)}`);
  }
  return out;
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
  if (q.joinTypes && !(q.joinTypes as readonly string[]).includes(device.joinType)) return false;
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
