// Errors the engine raises itself. Graph's own failures come from the client as GraphError.
import type { ManagedDevice } from "../graph/types";
import { describeUnmet, type UnmetPrerequisite } from "../plan/prerequisites";

/** A device that cannot rotate. Nothing was sent to Graph. */
export class PrerequisiteError extends Error {
  override readonly name = "PrerequisiteError";
  constructor(
    readonly device: ManagedDevice,
    readonly unmet: UnmetPrerequisite[],
  ) {
    super(
      `device ${device.id} (${device.deviceName}) cannot rotate its BitLocker keys: ${describeUnmet(unmet)}. ` +
        `Nothing was sent to Graph. Fix the device, or remove it from the program.`,
    );
  }
}

/**
 * A failure after part of the work was done. Pulumi's dynamic-provider host turns an error
 * carrying `id` and `properties` into ErrorResourceInitFailed, and the engine saves those
 * properties: this is how state keeps exactly what was rotated.
 */
export class RecordedFailure extends Error {
  override readonly name = "RecordedFailure";
  constructor(
    message: string,
    readonly id: string,
    readonly properties: Record<string, unknown>,
    readonly reasons: string[] = [message],
  ) {
    super(message);
  }
}

/**
 * A refusal thrown at diff, whose message says everything (what, how many, how to allow it).
 * Pulumi's dynamic-provider host logs every error it catches as `${e}: ${e.stack}` before it
 * passes e.message on as the error: a stack trace of our own code and the message twice.
 * This error's toString and stack turn that log line into one `[bitlocker] refused: <note>`.
 */
export class Refusal extends Error {
  override readonly name = "Refusal";
  constructor(message: string, note: string) {
    super(message);
    this.stack = note;
  }
  override toString(): string {
    return "[bitlocker] refused";
  }
}
