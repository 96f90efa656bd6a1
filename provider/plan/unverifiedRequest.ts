// A rotation request whose answer was lost and could not be checked at once (Graph was
// unreachable) is kept in state as "unverified". The next run looks at the device before
// sending again, so a lost answer never turns into a blind second rotation, and a rotation
// that did not happen is never recorded as done.
import type { ManagedDevice } from "../graph/types";
import { rotationStartedSince } from "./actionResult";

export interface UnverifiedRequest {
  /** The token the request was sent for. */
  token: string;
  /** When it was sent (ISO 8601). */
  sentAt: string;
  /** The rotation result's startDateTime seen before sending; absent if there was none. */
  priorStart?: string;
  clientRequestId?: string;
}

/** The unverified request to settle before rotating for `token`, if any. */
export function unverifiedFor(
  pending: UnverifiedRequest | undefined,
  token: string,
): UnverifiedRequest | undefined {
  return pending && pending.token === token ? pending : undefined;
}

/** True when the device shows that the unverified request was carried out. */
export function wasCarriedOut(pending: UnverifiedRequest, device: ManagedDevice): boolean {
  return rotationStartedSince(pending.priorStart, device);
}
