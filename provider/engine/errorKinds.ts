// Recognises the Graph client's error classes without importing its internals everywhere.

/** The POST may or may not have reached Intune: look at the device before sending again. */
export function isOutcomeUnknown(
  e: unknown,
): e is Error & { clientRequestId?: string; requestId?: string } {
  return e instanceof Error && e.name === "OutcomeUnknownError";
}

export function isNotFound(e: unknown): boolean {
  return e instanceof Error && (e as { status?: number }).status === 404;
}

export function isForbidden(e: unknown): boolean {
  return e instanceof Error && (e as { status?: number }).status === 403;
}
