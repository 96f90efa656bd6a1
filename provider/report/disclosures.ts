// The disclosure trail an auditor asks for: per device, who read its BitLocker recovery key,
// when, and when it was rotated for that read. The reads come from a stack output named
// `disclosed` (examples/rotate-on-disclosure: device id → {token, deviceName, readAt, readBy});
// the rotation from the fleet's record of the device, whose tokenHash proves it was requested
// for that read's token. Pure.
import { tokenHash } from "../plan/fleet/record";
import { isObject } from "./exported";
import type { ReportRow } from "./types";

export interface DisclosureRow {
  deviceId: string;
  deviceName?: string;
  readBy: string;
  readAt: string;
  /** When the rotation for this read was requested; absent while it is not. */
  rotatedAt?: string;
  /** The fleet's status for the device (requested, done, …), when it settles this read. */
  status?: string;
  resource?: string;
}

/** The stack output that holds the reads. */
const DISCLOSED_OUTPUT = "disclosed";

/** Reads from a stack's outputs, matched with the rows that rotated for them; newest read first. */
export function disclosureRows(
  stackOutputs: Record<string, unknown> | undefined,
  rows: readonly ReportRow[],
): DisclosureRow[] {
  const disclosed = stackOutputs?.[DISCLOSED_OUTPUT];
  if (!isObject(disclosed)) return [];
  const out: DisclosureRow[] = [];
  for (const [deviceId, v] of Object.entries(disclosed)) {
    if (!isObject(v) || typeof v.token !== "string" || typeof v.readAt !== "string") continue;
    const hash = tokenHash(v.token);
    const settled = rows.find((r) => r.deviceId === deviceId && r.token === hash);
    const rotated = settled && settled.atKind === "requested" ? settled : undefined;
    out.push({
      deviceId,
      ...(typeof v.deviceName === "string" && v.deviceName ? { deviceName: v.deviceName } : {}),
      readBy: typeof v.readBy === "string" ? v.readBy : "unknown",
      readAt: v.readAt,
      ...(rotated?.at ? { rotatedAt: rotated.at } : {}),
      ...(settled ? { status: String(settled.status), resource: settled.resource } : {}),
    });
  }
  return out.sort(
    (a, b) => b.readAt.localeCompare(a.readAt) || a.deviceId.localeCompare(b.deviceId),
  );
}
