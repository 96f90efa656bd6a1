// Validation of resource inputs at preview time (check). Pure: no Graph call, no clock.
import { ENDPOINT_SETTINGS, type EndpointSetting } from "./collection";
import { isGuid, normalizeGuid } from "./ids";
import { quoteForMessage } from "./quote";
import { DEFAULT_KEY_CAP, ENTRA_RECOVERY_KEY_CAP, type KeyCapSettings } from "./keyCap";

/** What Pulumi passes for a value not known until apply (e.g. an output of another resource). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type WaitFor = "requested" | "applied" | "escrowed";
export const WAIT_FOR: readonly WaitFor[] = ["requested", "applied", "escrowed"];

export interface CheckFailure {
  property: string;
  reason: string;
}

/**
 * Settings shared by the single-device and fleet resources. The key-cap settings are read
 * when a rotation is due and are not compared by diff: changing them changes nothing in state.
 */
export interface RotationSettings extends Partial<KeyCapSettings> {
  rotateOnCreate: boolean;
  endpoint: EndpointSetting;
  waitFor: WaitFor;
  waitTimeoutSeconds: number;
  pollIntervalSeconds: number;
  /** Free text recorded in state, e.g. "INC-1234: key disclosed to help desk". */
  reason?: string;
}

export const DEFAULT_SETTINGS: RotationSettings = {
  rotateOnCreate: true,
  endpoint: "auto",
  waitFor: "requested",
  waitTimeoutSeconds: 900,
  pollIntervalSeconds: 30,
};

export const MAX_TOKEN_LENGTH = 256;
export const MAX_REASON_LENGTH = 1024;

export function isUnknown(v: unknown): boolean {
  return v === UNKNOWN;
}

/** Collects failures and normalized values; unknown values pass through untouched. */
export class InputChecker {
  readonly failures: CheckFailure[] = [];
  readonly values: Record<string, unknown> = {};

  constructor(private readonly news: Record<string, unknown>) {}

  fail(property: string, reason: string): void {
    this.failures.push({ property, reason });
  }

  guid(property: string, what: string): void {
    const v = this.news[property];
    if (isUnknown(v)) return void (this.values[property] = v);
    if (v === undefined || v === null || v === "")
      return this.fail(property, `${what} is required`);
    if (!isGuid(v)) {
      return this.fail(property, `${what} must be a GUID like 0b7c5a2e-…; got ${preview(v)}`);
    }
    this.values[property] = normalizeGuid(v);
  }

  token(property: string, required: boolean): void {
    const v = this.news[property];
    if (isUnknown(v)) return void (this.values[property] = v);
    if (v === undefined || v === null) {
      if (required) this.fail(property, "rotationToken is required: change it to rotate");
      return;
    }
    const problem = tokenProblem(v);
    if (problem) return this.fail(property, problem);
    this.values[property] = v;
  }

  settings(): void {
    const n = this.news;
    this.bool("rotateOnCreate", n.rotateOnCreate, DEFAULT_SETTINGS.rotateOnCreate);
    this.oneOf("endpoint", n.endpoint, ENDPOINT_SETTINGS, DEFAULT_SETTINGS.endpoint);
    this.oneOf("waitFor", n.waitFor, WAIT_FOR, DEFAULT_SETTINGS.waitFor);
    this.int(
      "waitTimeoutSeconds",
      n.waitTimeoutSeconds,
      DEFAULT_SETTINGS.waitTimeoutSeconds,
      0,
      86400,
    );
    this.int(
      "pollIntervalSeconds",
      n.pollIntervalSeconds,
      DEFAULT_SETTINGS.pollIntervalSeconds,
      1,
      3600,
    );
    this.text("reason", n.reason, MAX_REASON_LENGTH);
    this.int(
      "recoveryKeyWarnAt",
      n.recoveryKeyWarnAt,
      DEFAULT_KEY_CAP.recoveryKeyWarnAt,
      0,
      ENTRA_RECOVERY_KEY_CAP,
    );
    this.int(
      "recoveryKeyLimit",
      n.recoveryKeyLimit,
      DEFAULT_KEY_CAP.recoveryKeyLimit,
      0,
      ENTRA_RECOVERY_KEY_CAP,
    );
  }

  bool(property: string, v: unknown, dflt: boolean): void {
    if (v === undefined || v === null) return void (this.values[property] = dflt);
    if (isUnknown(v) || typeof v === "boolean") return void (this.values[property] = v);
    this.fail(property, `${property} must be true or false; got ${preview(v)}`);
  }

  oneOf<T extends string>(property: string, v: unknown, allowed: readonly T[], dflt: T): void {
    if (v === undefined || v === null) return void (this.values[property] = dflt);
    if (isUnknown(v) || allowed.includes(v as T)) return void (this.values[property] = v);
    this.fail(property, `${property} must be one of ${allowed.join(", ")}; got ${preview(v)}`);
  }

  int(property: string, v: unknown, dflt: number, min: number, max: number): void {
    if (v === undefined || v === null) return void (this.values[property] = dflt);
    if (isUnknown(v)) return void (this.values[property] = v);
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      return this.fail(
        property,
        `${property} must be a whole number from ${min} to ${max}; got ${preview(v)}`,
      );
    }
    this.values[property] = v;
  }

  text(property: string, v: unknown, maxLength: number): void {
    if (v === undefined || v === null) return;
    if (isUnknown(v)) return void (this.values[property] = v);
    if (typeof v !== "string" || v.length > maxLength) {
      return this.fail(property, `${property} must be text of at most ${maxLength} characters`);
    }
    this.values[property] = v;
  }
}

/** Why a value cannot be a rotation token, or undefined when it can. */
export function tokenProblem(v: unknown): string | undefined {
  if (typeof v !== "string") return `a rotation token must be text; got ${preview(v)}`;
  if (v.trim() === "") return "a rotation token must not be empty or blank";
  if (v.length > MAX_TOKEN_LENGTH) {
    return `a rotation token must be at most ${MAX_TOKEN_LENGTH} characters (a commit id, a date, a ticket)`;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(v))
    return "a rotation token must not contain control characters";
  return undefined;
}

/** A short, safe rendering of a bad value for a failure message. */
export function preview(v: unknown): string {
  if (typeof v === "string") {
    return quoteForMessage(v, 60);
  }
  if (v === null || typeof v !== "object") return String(v);
  return Array.isArray(v) ? "a list" : "an object";
}
