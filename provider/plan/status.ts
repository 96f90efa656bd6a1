// One status word per device, derived from what Graph shows; the same words in state,
// previews and reports.
import type { ActionState, DeviceActionResult, RecoveryKeyInfo } from "../graph/types";
import { describeHresult, hresultText } from "./hresult";
import type { WaitFor } from "./inputs";

export type RotationStatus =
  | "adopted" // brought under management without rotating
  | "requested" // Graph answered 204; the device has not reported yet
  | "pending" // the device has the action queued or running
  | "done" // the device rotated its recovery password
  | "escrowed" // done, and a new recovery key reached Entra ID
  | "failed" // the device reported an error (errorCode)
  | "notSupported" // the device reported it cannot rotate
  | "canceled"
  | "unverified" // the request's answer was lost; the next run checks the device before resending
  | "missing"; // the device no longer exists in Intune

export interface OutcomeFacts {
  status: RotationStatus;
  actionState?: ActionState;
  errorCode?: number;
  /** "0x80310008 BitLocker is not enabled on the drive" */
  errorText?: string;
  hint?: string;
  escrowedAt?: string;
}

/** Status of a requested rotation from its action result and (optionally) escrow evidence. */
export function outcomeOf(
  result: DeviceActionResult | undefined,
  escrowedAt?: string,
): OutcomeFacts {
  if (!result) return { status: "requested" };
  const base = { actionState: result.actionState };
  switch (result.actionState) {
    case "done":
      return escrowedAt ? { ...base, status: "escrowed", escrowedAt } : { ...base, status: "done" };
    case "failed": {
      const code = result.errorCode ?? 0;
      const info = describeHresult(code);
      return {
        ...base,
        status: "failed",
        errorCode: code,
        errorText: hresultText(code),
        ...(info.hint ? { hint: info.hint } : {}),
      };
    }
    case "notSupported":
      return {
        ...base,
        status: "notSupported",
        hint: "The device reports it cannot rotate: check the client-driven recovery password rotation policy and the Windows edition",
      };
    case "canceled":
      return { ...base, status: "canceled" };
    default:
      return { ...base, status: "pending" };
  }
}

/** The first recovery key escrowed at or after the request: evidence of the rotation. */
export function escrowEvidence(
  keys: RecoveryKeyInfo[],
  requestedAt: string,
): RecoveryKeyInfo | undefined {
  const since = Date.parse(requestedAt);
  return keys
    .filter((k) => Date.parse(k.createdDateTime) >= since)
    .sort((a, b) => Date.parse(a.createdDateTime) - Date.parse(b.createdDateTime))[0];
}

/** True when waiting longer for `waitFor` cannot change the outcome. */
export function isSettled(outcome: OutcomeFacts, waitFor: WaitFor): boolean {
  switch (outcome.status) {
    case "escrowed":
    case "failed":
    case "notSupported":
    case "canceled":
    case "missing":
      return true;
    case "done":
      return waitFor !== "escrowed";
    default:
      return false;
  }
}
