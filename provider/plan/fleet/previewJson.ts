// The one machine-readable line a fleet's preview prints (beside describe.ts's lines, which are
// for people): what the preview READ, for `bitlocker-report preview`. The comment derives each
// fleet's lists from the step's inputs by the engine's plan functions; only what the reads found
// (a device to skip and why, one rotated since its record) is not in the step, so only those
// ids are here, with the counts of the rest. Versioned: a reader ignores a version it does not
// know. One line, however long: `[bitlocker] preview-json {...}`. Pure.
import type { FleetPreview } from "../preview";
import type { FleetPlan } from "./plan";

const PREVIEW_JSON_TAG = "preview-json ";
const PREVIEW_JSON_VERSION = 1;

export interface PreviewJson {
  v: typeof PREVIEW_JSON_VERSION;
  /** The fleet's label, as in its other lines ("fleet <label>: …"). */
  fleet: string;
  /** Did the preview read the devices? When false, skip and record are empty: nothing is known. */
  read: boolean;
  /** Would be skipped, by reason code (notFound, notWindows, …): `up` records the skip, sends nothing. */
  skip: Record<string, string[]>;
  /** Rotated since their record: `up` records them without sending. */
  record: string[];
  /** Counts of each kind, for a reader that checks its own plan against the provider's. */
  counts: {
    rotate: number;
    settle: number;
    adopt: number;
    forget: number;
    unchanged: number;
    skip: number;
    record: number;
    unread: number;
  };
}

export function previewJson(label: string, plan: FleetPlan, preview?: FleetPreview): PreviewJson {
  const skip = Object.fromEntries(preview?.skip ?? []);
  const record = preview?.recorded ?? [];
  return {
    v: PREVIEW_JSON_VERSION,
    fleet: label,
    read: preview !== undefined,
    skip,
    record,
    counts: {
      rotate: preview ? preview.rotate.length : plan.rotate.length,
      settle: preview ? 0 : plan.settle.length,
      adopt: plan.adopt.length,
      forget: plan.forget.length,
      unchanged: plan.unchanged.length,
      skip: Object.values(skip).reduce((n, ids) => n + ids.length, 0),
      record: record.length,
      unread: [...(preview?.unread.values() ?? [])].reduce((n, ids) => n + ids.length, 0),
    },
  };
}

/** The line (without the `[bitlocker] ` prefix the engine's log adds): JSON has no newline. */
export function previewJsonLine(label: string, plan: FleetPlan, preview?: FleetPreview): string {
  return PREVIEW_JSON_TAG + JSON.stringify(previewJson(label, plan, preview));
}

const isIds = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((x) => typeof x === "string");

/** The line's content, with or without the `[bitlocker] ` prefix; undefined if it is not one of version 1. */
export function parsePreviewJsonLine(line: string): PreviewJson | undefined {
  const body = line.replace(/^\[bitlocker\] /, "");
  if (!body.startsWith(PREVIEW_JSON_TAG)) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(body.slice(PREVIEW_JSON_TAG.length));
  } catch {
    return undefined;
  }
  if (typeof doc !== "object" || doc === null) return undefined;
  const d = doc as Record<string, unknown>;
  if (d.v !== PREVIEW_JSON_VERSION || typeof d.fleet !== "string" || !isIds(d.record))
    return undefined;
  const skip = d.skip;
  if (typeof skip !== "object" || skip === null || !Object.values(skip).every(isIds))
    return undefined;
  return d as unknown as PreviewJson;
}

/** Is this one of those lines (any version)? Readers keep it out of the lines shown to people. */
export function isPreviewJsonLine(line: string): boolean {
  return line.replace(/^\[bitlocker\] /, "").startsWith(PREVIEW_JSON_TAG);
}
