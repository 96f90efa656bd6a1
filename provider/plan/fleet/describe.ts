// The lines `pulumi preview` (and `up`) prints for a fleet change: what each kind of device
// would go through, with counts and the first ids (the summary line), then every id of a kind
// with more than that (the detail lines). Pure; the engine logs them at check (a new fleet,
// which has no diff) and at diff (an update), after the preview's reads (plan/preview.ts) when
// it made them: then skips are named by reason and devices by name.
import type { FleetPreview } from "../preview";
import type { FleetPlan } from "./plan";

/** Ids shown per kind before "… (+N)". */
const SAMPLE_SIZE = 10;
/** Ids per detail line. */
const DETAIL_CHUNK = 100;

type Names = ReadonlyMap<string, string> | undefined;

const named = (id: string, names: Names) => {
  const name = names?.get(id);
  return name ? `${id} (${name})` : id;
};

export function sample(ids: readonly string[], names?: Names): string {
  const shown = ids
    .slice(0, SAMPLE_SIZE)
    .map((id) => named(id, names))
    .join(", ");
  return shown + (ids.length > SAMPLE_SIZE ? `, … (+${ids.length - SAMPLE_SIZE})` : "");
}

/** Each kind of device the change touches: a title (as in the summary line) and its ids. */
function kinds(plan: FleetPlan, preview: FleetPreview | undefined): [string, string[]][] {
  const out: [string, string[]][] = [];
  if (preview) {
    out.push(["rotate", preview.rotate]);
    for (const [reason, ids] of preview.skip) out.push([`skip ${reason}`, ids]);
    out.push(["already rotated since their record, recorded without sending", preview.recorded]);
    for (const [code, ids] of preview.unread)
      out.push([`not read at preview (${code}; up reads them again, rotates if eligible)`, ids]);
  } else {
    out.push(["rotate (if eligible)", plan.rotate]);
    out.push(["check with a lost answer before resending (settle)", plan.settle]);
  }
  out.push(["adopt without rotating", plan.adopt]);
  out.push(["forget", plan.forget]);
  return out.filter(([, ids]) => ids.length > 0);
}

/** The summary line; undefined when the change touches no device (settings only, or a no-op). */
export function describeFleetPlan(
  label: string,
  plan: FleetPlan,
  creating = false,
  preview?: FleetPreview,
): string | undefined {
  const names = preview?.names;
  const part = (title: string, ids: string[]) => `${title} ${ids.length}: ${sample(ids, names)}`;
  const parts: string[] = [];
  if (preview) {
    if (preview.rotate.length) parts.push(part("rotate", preview.rotate));
    const skipped = [...preview.skip.values()].flat();
    if (skipped.length)
      parts.push(
        `skip ${skipped.length} (` +
          [...preview.skip].map(([reason, ids]) => part(reason, ids)).join("; ") +
          ")",
      );
    if (preview.recorded.length)
      parts.push(part("record without sending (rotated since)", preview.recorded));
    for (const [code, ids] of preview.unread)
      parts.push(part(`not read at preview (${code}), rotate if eligible`, ids));
  } else {
    if (plan.rotate.length)
      parts.push(`rotate ${plan.rotate.length} (if eligible): ${sample(plan.rotate)}`);
    if (plan.settle.length)
      parts.push(
        `check ${plan.settle.length} with a lost answer before resending (settle): ${sample(plan.settle)}`,
      );
  }
  if (plan.adopt.length)
    parts.push(`adopt ${plan.adopt.length} without rotating: ${sample(plan.adopt)}`);
  if (plan.forget.length) parts.push(part("forget", plan.forget));
  if (parts.length === 0) return undefined;
  const what = creating ? "new fleet of " + (plan.rotate.length + plan.adopt.length) + ": " : "";
  return `fleet ${label}: ${what}${parts.join("; ")}; ${plan.unchanged.length} unchanged`;
}

/**
 * Every id of each kind the summary line cut short, DETAIL_CHUNK per line:
 * `fleet laptops: rotate, all 1500 [1-100]: id (name), …`.
 */
export function detailFleetPlan(label: string, plan: FleetPlan, preview?: FleetPreview): string[] {
  const lines: string[] = [];
  for (const [title, ids] of kinds(plan, preview)) {
    if (ids.length <= SAMPLE_SIZE) continue;
    for (let i = 0; i < ids.length; i += DETAIL_CHUNK) {
      const chunk = ids.slice(i, i + DETAIL_CHUNK);
      lines.push(
        `fleet ${label}: ${title}, all ${ids.length} [${i + 1}-${i + chunk.length}]: ` +
          chunk.map((id) => named(id, preview?.names)).join(", "),
      );
    }
  }
  return lines;
}
