// Sends one rotation request. A POST is not idempotent: when its answer is lost, the device's
// action results are read to see whether Intune acted, and only then is it sent again.
import type { DeviceCollection, ManagedDevice } from "../graph/types";
import { latestRotationResult } from "../plan/actionResult";
import { landedAfterLostAnswer } from "../plan/evidence";
import type { UnverifiedRequest } from "../plan/unverifiedRequest";
import type { DeviceGraph, RotationReceipt } from "./deviceGraph";
import { isOutcomeUnknown } from "./errorKinds";

export type RotationAttempt =
  | { kind: "sent"; receipt: RotationReceipt; verifiedAfterLostAnswer: boolean }
  | { kind: "unverified"; pending: UnverifiedRequest; cause: Error };

/**
 * How long after a lost answer (the timeout or the error, not the send) the device is read to
 * decide on a resend: a request that timed out (or met a gateway 504) may still be in Graph's
 * hands and land later, so an immediate read that shows nothing proves nothing.
 */
export function lostAnswerGraceMs(requestTimeoutSeconds: number): number {
  // Half the request timeout (15 s by default), at least 5 s, at most a minute.
  return Math.min(60_000, Math.max(5_000, (requestTimeoutSeconds * 1000) / 2));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function requestRotation(
  graph: DeviceGraph,
  device: ManagedDevice,
  collection: DeviceCollection,
  token: string,
  graceMs: number,
): Promise<RotationAttempt> {
  const priorStart = latestRotationResult(device)?.startDateTime;
  const sentAt = new Date();
  const unverified = (cause: Error & { clientRequestId?: string }): RotationAttempt => ({
    kind: "unverified",
    cause,
    pending: {
      token,
      sentAt: sentAt.toISOString(),
      ...(priorStart ? { priorStart } : {}),
      ...(cause.clientRequestId ? { clientRequestId: cause.clientRequestId } : {}),
    },
  });

  for (let attempt = 1; ; attempt++) {
    try {
      const receipt = await graph.rotateBitLockerKeys(device.id, collection);
      return { kind: "sent", receipt, verifiedAfterLostAnswer: false };
    } catch (e) {
      if (!isOutcomeUnknown(e)) throw e;
      // The grace counts from the failure: after a timeout, the send is already long past.
      await sleep(graceMs);
      let now: ManagedDevice;
      try {
        now = await graph.getManagedDevice(device.id);
      } catch {
        return unverified(e);
      }
      const landedAt = landedAfterLostAnswer(priorStart, now);
      if (landedAt) {
        const receipt: RotationReceipt = {
          clientRequestId: e.clientRequestId ?? "",
          ...(e.requestId ? { requestId: e.requestId } : {}),
          sentAt,
          graphDate: landedAt,
        };
        return { kind: "sent", receipt, verifiedAfterLostAnswer: true };
      }
      // Intune did not act on it: sending once more is safe. A second lost answer is left
      // unverified for the next run to settle.
      if (attempt >= 2) return unverified(e);
    }
  }
}
