// The line `pulumi preview` (and `up`) prints for a fleet change: what each kind of device
// would go through, with counts and the first ids. Pure; the engine logs it at check (a new
// fleet, which has no diff) and at diff (an update).
import type { FleetPlan } from "./plan";

/** Ids shown per kind before "… (+N)". */
export const SAMPLE_SIZE = 10;

export function sample(ids: readonly string[]): string {
  const shown = ids.slice(0, SAMPLE_SIZE).join(", ");
  return shown + (ids.length > SAMPLE_SIZE ? `, … (+${ids.length - SAMPLE_SIZE})` : "");
}

/** Undefined when the change touches no device (a settings-only change, or a no-op). */
export function describeFleetPlan(
  label: string,
  plan: FleetPlan,
  creating = false,
): string | undefined {
  const parts = [
    plan.rotate.length ? `rotate ${plan.rotate.length} (if eligible): ${sample(plan.rotate)}` : "",
    plan.settle.length
      ? `check ${plan.settle.length} with a lost answer before resending (settle): ${sample(plan.settle)}`
      : "",
    plan.adopt.length ? `adopt ${plan.adopt.length} without rotating: ${sample(plan.adopt)}` : "",
    plan.forget.length ? `forget ${plan.forget.length}: ${sample(plan.forget)}` : "",
  ].filter(Boolean);
  if (parts.length === 0) return undefined;
  const what = creating ? "new fleet of " + (plan.rotate.length + plan.adopt.length) + ": " : "";
  return `fleet ${label}: ${what}${parts.join("; ")}; ${plan.unchanged.length} unchanged`;
}
