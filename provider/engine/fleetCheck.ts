// check and diff of BitLockerKeyRotationFleet: what `pulumi preview` and every no-op `up` call.
// They decide from the inputs and the old state; only a change that would rotate a device loads
// the Graph engine, for the preview reads (previewReads.ts). A no-op loads plan/ and nothing that
// talks to Graph (no undici, no @azure/identity): see engine/fleet.ts.
import { checkFleet, fleetInputsOf, type FleetInputs } from "../plan/fleet/inputs";
import { diffFleet, type FleetPlan, type FleetState } from "../plan/fleet/plan";
import { MAX_ROTATIONS_CONFIG, rotationGuard, wouldRotate } from "../plan/fleet/guard";
import { describeFleetPlan, detailFleetPlan } from "../plan/fleet/describe";
import { previewJsonLine } from "../plan/fleet/previewJson";
import type { FleetPreview } from "../plan/preview";
import type * as PreviewReads from "./previewReads";
import { maxRotationsPerUpdate } from "./context";
import { Refusal } from "./errors";
import { log } from "./log";

type Props = Record<string, unknown>;
type Inputs = FleetInputs & { label?: string };

export async function check(olds: Props, news: Props) {
  const checked = checkFleet(news);
  // A create has no diff: its blast radius and preview reads are judged here. An update's are
  // judged in diff, which sees the old records (check sees only the old inputs).
  if (checked.failures.length === 0 && olds.managedDeviceIds === undefined) {
    const inputs = fleetInputsOf(checked.inputs) as Inputs;
    const d = diffFleet({}, inputs);
    if (d.plan) {
      const refusal = await previewChange(inputs.label ?? "fleet", undefined, inputs, d.plan, true);
      if (refusal)
        return {
          ...checked,
          failures: [{ property: "managedDeviceIds", reason: refusal.message }],
        };
    }
  }
  return checked;
}

export async function diff(_id: string, olds: Props, news: Props) {
  const inputs = fleetInputsOf(news) as Inputs;
  const d = diffFleet(olds as Partial<FleetState>, inputs);
  if (d.plan) {
    // Thrown at diff, so `pulumi preview` fails with it and `pulumi up` never reaches update.
    const refusal = await previewChange(
      inputs.label ?? "fleet",
      olds as Partial<FleetState>,
      inputs,
      d.plan,
      false,
    );
    if (refusal) throw new Refusal(refusal.message, refusal.line);
  }
  return { changes: d.changes, replaces: [] as string[], deleteBeforeReplace: false };
}

/**
 * What preview says of a fleet change, and why it refuses it (undefined: allowed). The guard
 * first, from the plan alone (a refused change reads nothing); then, when some device would
 * rotate, the preview reads (engine/previewReads.ts, loaded only then): the credential and its
 * roles (a failure refuses: `up` would fail on it) and the devices, so the lines name each skip
 * by reason.
 */
async function previewChange(
  label: string,
  olds: Partial<FleetState> | undefined,
  inputs: Inputs,
  plan: FleetPlan,
  creating: boolean,
): Promise<{ message: string; line: string } | undefined> {
  const say = (preview?: FleetPreview) => {
    const line = describeFleetPlan(label, plan, creating, preview);
    if (line) log(line);
    for (const detail of detailFleetPlan(label, plan, preview)) log(detail);
    // For `bitlocker-report preview` (the lines above are for people, and not parsed).
    if (line) log(previewJsonLine(label, plan, preview));
  };
  const limit = maxRotationsPerUpdate();
  const verdict = rotationGuard(label, plan, limit);
  if (!verdict.allowed) {
    say();
    return {
      message: verdict.message,
      line: `fleet ${label} would rotate ${verdict.wouldRotate} device(s), more than ${MAX_ROTATIONS_CONFIG} (${limit}); nothing was sent`,
    };
  }
  if (wouldRotate(plan).length === 0) {
    say();
    return undefined;
  }
  const reads = require("./previewReads") as typeof PreviewReads;
  const access = await reads.previewAccess("rotate");
  if (!("context" in access)) {
    say();
    if (!("fail" in access)) return undefined;
    const message = `fleet ${label}: ${access.fail}`;
    return { message, line: message };
  }
  say(await reads.previewFleetReads(access.context, plan, olds, inputs));
  return undefined;
}
