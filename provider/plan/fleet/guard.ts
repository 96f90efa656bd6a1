// The blast-radius guard: a fleet change that would rotate more devices than
// `bitlocker:maxRotationsPerUpdate` is refused at check/diff, so `pulumi preview` shows the
// refusal and `pulumi up` sends nothing. Pure: the plan and the limit come in, a verdict out.
import type { FleetPlan } from "./plan";

export const MAX_ROTATIONS_CONFIG = "bitlocker:maxRotationsPerUpdate";
const MAX_ROTATIONS_ENV = "BITLOCKER_MAX_ROTATIONS_PER_UPDATE";

export type GuardVerdict =
  { allowed: true; wouldRotate: number } | { allowed: false; wouldRotate: number; message: string };

/**
 * Devices this change may send a rotation to: the rotate list, and the lost answers (settle),
 * which are resent when the device shows no sign of the first request. Adopted, unchanged and
 * forgotten devices are never sent one.
 */
export function wouldRotate(plan: Pick<FleetPlan, "rotate" | "settle">): string[] {
  return [...plan.rotate, ...plan.settle];
}

/** Allowed when at most `limit` devices would rotate; otherwise says how many and how to allow it. */
export function rotationGuard(
  label: string,
  plan: Pick<FleetPlan, "rotate" | "settle">,
  limit: number,
): GuardVerdict {
  const ids = wouldRotate(plan);
  if (ids.length <= limit) return { allowed: true, wouldRotate: ids.length };
  const first = ids.slice(0, 5).join(", ") + (ids.length > 5 ? `, … (+${ids.length - 5})` : "");
  return {
    allowed: false,
    wouldRotate: ids.length,
    message:
      `fleet ${label}: this change would rotate ${ids.length} device(s) (${first}), more than ` +
      `${MAX_ROTATIONS_CONFIG} allows (${limit}); nothing was sent. If this many rotations are ` +
      `intended, raise the limit in the same pull request, where reviewers see it: ` +
      `\`pulumi config set ${MAX_ROTATIONS_CONFIG} ${ids.length}\` (or ${MAX_ROTATIONS_ENV}). ` +
      `If not, undo the change to the fleet's token, deviceTokens or device list.`,
  };
}
