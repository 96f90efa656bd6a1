// check and diff of BitLockerKeyRotationFleet: what `pulumi preview` and every no-op `up` call.
// They decide from the inputs and the old state alone, so this module loads plan/ and nothing
// that talks to Graph (no undici, no @azure/identity): see engine/fleet.ts.
import { checkFleet, fleetInputsOf, type FleetInputs } from "../plan/fleet/inputs";
import { diffFleet, type FleetState } from "../plan/fleet/plan";
import { MAX_ROTATIONS_CONFIG, rotationGuard } from "../plan/fleet/guard";
import { describeFleetPlan } from "../plan/fleet/describe";
import { maxRotationsPerUpdate } from "./context";
import { Refusal } from "./errors";
import { log } from "./log";

type Props = Record<string, unknown>;
type Inputs = FleetInputs & { label?: string };

export async function check(olds: Props, news: Props) {
  const checked = checkFleet(news);
  // A create has no diff: its blast radius is judged here. An update's is judged in diff,
  // which sees the old records (check sees only the old inputs).
  if (checked.failures.length === 0 && olds.managedDeviceIds === undefined) {
    const inputs = fleetInputsOf(checked.inputs) as Inputs;
    const d = diffFleet({}, inputs);
    if (d.plan) {
      const line = describeFleetPlan(inputs.label ?? "fleet", d.plan, true);
      if (line) log(line);
      const verdict = rotationGuard(inputs.label ?? "fleet", d.plan, maxRotationsPerUpdate());
      if (!verdict.allowed)
        return {
          ...checked,
          failures: [{ property: "managedDeviceIds", reason: verdict.message }],
        };
    }
  }
  return checked;
}

export async function diff(_id: string, olds: Props, news: Props) {
  const inputs = fleetInputsOf(news) as Inputs;
  const d = diffFleet(olds as Partial<FleetState>, inputs);
  if (d.plan) {
    const label = inputs.label ?? "fleet";
    const line = describeFleetPlan(label, d.plan);
    if (line) log(line);
    // Thrown at diff, so `pulumi preview` fails with it and `pulumi up` never reaches update.
    const limit = maxRotationsPerUpdate();
    const verdict = rotationGuard(label, d.plan, limit);
    if (!verdict.allowed)
      throw new Refusal(
        verdict.message,
        `fleet ${label} would rotate ${verdict.wouldRotate} device(s), more than ${MAX_ROTATIONS_CONFIG} (${limit}); nothing was sent`,
      );
  }
  return { changes: d.changes, replaces: [] as string[], deleteBeforeReplace: false };
}
