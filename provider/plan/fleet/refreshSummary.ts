// The line a fleet's `pulumi refresh` ends with: which statuses changed, as
// "requested 33 → done 29, failed 2, pending 2", naming the first devices of each change, then
// the counts now. Pulumi itself shows a refreshed fleet as "unchanged" whenever its inputs are,
// whatever its records did. Pure: the records before and after the read in, text out.
import { sample } from "./describe";
import { parseRecord, type FleetDeviceStatus } from "./record";

/** The order statuses are named in: outcomes first, then what is still open, then the rest. */
const ORDER: readonly FleetDeviceStatus[] = [
  "escrowed",
  "done",
  "failed",
  "notSupported",
  "canceled",
  "pending",
  "requested",
  "unverified",
  "missing",
  "adopted",
  "skipped",
  "error",
];
const rank = (s: string) => {
  const i = ORDER.indexOf(s as FleetDeviceStatus);
  return i < 0 ? ORDER.length : i;
};

export interface StatusChange {
  from: FleetDeviceStatus;
  to: FleetDeviceStatus;
  /** Devices that moved, with their detail (an HRESULT, a reason) when the new record has one. */
  ids: string[];
  details: (string | undefined)[];
}

/** Devices whose status differs between two record maps, grouped by (from, to), in ORDER. */
export function statusChanges(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
): StatusChange[] {
  const groups = new Map<string, StatusChange>();
  for (const [id, line] of Object.entries(after)) {
    const was = before[id] === undefined ? undefined : parseRecord(before[id]);
    const now = parseRecord(line);
    if (!was || !now || was.status === now.status) continue;
    const key = `${was.status} ${now.status}`;
    const g = groups.get(key) ?? { from: was.status, to: now.status, ids: [], details: [] };
    g.ids.push(id);
    g.details.push(now.detail);
    groups.set(key, g);
  }
  return [...groups.values()].sort(
    (a, b) => rank(a.from) - rank(b.from) || rank(a.to) - rank(b.to),
  );
}

function counts(devices: Readonly<Record<string, string>>): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of Object.values(devices)) {
    const s = parseRecord(line)?.status;
    if (s) m.set(s, (m.get(s) ?? 0) + 1);
  }
  return new Map([...m].sort(([a], [b]) => rank(a) - rank(b)));
}

/** "fleet L refreshed: requested 33 → done 29, failed 2, pending 2 (done: …; failed: … (0x80310008)); now …". */
export function summarizeRefresh(
  label: string,
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
): string {
  const changes = statusChanges(before, after);
  const now = [...counts(after)].map(([s, n]) => `${s} ${n}`).join(", ") || "no devices";
  if (changes.length === 0) return `fleet ${label} refreshed: no status changed; now ${now}`;
  // One clause per old status: "requested 33 → done 29, failed 2, pending 2".
  const byFrom = new Map<string, StatusChange[]>();
  for (const c of changes) byFrom.set(c.from, [...(byFrom.get(c.from) ?? []), c]);
  const moved = changes.reduce((n, c) => n + c.ids.length, 0);
  const clauses = [...byFrom].map(([from, cs]) => {
    const n = cs.reduce((k, c) => k + c.ids.length, 0);
    return `${from} ${n} → ${cs.map((c) => `${c.to} ${c.ids.length}`).join(", ")}`;
  });
  const named = changes.map((c) => {
    const ids = c.ids.map((id, i) => (c.details[i] ? `${id} (${c.details[i]})` : id));
    return `${c.from} → ${c.to}: ${sample(ids)}`;
  });
  return (
    `fleet ${label} refreshed: ${moved} status change(s): ${clauses.join("; ")} ` +
    `[${named.join("; ")}]; now ${now}`
  );
}

/** The one-device version: "device <id> (<name>) refreshed: requested → failed (0x80310008 …); <hint>". */
export function summarizeSingleRefresh(
  id: string,
  before: { status?: string },
  after: { status?: string; deviceName?: string; errorText?: string; hint?: string },
): string {
  const who = `device ${id}${after.deviceName ? ` (${after.deviceName})` : ""}`;
  const was = before.status ?? "unknown";
  const now = after.status ?? "unknown";
  if (was === now) return `${who} refreshed: no status change (${now})`;
  const detail = after.errorText ? ` (${after.errorText})` : "";
  const hint = after.hint && now !== "done" && now !== "escrowed" ? `; ${after.hint}` : "";
  return `${who} refreshed: ${was} → ${now}${detail}${hint}`;
}
