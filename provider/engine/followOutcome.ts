// Polls a requested rotation until the device reports it (waitFor "applied") and until a
// new recovery key is escrowed (waitFor "escrowed"). Reads only; a timeout is "pending".
import { resultForRequest } from "../plan/actionResult";
import type { WaitFor } from "../plan/inputs";
import { escrowEvidence, isSettled, outcomeOf, type OutcomeFacts } from "../plan/status";
import type { ManagedDevice } from "../graph/types";
import type { DeviceGraph } from "./deviceGraph";
import { isForbidden } from "./errorKinds";
import { pollOutcome } from "./pollOutcome";

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

/** The outcome as read, and whether escrow evidence was refused (a missing permission). */
interface OutcomeRead {
  outcome: OutcomeFacts;
  escrowDenied: boolean;
}

/** The outcome shown by device facts already read (refresh), plus escrow evidence if asked. */
export async function outcomeOnDevice(
  graph: DeviceGraph,
  device: ManagedDevice,
  target: FollowTarget,
  checkEscrow: boolean,
): Promise<OutcomeFacts> {
  return (await readOutcomeOf(graph, device, target, checkEscrow)).outcome;
}

async function readOutcomeOf(
  graph: DeviceGraph,
  device: ManagedDevice,
  target: FollowTarget,
  checkEscrow: boolean,
): Promise<OutcomeRead> {
  const result = resultForRequest(device, target.requestedAt);
  const outcome = outcomeOf(result);
  if (!checkEscrow || outcome.status !== "done") return { outcome, escrowDenied: false };
  try {
    const keys = await graph.listRecoveryKeys(target.azureADDeviceId);
    const evidence = escrowEvidence(keys, target.requestedAt);
    return {
      outcome: evidence ? outcomeOf(result, evidence.createdDateTime) : outcome,
      escrowDenied: false,
    };
  } catch (e) {
    if (!isForbidden(e)) throw e;
    return {
      outcome: {
        ...outcome,
        hint: "Escrow evidence needs the application permission BitlockerKey.ReadBasic.All (never BitlockerKey.Read.All: the key itself is not read)",
      },
      escrowDenied: true,
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
  const escrow = options.waitFor === "escrowed";
  const end = await pollOutcome<OutcomeRead>({
    timeoutSeconds: options.timeoutSeconds,
    pollIntervalSeconds: options.pollIntervalSeconds,
    read: async () =>
      readOutcomeOf(graph, await graph.getManagedDevice(target.managedDeviceId), target, escrow),
    // A missing escrow permission will not grant itself: stop waiting and say so.
    settled: (r) => r.escrowDenied || isSettled(r.outcome, options.waitFor),
  });
  if (end.kind === "failed") {
    return {
      status: "requested",
      hint: `Rotation requested, but its outcome could not be read (${end.error.message}); run \`pulumi refresh\` to follow it`,
    };
  }
  const { outcome } = end.value;
  if (end.kind === "settled") return outcome;
  return {
    ...outcome,
    status: outcome.status === "requested" ? "pending" : outcome.status,
    hint: `Not ${escrow ? "escrowed" : "applied"} within ${options.timeoutSeconds}s (the device applies it at its next check-in); run \`pulumi refresh\` to follow it`,
  };
}
