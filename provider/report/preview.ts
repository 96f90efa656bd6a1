// What a `pulumi preview --json` says the next `pulumi up` will do to each BitLocker resource:
// per resource, the devices that would rotate, be adopted, be settled first, or be forgotten,
// computed from the step's old outputs and new inputs by the same pure functions the engine
// runs (plan/fleet/plan.ts, plan/singleDevice.ts), so the comment and the engine agree by
// construction; plus what the provider printed at preview (its `[bitlocker]` lines, which
// `--json` carries as diagnostics without a URN) and the preview's errors (a guard refusal, a
// failed check). Skips are decided by reading the devices: each fleet's preview prints them in
// one machine-readable line (plan/fleet/previewJson.ts), read here and not shown.
// Pure: the JSON text in, a PreviewReport out.
import { checkFleet, fleetInputsOf } from "../plan/fleet/inputs";
import { deviceLines } from "../plan/fleet/packed";
import {
  isPreviewJsonLine,
  parsePreviewJsonLine,
  type PreviewJson,
} from "../plan/fleet/previewJson";
import { planFleet, type FleetState } from "../plan/fleet/plan";
import { isUnknown } from "../plan/inputs";
import { rotatesOnUpdate, type SingleDeviceInputs } from "../plan/singleDevicePlan";
import { FLEET_TYPE, isObject, SECRET, SINGLE_TYPE, StateFormatError, urnName } from "./exported";
import type { ResourceKind } from "./types";

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";

export interface DevicePlan {
  rotate: string[];
  adopt: string[];
  /** Lost answers: read first, resent only if the device shows no rotation (may rotate). */
  settle: string[];
  forget: string[];
  unchanged: number;
  /** Read at preview and found not eligible: "id (reason)"; `up` records the skip, sends nothing. */
  skip: string[];
  /** Read at preview and found rotated since their record: `up` records them, sends nothing. */
  recorded: string[];
}

export interface PreviewResource {
  urn: string;
  name: string;
  kind: ResourceKind;
  /** The step's op (create, update, same, delete, replace…), or "refused" when the preview stopped before it. */
  op: string;
  /** Undefined when the preview cannot tell (see `unknown`). */
  plan?: DevicePlan;
  /** Why the plan is not known at preview. */
  unknown?: string;
  /** The provider's `[bitlocker]` lines about this resource, in order. */
  notes: string[];
  /** The preview's errors for this resource (a guard refusal, a failed check). */
  errors: string[];
}

export interface PreviewReport {
  stack?: string;
  project?: string;
  resources: PreviewResource[];
  /** `[bitlocker]` lines that name no resource of the preview. */
  notes: string[];
  /** Other provider output (not a `[bitlocker]` line), e.g. a crash's stack trace. */
  other: string[];
  /** Errors that name no resource. */
  errors: string[];
  /** The preview failed: `pulumi up` would stop too. */
  failed: boolean;
  changeSummary: Record<string, number>;
}

interface Step {
  op: string;
  urn: string;
  oldState?: { type?: string; inputs?: unknown; outputs?: unknown };
  newState?: { type?: string; inputs?: unknown; outputs?: unknown };
}

interface Diagnostic {
  urn?: string;
  message: string;
  severity: string;
}

export function parsePreview(text: string): PreviewReport {
  const trimmed = text.replace(/^\uFEFF/, "").trim();
  if (!trimmed)
    throw new StateFormatError("the input is empty; expected the JSON of `pulumi preview --json`");
  let doc: unknown;
  try {
    doc = JSON.parse(trimmed);
  } catch (e) {
    throw new StateFormatError(
      `the input is not JSON (${(e as Error).message}); expected the output of \`pulumi preview --json\``,
    );
  }
  if (!isObject(doc) || !Array.isArray(doc.steps))
    throw new StateFormatError(
      "the input is not the output of `pulumi preview --json` (no steps); for `pulumi stack export` output, leave out `preview`",
    );
  return readPreview(doc);
}

export function readPreview(doc: Record<string, unknown>): PreviewReport {
  const steps = (doc.steps as unknown[]).filter(
    (s): s is Step => isObject(s) && typeof s.urn === "string" && typeof s.op === "string",
  );
  const diagnostics = (Array.isArray(doc.diagnostics) ? doc.diagnostics : []).filter(
    (d): d is Diagnostic => isObject(d) && typeof d.message === "string",
  );
  const report: PreviewReport = {
    resources: [],
    notes: [],
    other: [],
    errors: [],
    failed: diagnostics.some((d) => d.severity === "error"),
    changeSummary: isObject(doc.changeSummary) ? (doc.changeSummary as Record<string, number>) : {},
  };
  const byUrn = new Map<string, PreviewResource>();
  const labels = new Map<PreviewResource, string>();
  for (const step of steps) {
    Object.assign(report, report.stack ? {} : stackOf(step.urn));
    const type = step.newState?.type ?? step.oldState?.type ?? typeOf(step.urn);
    const kind = type === FLEET_TYPE ? "fleet" : type === SINGLE_TYPE ? "single" : undefined;
    if (!kind) continue;
    // A replacement shows as several steps of one URN; the first (create-replacement/replace) says it.
    if (byUrn.has(step.urn)) continue;
    const r: PreviewResource = {
      urn: step.urn,
      name: urnName(step.urn),
      kind,
      op: step.op,
      notes: [],
      errors: [],
    };
    const derived = kind === "fleet" ? fleetPlan(step) : singlePlan(step);
    if ("plan" in derived) r.plan = derived.plan;
    else r.unknown = derived.unknown;
    // How the provider's lines name it: a fleet by its label, a single device by its id.
    const inputs = decode(step.newState?.inputs ?? step.oldState?.inputs);
    const label = isObject(inputs) && typeof inputs.label === "string" ? inputs.label : r.name;
    const device =
      isObject(inputs) && typeof inputs.managedDeviceId === "string" ? inputs.managedDeviceId : "";
    labels.set(r, kind === "fleet" ? label : device);
    byUrn.set(step.urn, r);
    report.resources.push(r);
  }
  // Errors first: a resource refused before its step (a failed check, a guard refusal at diff)
  // has no step, and the provider's lines about it come before its error.
  for (const d of diagnostics) {
    if (d.severity !== "error") continue;
    const text = withoutEchoedValue(d.message.replace(/\s+$/, "").replace(/^error: /, ""));
    if (!d.urn || ![FLEET_TYPE, SINGLE_TYPE].includes(typeOf(d.urn))) {
      report.errors.push(text);
      continue;
    }
    let r = byUrn.get(d.urn);
    if (!r) {
      Object.assign(report, report.stack ? {} : stackOf(d.urn));
      r = {
        urn: d.urn,
        name: urnName(d.urn),
        kind: typeOf(d.urn) === FLEET_TYPE ? "fleet" : "single",
        op: "refused",
        unknown: "the preview stopped at this resource (see the error)",
        notes: [],
        errors: [],
      };
      labels.set(r, r.kind === "fleet" ? r.name : "");
      byUrn.set(d.urn, r);
      report.resources.push(r);
    }
    r.errors.push(text);
  }
  // Each fleet's machine-readable line (plan/fleet/previewJson.ts), by label; not shown.
  // Several fleets may share a label (children of two components): a label keeps every line.
  const read = new Map<string, PreviewJson[]>();
  for (const d of diagnostics) {
    if (d.severity === "error") continue;
    for (const line of d.message.split("\n")) {
      if (!line.trim()) continue;
      if (isPreviewJsonLine(line)) {
        const doc = parsePreviewJsonLine(line.replace(/\s+$/, ""));
        if (doc) read.set(doc.fleet, [...(read.get(doc.fleet) ?? []), doc]);
        continue;
      }
      if (!line.startsWith("[bitlocker] ")) {
        report.other.push(line.replace(/\s+$/, ""));
        continue;
      }
      const owner =
        (d.urn ? byUrn.get(d.urn) : undefined) ??
        report.resources.find((r) => mentions(line, r, labels.get(r)!));
      (owner ? owner.notes : report.notes).push(line.replace(/\s+$/, ""));
    }
  }
  // What the fleet's preview read: its skips and its rotations already made leave the lists.
  // A provider without that line (none printed: nothing was read) leaves them as planned.
  for (const r of report.resources) {
    if (r.kind !== "fleet" || !r.plan) continue;
    const key = (id: string) => id.toLowerCase();
    const mayBeSent = [...r.plan.rotate, ...r.plan.settle];
    const doc = lineOf(read.get(labels.get(r)!) ?? [], new Set(mayBeSent.map(key)));
    if (!doc) continue;
    const skip = new Map<string, string>();
    for (const [reason, ids] of Object.entries(doc.skip))
      for (const id of ids) skip.set(key(id), reason);
    const recorded = new Set(doc.record.map(key));
    const sent = (id: string) => !skip.has(key(id)) && !recorded.has(key(id));
    r.plan.skip = mayBeSent
      .filter((id) => skip.has(key(id)))
      .map((id) => `${id} (${skip.get(key(id))})`);
    r.plan.recorded = mayBeSent.filter((id) => recorded.has(key(id)));
    r.plan.rotate = r.plan.rotate.filter(sent);
    r.plan.settle = r.plan.settle.filter(sent);
  }
  return report;
}

/**
 * The line of this fleet among those of its label (one line: that one). Several: the one whose
 * counts add up to the devices the fleet may send to and whose ids are all among them (the
 * last if several do); none if none does (the lists then stay as planned, as without a line).
 */
function lineOf(
  docs: readonly PreviewJson[],
  mayBeSent: ReadonlySet<string>,
): PreviewJson | undefined {
  if (docs.length <= 1) return docs[0];
  const fits = docs.filter((doc) => {
    const c: Partial<PreviewJson["counts"]> = isObject(doc.counts) ? doc.counts : {};
    const total = [c.rotate, c.settle, c.skip, c.record, c.unread].reduce<number>(
      (n, k) => n + (typeof k === "number" ? k : NaN),
      0,
    );
    const ids = [...Object.values(doc.skip).flat(), ...doc.record];
    return total === mayBeSent.size && ids.every((id) => mayBeSent.has(id.toLowerCase()));
  });
  // The same fleet's line twice (check called again): the last is the latest read.
  return fits.at(-1);
}

/**
 * Pulumi quotes a refused input's whole value before the reason ("property managedDeviceIds
 * value {<id>\n<id>…} has a problem: …"): for a fleet, every id, which would push the reason
 * out of the comment. The reason is what a reviewer acts on; the value is in the program.
 */
function withoutEchoedValue(text: string): string {
  return text.replace(/(property \S+) value \{[\s\S]*\} (has a problem: )/, "$1 $2");
}

/** Does a provider line name this resource? Fleets by label ("fleet L:"), single devices by id. */
function mentions(line: string, r: PreviewResource, key: string): boolean {
  if (r.kind === "fleet") return line.includes(`fleet ${key}:`) || line.includes(`fleet ${key} `);
  return key !== "" && line.toLowerCase().includes(key.toLowerCase());
}

type Derived = { plan: DevicePlan } | { unknown: string };

const empty = (): DevicePlan => ({
  rotate: [],
  adopt: [],
  settle: [],
  forget: [],
  unchanged: 0,
  skip: [],
  recorded: [],
});

function fleetPlan(step: Step): Derived {
  const olds = decode(step.oldState?.outputs);
  // Either form of `devices` (id → line, or the packed line → ids of state version 3).
  const oldDevices = isObject(olds) ? [...deviceLines(olds.devices).keys()] : [];
  if (step.op === "delete" || step.op === "delete-replaced" || step.op === "discard")
    return { plan: { ...empty(), forget: oldDevices } };
  if (step.op === "read" || step.op === "import" || step.op === "refresh")
    return { unknown: `a ${step.op} step sends nothing` };
  const raw = decode(step.newState?.inputs);
  if (!isObject(raw)) return { unknown: "the preview shows no inputs for it" };
  if (containsSecret(raw.rotationToken) || containsSecret(raw.deviceTokens))
    return { unknown: "its tokens are secrets the preview does not show; see the provider's line" };
  const ids = raw.managedDeviceIds;
  if (
    isUnknown(ids) ||
    (Array.isArray(ids) && ids.some(isUnknown)) ||
    isUnknown(raw.rotationToken) ||
    isUnknown(raw.deviceTokens) ||
    Object.values(isObject(raw.deviceTokens) ? raw.deviceTokens : {}).some(isUnknown)
  )
    return { unknown: "its devices or tokens come from other resources: known only at `up`" };
  const { inputs, failures } = checkFleet(raw);
  if (failures.length > 0) return { unknown: failures.map((f) => f.reason).join("; ") };
  const old = step.op === "create" || step.op === "create-replacement" ? undefined : olds;
  const p = planFleet(
    isObject(old) ? (old as Partial<FleetState>) : undefined,
    fleetInputsOf(inputs),
  );
  return {
    plan: {
      rotate: p.rotate,
      adopt: p.adopt,
      settle: p.settle,
      forget: p.forget,
      unchanged: p.unchanged.length,
      skip: [],
      recorded: [],
    },
  };
}

function singlePlan(step: Step): Derived {
  const news = decode(step.newState?.inputs);
  const olds = decode(step.oldState?.outputs);
  if (step.op === "delete" || step.op === "delete-replaced" || step.op === "discard") {
    const id = isObject(olds) ? String(olds.managedDeviceId ?? "") : "";
    return { plan: { ...empty(), forget: id ? [id] : [] } };
  }
  if (!isObject(news) || typeof news.managedDeviceId !== "string")
    return { unknown: "its device id comes from another resource: known only at `up`" };
  const id = news.managedDeviceId;
  if (isUnknown(id))
    return { unknown: "its device id comes from another resource: known only at `up`" };
  const creating =
    step.op === "create" || step.op === "create-replacement" || step.op === "replace";
  if (creating)
    return news.rotateOnCreate === false
      ? { plan: { ...empty(), adopt: [id] } }
      : { plan: { ...empty(), rotate: [id] } };
  if (step.op !== "update") return { plan: { ...empty(), unchanged: 1 } };
  if (!isObject(olds)) return { unknown: "the preview shows no old state for it" };
  if (isUnknown(news.rotationToken))
    return { unknown: "its token comes from another resource: known only at `up`" };
  // A secret token is hidden on both sides. The engine updates only when a setting differs;
  // when every visible setting is the same, the hidden token is the one that changed.
  if (containsSecret(news.rotationToken) || containsSecret(olds.rotationToken)) {
    const visible = ["endpoint", "waitFor", "waitTimeoutSeconds", "pollIntervalSeconds", "reason"];
    const other = visible.some((k) => (olds[k] ?? null) !== (news[k] ?? null));
    return other
      ? { unknown: "its token is a secret the preview does not show, and other settings changed" }
      : { plan: { ...empty(), rotate: [id] } };
  }
  return rotatesOnUpdate(
    olds as unknown as Partial<SingleDeviceInputs>,
    news as unknown as SingleDeviceInputs,
  )
    ? { plan: { ...empty(), rotate: [id] } }
    : { plan: { ...empty(), unchanged: 1 } };
}

/** Secrets as the preview prints them: "[secret]", or Pulumi's envelope (decoded when it has plaintext). */
function decode(value: unknown): unknown {
  if (value === "[secret]") return SECRET;
  if (Array.isArray(value)) return value.map(decode);
  if (!isObject(value)) return value;
  if (value[SECRET_SIG_KEY] === SECRET_SIG_VALUE) {
    if ("value" in value) return decode(value.value);
    if (typeof value.plaintext !== "string") return SECRET;
    try {
      return decode(JSON.parse(value.plaintext));
    } catch {
      return SECRET;
    }
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v)]));
}

function containsSecret(v: unknown): boolean {
  if (v === SECRET) return true;
  if (Array.isArray(v)) return v.some(containsSecret);
  return isObject(v) && Object.values(v).some(containsSecret);
}

function typeOf(urn: string): string {
  const parts = urn.split("::");
  return parts[2]?.split("$").at(-1) ?? "";
}

function stackOf(urn: string): { stack?: string; project?: string } {
  const m = /^urn:pulumi:([^:]+)::([^:]+)::/.exec(urn);
  return m ? { stack: m[1]!, project: m[2]! } : {};
}

/** Devices that may be sent a rotation: the rotate list and the lost answers (as the guard counts). */
export function mayRotate(p: DevicePlan): number {
  return p.rotate.length + p.settle.length;
}
