// The report's model: one row per device per resource, and what the renderers show of it.
import type { FleetDeviceStatus } from "../plan/fleet/record";
import type { DisclosureRow } from "./disclosures";

/** The status words of plan/status.ts and plan/fleet/record.ts; a newer word is kept as is. */
export type ReportStatus = FleetDeviceStatus | (string & {});

/** What a row's time means. */
export type TimeKind = "requested" | "adopted" | "decided";

export type ResourceKind = "single" | "fleet";

export interface ReportRow {
  deviceId: string;
  /** Single-device resources only: fleets do not store names. */
  deviceName?: string;
  /** The resource's name (the last part of its URN). */
  resource: string;
  resourceKind: ResourceKind;
  status: ReportStatus;
  /** When the rotation was requested, the device adopted, or the skip/error decided (ISO 8601). */
  at?: string;
  atKind: TimeKind;
  /** tokenHash of the token the row settles (the fleets' fingerprint), "-" for none, "secret" if unreadable. */
  token: string;
  /** An HRESULT ("0x80310008"), a skip reason ("osTooOld") or a Graph error code ("Forbidden"). */
  detail?: string;
  /** What the detail or status means, as a sentence. */
  meaning?: string;
  /** What to do about it. */
  hint?: string;
}

export interface OverdueRow {
  row: ReportRow;
  /** Whole days since the last request or adoption; undefined when no time is on record. */
  ageDays?: number;
}

export interface Report {
  /** The time the report is computed against (--now). */
  now: string;
  stack?: string;
  project?: string;
  /** BitLocker resources read from the state. */
  resources: number;
  rows: ReportRow[];
  /** Devices per status, in STATUS_ORDER, zero counts left out. */
  counts: [ReportStatus, number][];
  /** Rows that need a person, most severe first. */
  attention: ReportRow[];
  /** Present when an overdue policy was given. */
  overdue?: { days: number; rows: OverdueRow[] };
  /** Who read which device's recovery key, when, and when it was rotated for it (stack output `disclosed`). */
  disclosures?: DisclosureRow[];
  /** Things the report could not read (secret outputs, unreadable records). */
  warnings: string[];
}
