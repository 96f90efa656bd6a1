// One row per device per resource, from the outputs Pulumi keeps: a BitLockerKeyRotation holds
// one device, a BitLockerKeyRotationFleet a record line per device (plan/fleet/record.ts), packed
// (plan/fleet/packed.ts) or, in states written before version 3, keyed by device id.
// Only the fields named here are read; raw outputs never reach a renderer.
import { readDeviceLines } from "../plan/fleet/packed";
import { parseRecord, tokenHash, type DeviceRecord } from "../plan/fleet/record";
import { toHresultHex } from "../plan/hresult";
import { explain } from "./explain";
import { isObject, SECRET, type StateResource } from "./exported";
import type { ReportRow, TimeKind } from "./types";

export interface ExtractedRows {
  rows: ReportRow[];
  warnings: string[];
}

export function rowsOf(resources: readonly StateResource[]): ExtractedRows {
  const out: ExtractedRows = { rows: [], warnings: [] };
  for (const r of resources) {
    const { rows, warnings } = r.kind === "single" ? singleRows(r) : fleetRows(r);
    out.rows.push(...rows);
    out.warnings.push(...warnings);
  }
  return out;
}

function singleRows(r: StateResource): ExtractedRows {
  const o = r.outputs;
  const deviceId = text(o.managedDeviceId);
  if (!deviceId)
    return { rows: [], warnings: [unreadable(r, "managedDeviceId", o.managedDeviceId)] };
  const status = text(o.status) ?? "unknown";
  const unverified =
    status === "unverified" && isObject(o.unverifiedRequest) ? o.unverifiedRequest : undefined;
  const requestedAt = text(unverified?.sentAt) ?? text(o.requestedAt);
  const [at, atKind]: [string | undefined, TimeKind] = requestedAt
    ? [requestedAt, "requested"]
    : [r.created, "adopted"]; // adopted, never rotated since: the resource's creation is the adoption
  const detail = status === "failed" ? hresultOf(o.errorCode, o.errorText) : undefined;
  const why = explain(status, detail);
  const hint = text(o.hint) ?? why.hint;
  const name = text(o.deviceName);
  const row: ReportRow = {
    deviceId,
    ...(name ? { deviceName: name } : {}),
    resource: r.name,
    resourceKind: "single",
    status,
    ...(at ? { at: isoSeconds(at) } : {}),
    atKind,
    token: tokenOf(unverified ? unverified.token : o.rotationToken),
    ...(detail ? { detail } : {}),
    ...(why.meaning ? { meaning: why.meaning } : {}),
    ...(hint ? { hint } : {}),
  };
  return { rows: [row], warnings: [] };
}

function fleetRows(r: StateResource): ExtractedRows {
  const devices = r.outputs.devices;
  if (!isObject(devices)) return { rows: [], warnings: [unreadable(r, "devices", devices)] };
  const out: ExtractedRows = { rows: [], warnings: [] };
  const { lines, unreadable: bad } = readDeviceLines(devices);
  const parsed = new Map<string, DeviceRecord | undefined>(); // devices share few lines
  // In device-id order, whatever the form (packed state groups devices by record).
  for (const [deviceId, line] of [...lines].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!parsed.has(line)) parsed.set(line, parseRecord(line));
    const record = parsed.get(line);
    if (!record) {
      bad.push(deviceId);
      continue;
    }
    const { status } = record;
    // An unverified record's detail is the prior action's start time: bookkeeping, not a cause.
    const detail = status === "unverified" || status === "missing" ? undefined : record.detail;
    const why = explain(status, detail);
    out.rows.push({
      deviceId,
      resource: r.name,
      resourceKind: "fleet",
      status,
      at: record.at,
      atKind:
        status === "skipped" || status === "error"
          ? "decided"
          : status === "adopted"
            ? "adopted"
            : "requested",
      token: record.token,
      ...(detail ? { detail } : {}),
      ...(why.meaning ? { meaning: why.meaning } : {}),
      ...(why.hint ? { hint: why.hint } : {}),
    });
  }
  if (bad.length > 0) {
    out.warnings.push(
      `${r.name}: ${bad.length} device record(s) could not be read (e.g. ${bad.slice(0, 3).join(", ")})`,
    );
  }
  return out;
}

/** "0x80310008" from the signed Int32 errorCode, else from errorText's first word. */
function hresultOf(errorCode: unknown, errorText: unknown): string | undefined {
  if (typeof errorCode === "number" && Number.isInteger(errorCode)) return toHresultHex(errorCode);
  const first = text(errorText)?.split(" ")[0];
  return first && /^0x[0-9a-f]{8}$/i.test(first) ? first : undefined;
}

/** The fleets' fingerprint of a token, so that single and fleet rows compare; never the token. */
function tokenOf(token: unknown): string {
  if (token === SECRET) return "secret";
  return typeof token === "string" && token !== "" ? tokenHash(token) : "-";
}

function text(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function isoSeconds(at: string): string {
  return at.replace(/\.\d+Z$/, "Z");
}

function unreadable(r: StateResource, field: string, value: unknown): string {
  const why = value === SECRET ? "is a secret in this export" : "is missing";
  return `${r.name}: ${field} ${why}; the resource is left out of the report`;
}
