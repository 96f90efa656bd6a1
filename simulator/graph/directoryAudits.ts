// Entra's directory audit log, as far as BitLocker key reads go: every read of a recovery key
// (a person in the portal, or an app with `$select=key`) becomes a `Read BitLocker key` event,
// listed only after a delay (Entra's events appear minutes late) and kept for a retention
// period (30 days by default). GET /{v1.0|beta}/auditLogs/directoryAudits serves them with the
// filter the package's query sends, newest first, paged with @odata.nextLink.
import { randomUUID } from "node:crypto";
import { graphError, jsonResponse, type SimRequest, type SimResponse } from "../http/exchange";
import type { GraphContext } from "./context";

export const READ_BITLOCKER_KEY = "Read BitLocker key";

/** One event, in the documented directoryAudit shape (fields this simulator can fill). */
export interface DirectoryAudit {
  id: string;
  category: string;
  correlationId: string;
  result: "success";
  resultReason: string;
  activityDisplayName: string;
  activityDateTime: string;
  loggedByService: string;
  operationType: string;
  initiatedBy: {
    user: {
      id: string;
      displayName: string | null;
      userPrincipalName: string;
      ipAddress: string;
    } | null;
    app: { appId: string; displayName: string; servicePrincipalId: string } | null;
  };
  targetResources: {
    id: string;
    displayName: string;
    type: string;
    userPrincipalName: null;
    modifiedProperties: unknown[];
  }[];
  additionalDetails: { key: string; value: string }[];
}

export interface KeyReadInput {
  /** The recovery key's id (it becomes the target resource's displayName). */
  keyId: string;
  /** The Entra device id the key belongs to. */
  entraDeviceId: string;
  /** Who read it: a user principal name (a person) … */
  userPrincipalName?: string;
  /** … or an app (an app reading with `$select=key`). */
  appId?: string;
  /** When the read happened (default: now). */
  at?: Date;
  ipAddress?: string;
}

interface Stored {
  event: DirectoryAudit;
  /** Epoch ms of the read's recording; listed from recordedAt + delayMs (delay read when listing). */
  recordedAt: number;
}

export interface DirectoryAuditOptions {
  /** From a read to its event being listed (default 0; Entra: minutes). */
  delayMs?: number;
  /** Events older than this are no longer served (default 30, Entra's default retention). */
  retentionDays?: number;
  /** Page size when no $top is given (default 100). */
  pageSize?: number;
}

export class DirectoryAuditLog {
  private readonly events: Stored[] = [];
  delayMs: number;
  retentionDays: number;
  pageSize: number;

  constructor(o: DirectoryAuditOptions = {}) {
    this.delayMs = o.delayMs ?? 0;
    this.retentionDays = o.retentionDays ?? 30;
    this.pageSize = o.pageSize ?? 100;
  }

  recordKeyRead(input: KeyReadInput, now = Date.now()): DirectoryAudit {
    const at = input.at ?? new Date(now);
    const upn = input.userPrincipalName ?? (input.appId ? undefined : "helpdesk@contoso.example");
    const event: DirectoryAudit = {
      id: `Directory_${randomUUID()}`,
      category: "Device",
      correlationId: randomUUID(),
      result: "success",
      resultReason: "",
      activityDisplayName: READ_BITLOCKER_KEY,
      activityDateTime: at.toISOString(),
      loggedByService: "Core Directory",
      operationType: "Read",
      initiatedBy: {
        user: upn
          ? {
              id: randomUUID(),
              displayName: null,
              userPrincipalName: upn,
              ipAddress: input.ipAddress ?? "203.0.113.7",
            }
          : null,
        app: input.appId
          ? { appId: input.appId, displayName: "", servicePrincipalId: randomUUID() }
          : null,
      },
      targetResources: [
        {
          id: input.entraDeviceId,
          displayName: input.keyId,
          type: "Device",
          userPrincipalName: null,
          modifiedProperties: [],
        },
      ],
      additionalDetails: [],
    };
    this.events.push({ event, recordedAt: now });
    return structuredClone(event);
  }

  /** What Graph would list at `now`: delay passed, within retention, newest first. */
  listed(now = Date.now()): DirectoryAudit[] {
    const oldest = now - this.retentionDays * 86_400_000;
    return this.events
      .filter(
        (s) => s.recordedAt + this.delayMs <= now && Date.parse(s.event.activityDateTime) >= oldest,
      )
      .map((s) => s.event)
      .sort(
        (a, b) => b.activityDateTime.localeCompare(a.activityDateTime) || a.id.localeCompare(b.id),
      );
  }

  /** Every event recorded, listed or not (for tests). */
  all(): DirectoryAudit[] {
    return this.events.map((s) => structuredClone(s.event));
  }
}

// The filter shapes Graph documents for this listing that the query uses:
// `activityDisplayName eq '…'` and `activityDateTime ge <ISO time>`, joined by `and`.
const ACTIVITY = /^activityDisplayName\s+eq\s+'((?:[^']|'')*)'$/i;
const SINCE = /^activityDateTime\s+(ge|gt)\s+(\d{4}-\d\d-\d\dT[\d:.]+Z)$/i;

interface AuditFilter {
  activity?: string;
  since?: { op: "ge" | "gt"; at: number };
}

function parseFilter(raw: string | null): AuditFilter | string {
  const f: AuditFilter = {};
  if (raw === null || raw.trim() === "") return f;
  for (const part of raw.trim().split(/\s+and\s+/i)) {
    const a = ACTIVITY.exec(part.trim());
    const s = SINCE.exec(part.trim());
    if (a) f.activity = (a[1] as string).replace(/''/g, "'");
    else if (s)
      f.since = {
        op: (s[1] as string).toLowerCase() as "ge" | "gt",
        at: Date.parse(s[2] as string),
      };
    else return `Invalid filter clause: '${part.trim()}'.`;
  }
  return f;
}

/** A page cursor that also pins the listing time, so late events cannot shift later pages. */
function encodeCursor(c: number, t: number): string {
  return Buffer.from(JSON.stringify({ c, t })).toString("base64url");
}

function decodeCursor(raw: string): { c: number; t: number } | undefined {
  try {
    const p = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as {
      c?: unknown;
      t?: unknown;
    };
    if (typeof p.c === "number" && typeof p.t === "number" && p.c >= 0) return { c: p.c, t: p.t };
  } catch {
    // fall through
  }
  return undefined;
}

export function listDirectoryAudits(
  req: SimRequest,
  ctx: GraphContext,
  version: string,
): SimResponse {
  const log = ctx.audits;
  if (!log) return graphError(req, 404, "NotFound", "No directory audit log.");
  const q = req.url.searchParams;
  const filter = parseFilter(q.get("$filter"));
  if (typeof filter === "string") return graphError(req, 400, "BadRequest", filter);
  const rawTop = q.get("$top");
  if (rawTop !== null && !/^[1-9]\d*$/.test(rawTop))
    return graphError(req, 400, "BadRequest", `Invalid value '${rawTop}' for $top query option.`);
  const size = Math.min(rawTop ? Number(rawTop) : log.pageSize, 1000);
  let cursor = { c: 0, t: Date.now() };
  const token = q.get("$skiptoken");
  if (token !== null) {
    const decoded = decodeCursor(token);
    if (!decoded) return graphError(req, 400, "BadRequest", "The skip token is not valid.");
    cursor = decoded;
  }
  const matches = log.listed(cursor.t).filter((e) => {
    if (filter.activity !== undefined && e.activityDisplayName !== filter.activity) return false;
    if (filter.since) {
      const t = Date.parse(e.activityDateTime);
      if (filter.since.op === "ge" ? t < filter.since.at : t <= filter.since.at) return false;
    }
    return true;
  });
  const body: Record<string, unknown> = {
    "@odata.context": `${ctx.baseUrl}/${version}/$metadata#auditLogs/directoryAudits`,
    value: matches.slice(cursor.c, cursor.c + size),
  };
  if (cursor.c + size < matches.length) {
    const parts: string[] = [];
    for (const [k, v] of req.url.searchParams)
      if (k !== "$skiptoken") parts.push(`${k}=${encodeURIComponent(v)}`);
    parts.push(`$skiptoken=${encodeCursor(cursor.c + size, cursor.t)}`);
    body["@odata.nextLink"] = `${req.url.origin}${req.url.pathname}?${parts.join("&")}`;
  }
  return jsonResponse(200, body);
}

/** Entra's 403 for the audit log without AuditLog.Read.All (Authorization_RequestDenied). */
export function auditForbidden(req: SimRequest): SimResponse {
  return graphError(
    req,
    403,
    "Authorization_RequestDenied",
    "Insufficient privileges to complete the operation.",
  );
}
