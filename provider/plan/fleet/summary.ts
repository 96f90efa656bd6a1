// The line a fleet's `up` ends with: what this run did to each device, grouped by outcome and
// reason with the first ids, and what to do about the rest. Pure: the run's records in, text out.
import { sample } from "./describe";
import type { FleetPlan } from "./plan";
import { SENT, type DeviceRecord, type FleetDeviceStatus } from "./record";

function byDetail(entries: [string, DeviceRecord][], fallback: string): string {
  const groups = new Map<string, string[]>();
  for (const [id, r] of entries) {
    const key = r.status === "unverified" ? "unverified" : (r.detail ?? fallback);
    groups.set(key, [...(groups.get(key) ?? []), id]);
  }
  return [...groups].map(([k, ids]) => `${k} ${ids.length}: ${sample(ids)}`).join("; ");
}

export function summarizeFleetRun(
  label: string,
  plan: Pick<FleetPlan, "unchanged" | "forget">,
  results: ReadonlyMap<string, DeviceRecord>,
): string {
  const all = [...results];
  const with_ = (s: readonly FleetDeviceStatus[]) => all.filter(([, r]) => s.includes(r.status));
  const sent = with_(SENT);
  const counts = new Map<FleetDeviceStatus, number>();
  for (const [, r] of sent) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const parts = [
    `rotated ${sent.length}` +
      (sent.length ? ` (${[...counts].map(([s, n]) => `${s} ${n}`).join(", ")})` : ""),
  ];
  const reported = with_(["failed", "notSupported"]);
  if (reported.length)
    parts.push(`device reported failure ${reported.length} (${byDetail(reported, "noCode")})`);
  const skipped = with_(["skipped", "missing"]);
  if (skipped.length) parts.push(`skipped ${skipped.length} (${byDetail(skipped, "missing")})`);
  const notRotated = with_(["error", "unverified"]);
  if (notRotated.length)
    parts.push(
      `not rotated ${notRotated.length} (${byDetail(notRotated, "Error")}): run \`pulumi up\` again, nothing is sent twice`,
    );
  // Not at the outcome waited for within waitTimeoutSeconds (the engine marks them pending).
  const open = with_(["pending"]);
  if (open.length)
    parts.push(`pending ${open.length}: run \`pulumi refresh\` to follow their outcome`);
  const adopted = with_(["adopted"]).length;
  if (adopted) parts.push(`adopted ${adopted}`);
  parts.push(`unchanged ${plan.unchanged.length}`);
  if (plan.forget.length) parts.push(`forgotten ${plan.forget.length}`);
  return `fleet ${label} done: ${parts.join("; ")}`;
}
