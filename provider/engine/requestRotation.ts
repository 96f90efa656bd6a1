// Sends one rotation request. A POST is not idempotent: when its answer is lost, the device's
// action results are read to see whether Intune acted, and only then is it sent again.
import type { DeviceCollection, ManagedDevice } from "../graph/types";
import { latestRotationResult, rotationStartedSince } from "../plan/actionResult";
import type { UnverifiedRequest } from "../plan/unverifiedRequest";
import type { DeviceGraph, RotationReceipt } from "./deviceGraph";
import { isOutcomeUnknown } from "./errorKinds";

export type RotationAttempt =
  | { kind: "sent"; receipt: RotationReceipt; verifiedAfterLostAnswer: boolean }
  | { kind: "unverified"; pending: UnverifiedRequest; cause: Error };

export async function requestRotation(
  graph: DeviceGraph,
  device: ManagedDevice,
  collection: DeviceCollection,
  token: string,
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
      let now: ManagedDevice;
      try {
        now = await graph.getManagedDevice(device.id);
      } catch {
        return unverified(e);
      }
      if (rotationStartedSince(priorStart, now)) {
        const receipt: RotationReceipt = {
          clientRequestId: e.clientRequestId ?? "",
          ...(e.requestId ? { requestId: e.requestId } : {}),
          sentAt,
        };
        return { kind: "sent", receipt, verifiedAfterLostAnswer: true };
      }
      // Intune did not act on it: sending once more is safe. A second lost answer is left
      // unverified for the next run to settle.
      if (attempt >= 2) return unverified(e);
    }
  }
}
