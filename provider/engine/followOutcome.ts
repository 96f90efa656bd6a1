// Polls a requested rotation until the device reports it (waitFor "applied") and until a
// new recovery key is escrowed (waitFor "escrowed"). Reads only; a timeout is "pending".
import { resultForRequest } from "../plan/actionResult";
import type { WaitFor } from "../plan/inputs";
import { escrowEvidence, isSettled, outcomeOf, type OutcomeFacts } from "../plan/status";
import type { ManagedDevice } from "../graph/types";
import type { DeviceGraph } from "./deviceGraph";
import { isForbidden } from "./errorKinds";
import { withDeadline } from "../graph/deadline";

export interface FollowTarget {
  managedDeviceId: string;
  azureADDeviceId: string;
  requestedAt: string;
}

export interface FollowOptions {
  waitFor: WaitFor;
  timeoutSeconds: number;
  pollIntervalSeconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads the outcome once: each step of a wait. */
export async function readOutcome(
  graph: DeviceGraph,
  target: FollowTarget,
  checkEscrow: boolean,
): Promise<OutcomeFacts> {
  const device = await graph.getManagedDevice(target.managedDeviceId);
  return outcomeOnDevice(graph, device, target, checkEscrow);
}

/** The outcome shown by device facts already read (refresh), plus escrow evidence if asked. */
export async function outcomeOnDevice(
  graph: DeviceGraph,
  device: ManagedDevice,
  target: FollowTarget,
  checkEscrow: boolean,
): Promise<OutcomeFacts> {
  const result = resultForRequest(device, target.requestedAt);
  const outcome = outcomeOf(result);
  if (!checkEscrow || outcome.status !== "done") return outcome;
  try {
    const keys = await graph.listRecoveryKeys(target.azureADDeviceId);
    const evidence = escrowEvidence(keys, target.requestedAt);
    return evidence ? outcomeOf(result, evidence.createdDateTime) : outcome;
  } catch (e) {
    if (!isForbidden(e)) throw e;
    return {
      ...outcome,
      hint: "Escrow evidence needs the application permission BitlockerKey.ReadBasic.All (never BitlockerKey.Read.All: the key itself is not read)",
    };
  }
}

/** Waits as the user asked; never throws once a rotation was requested. */
export async function followOutcome(
  graph: DeviceGraph,
  target: FollowTarget,
  options: FollowOptions,
): Promise<OutcomeFacts> {
  if (options.waitFor === "requested") return { status: "requested" };
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  const escrow = options.waitFor === "escrowed";
  for (;;) {
    let outcome: OutcomeFacts;
    try {
      // Reads retry only within the wait the user allowed, not a fresh budget each.
      outcome = await withDeadline(deadline, () => readOutcome(graph, target, escrow));
    } catch (e) {
      return {
        status: "requested",
        hint: `Rotation requested, but its outcome could not be read (${(e as Error).message}); run \`pulumi refresh\` to follow it`,
      };
    }
    // A missing escrow permission will not grant itself: stop waiting and say so.
    if (
      isSettled(outcome, options.waitFor) ||
      outcome.hint?.includes("BitlockerKey.ReadBasic.All")
    ) {
      return outcome;
    }
    if (Date.now() + options.pollIntervalSeconds * 1000 > deadline) {
      return {
        ...outcome,
        status: outcome.status === "requested" ? "pending" : outcome.status,
        hint: `Not ${escrow ? "escrowed" : "applied"} within ${options.timeoutSeconds}s (the device applies it at its next check-in); run \`pulumi refresh\` to follow it`,
      };
    }
    await sleep(options.pollIntervalSeconds * 1000);
  }
}
