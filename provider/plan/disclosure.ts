// Rotate what was disclosed: from Entra's `Read BitLocker key` audit events to one rotation
// token per device. Pure: the query (provider/query/selectDisclosedDevices.ts) does the I/O.
//
// The token of a device is the time of the latest read of its key that we know of. A run
// rotates a device when that time moved; a read listed late still carries its own time, so:
//  - a late event whose read came before the last rotation was already covered by it (the
//    rotation replaced the key that was read) and its time is not newer than the token;
//  - a read after the last rotation has a newer time and rotates the device once.
// Entra keeps events 30 days by default. A device whose event aged out keeps the token the
// program declared last time (`mergeDisclosureTokens`), so it neither rotates nor is dropped.

const READ_BITLOCKER_KEY = "Read BitLocker key";

/** Entra's default retention of directory audit events, in days. */
export const AUDIT_RETENTION_DAYS = 30;

/** What the query needs of a directoryAudit event (the documented shape, loosely typed). */
export interface DirectoryAuditEvent {
  id?: string;
  activityDisplayName?: string;
  activityDateTime?: string;
  result?: string;
  initiatedBy?: {
    user?: { userPrincipalName?: string | null; displayName?: string | null; id?: string } | null;
    app?: { appId?: string | null; displayName?: string | null } | null;
  } | null;
  targetResources?: { id?: string | null; displayName?: string | null; type?: string | null }[];
}

/** One read of a recovery key, as the audit log tells it. */
export interface KeyRead {
  /** The recovery key's id (the first target resource's displayName). */
  keyId: string;
  /** ISO time of the read (the event's activityDateTime). */
  readAt: string;
  /** The user principal name, else the app's name or id, else "unknown". */
  readBy: string;
  /** The audit event's id, to find it again in Entra. */
  eventId: string;
}

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/**
 * The key reads among audit events: `Read BitLocker key`, successful, with a key id. The key
 * id is taken as the GUID inside the first target's displayName (Sentinel's hunting query
 * reads that field; a prefix around the id would not stop us).
 */
export function keyReadsFrom(events: readonly DirectoryAuditEvent[]): KeyRead[] {
  const reads: KeyRead[] = [];
  for (const e of events) {
    if (e.activityDisplayName?.toLowerCase() !== READ_BITLOCKER_KEY.toLowerCase()) continue;
    if (e.result && e.result.toLowerCase() !== "success") continue;
    const at = e.activityDateTime ? Date.parse(e.activityDateTime) : NaN;
    if (Number.isNaN(at)) continue;
    const keyId = GUID.exec(e.targetResources?.[0]?.displayName ?? "")?.[0]?.toLowerCase();
    if (!keyId) continue;
    const user = e.initiatedBy?.user;
    const app = e.initiatedBy?.app;
    const readBy =
      user?.userPrincipalName ||
      user?.displayName ||
      (app ? `app ${app.displayName || app.appId || "?"}` : "") ||
      "unknown";
    reads.push({ keyId, readAt: new Date(at).toISOString(), readBy, eventId: e.id ?? "" });
  }
  return reads;
}

/** The latest read per key, newest first. */
export function latestReadPerKey(reads: readonly KeyRead[]): KeyRead[] {
  const latest = new Map<string, KeyRead>();
  for (const r of reads) {
    const seen = latest.get(r.keyId);
    if (!seen || r.readAt > seen.readAt) latest.set(r.keyId, r);
  }
  return [...latest.values()].sort((a, b) => b.readAt.localeCompare(a.readAt));
}

/** The rotation token a read gives its device: the read's time, so a newer read differs. */
export function disclosureToken(readAt: string): string {
  return `read ${new Date(readAt).toISOString()}`;
}

/** The read time in a token made by disclosureToken, or undefined for any other token. */
export function readTimeOf(token: string | undefined): number | undefined {
  const m = /^read (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)$/.exec(token ?? "");
  return m ? Date.parse(m[1] as string) : undefined;
}

/**
 * Tokens for this run: for every device the program declared last time or that was read now,
 * the later of the two. So a device whose read event aged out of the audit log keeps its last
 * token (no rotation, and it stays in the fleet with its record), an event listed late for a
 * read older than the token changes nothing, and a newer read rotates once.
 */
export function mergeDisclosureTokens(
  previous: Readonly<Record<string, string>>,
  current: Readonly<Record<string, string>>,
): Record<string, string> {
  const merged: Record<string, string> = { ...previous };
  for (const [device, token] of Object.entries(current)) {
    const before = readTimeOf(merged[device]);
    const now = readTimeOf(token);
    if (before === undefined || (now !== undefined && now > before)) merged[device] = token;
  }
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
}

/** The start of the audit query: `days` back from now (default Entra's whole retention). */
export function auditWindowStart(now: Date, days: number = AUDIT_RETENTION_DAYS): Date {
  if (!(days > 0) || !Number.isFinite(days))
    throw new RangeError(`withinDays must be a positive number of days; got ${days}`);
  return new Date(now.getTime() - days * 86_400_000);
}

/** The $filter of the audit listing: the activity, and reads at or after `since`. */
export function directoryAuditFilter(since: Date): string {
  // Whole seconds: the documented examples use them, and a read in that second is kept (ge).
  const iso = new Date(Math.floor(since.getTime() / 1000) * 1000)
    .toISOString()
    .replace(/\.000Z$/, "Z");
  return `activityDisplayName eq '${READ_BITLOCKER_KEY}' and activityDateTime ge ${iso}`;
}

/** What a program keeps per disclosed device (e.g. as a stack output): the latest read. */
export interface DisclosureRecord {
  token: string;
  deviceName: string;
  readAt: string;
  readBy: string;
}

/**
 * The records for this run: the previous run's, with each device's record replaced when the
 * audit log now shows a later read (the rule of mergeDisclosureTokens). A device whose event
 * aged out keeps its record and token; a device read for the first time is added.
 */
export function mergeDisclosures(
  previous: Readonly<Record<string, DisclosureRecord>>,
  current: readonly (DisclosureRecord & { id: string })[],
): Record<string, DisclosureRecord> {
  const tokens = mergeDisclosureTokens(
    Object.fromEntries(Object.entries(previous).map(([id, r]) => [id, r.token])),
    Object.fromEntries(current.map((d) => [d.id, d.token])),
  );
  const byId = new Map(current.map((d) => [d.id, d]));
  const out: Record<string, DisclosureRecord> = {};
  for (const [id, token] of Object.entries(tokens)) {
    const now = byId.get(id);
    const record = now && now.token === token ? now : previous[id];
    if (!record) continue;
    out[id] = {
      token,
      deviceName: record.deviceName,
      readAt: record.readAt,
      readBy: record.readBy,
    };
  }
  return out;
}
