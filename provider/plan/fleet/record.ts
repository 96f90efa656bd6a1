// One device's line in a fleet's state, kept as a single short string so that state stays
// under 200 bytes per device even as `pulumi stack export` pretty-prints it:
//   "<status> <time> <tokenHash> [detail]"
//   "requested 2026-11-27T10:00:00Z 3fa9c1e2b4d5"
//   "failed 2026-11-27T10:00:00Z 3fa9c1e2b4d5 0x80310008"
//   "skipped 2026-11-27T10:00:00Z 3fa9c1e2b4d5 osTooOld"
//   "error 2026-11-27T10:00:00Z - Forbidden"          (request failed; nothing rotated)
import { createHash } from "node:crypto";
import type { RotationStatus } from "../status";

export type FleetDeviceStatus = RotationStatus | "skipped" | "error";

export interface DeviceRecord {
  status: FleetDeviceStatus;
  /** For rotations: when requested. For skips and errors: when decided. ISO 8601, seconds. */
  at: string;
  /** tokenHash of the token this record settles, or "-" when none (an error on a new device). */
  token: string;
  /** A skip reason code, an HRESULT, or a Graph error code. */
  detail?: string;
}

/** A request was accepted for these: the rotation was sent (its outcome may still come). */
export const SENT: readonly FleetDeviceStatus[] = [
  "requested",
  "pending",
  "done",
  "escrowed",
  "failed",
  "notSupported",
  "canceled",
];

/** Statuses that settle a device for its token: nothing more is sent for that token. */
const SETTLED: ReadonlySet<FleetDeviceStatus> = new Set<FleetDeviceStatus>([
  ...SENT,
  "adopted",
  "missing",
  "skipped",
]);

export function settlesToken(record: DeviceRecord): boolean {
  return SETTLED.has(record.status);
}

/** A short, stable fingerprint of a token: 48 bits of SHA-256 in hex. */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex").slice(0, 12);
}

export function formatRecord(r: DeviceRecord): string {
  const at = r.at.replace(/\.\d{3}Z$/, "Z");
  return [r.status, at, r.token, ...(r.detail ? [r.detail.replace(/\s+/g, "_")] : [])].join(" ");
}

export function parseRecord(line: string): DeviceRecord | undefined {
  const [status, at, token, detail] = line.split(" ");
  if (!status || !at || !token) return undefined;
  return { status: status as FleetDeviceStatus, at, token, ...(detail ? { detail } : {}) };
}
