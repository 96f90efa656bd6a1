// The resources' inputs, defined once: the table INPUTS says, for each input, which resource
// takes it, its type, its validation and its documentation line. The engine's `check`
// (checkInputs), the program-side Args types (InputValues, via resources/) and the inputs
// table of docs/concepts.md (checked by test/unit/plan-inputs.test.ts) all derive from it.
// Pure: no Graph call, no clock.
import { ENDPOINT_SETTINGS, type EndpointSetting } from "./collection";
import { isGuid, normalizeGuid } from "./ids";
import { quoteForMessage } from "./quote";
import { DEFAULT_KEY_CAP, ENTRA_RECOVERY_KEY_CAP, type KeyCapSettings } from "./keyCap";

/** What Pulumi passes for a value not known until apply (e.g. an output of another resource). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type WaitFor = "requested" | "applied" | "escrowed";
const WAIT_FOR: readonly WaitFor[] = ["requested", "applied", "escrowed"];

export type { EndpointSetting };

const MAX_TOKEN_LENGTH = 256;
const MAX_REASON_LENGTH = 1024;
const MAX_LABEL_LENGTH = 256;
const MAX_FLEET_SIZE = 100_000;

/** Which resource takes an input: BitLockerKeyRotation or BitLockerKeyRotationFleet. */
export type ResourceKind = "single" | "fleet";

/** How an input is validated (and so which TypeScript type it has). */
type InputKind =
  | { type: "guid"; what: string }
  | { type: "guidList" }
  | { type: "token" }
  | { type: "tokenMap" }
  | { type: "boolean"; default: boolean }
  | { type: "oneOf"; values: readonly string[]; default: string }
  | { type: "integer"; min: number; max: number; default: number }
  | { type: "text"; maxLength: number };

export interface InputSpec {
  resources: readonly ResourceKind[];
  required: boolean;
  kind: InputKind;
  /** The docs' "default" column when it is not the kind's default (e.g. "the resource name"). */
  docDefault?: string;
  /** The docs' description, one line of Markdown. */
  doc: string;
}

export const INPUTS = {
  managedDeviceId: {
    resources: ["single"],
    required: true,
    kind: { type: "guid", what: "managedDeviceId (the Intune managed device id)" },
    doc: "Intune managed device id (GUID); a new id replaces the resource",
  },
  managedDeviceIds: {
    resources: ["fleet"],
    required: true,
    kind: { type: "guidList" },
    doc: `GUIDs (at most ${MAX_FLEET_SIZE.toLocaleString("en-US")}); order and duplicates do not matter`,
  },
  rotationToken: {
    resources: ["single", "fleet"],
    required: true,
    kind: { type: "token" },
    doc: `each new value rotates once; any text up to ${MAX_TOKEN_LENGTH} characters`,
  },
  deviceTokens: {
    resources: ["fleet"],
    required: false,
    kind: { type: "tokenMap" },
    docDefault: "`{}`",
    doc: "device id → token, overriding the fleet's token for that device",
  },
  rotateOnCreate: {
    resources: ["single", "fleet"],
    required: false,
    kind: { type: "boolean", default: true },
    doc: "`false` adopts without rotating",
  },
  endpoint: {
    resources: ["single", "fleet"],
    required: false,
    kind: {
      type: "oneOf",
      values: ENDPOINT_SETTINGS as readonly EndpointSetting[],
      default: "auto",
    },
    doc: "`auto` (co-managed → `comanagedDevices`), `managedDevices`, `comanagedDevices`",
  },
  waitFor: {
    resources: ["single", "fleet"],
    required: false,
    kind: { type: "oneOf", values: WAIT_FOR, default: "requested" },
    doc: "`requested`, `applied`, `escrowed`",
  },
  waitTimeoutSeconds: {
    resources: ["single", "fleet"],
    required: false,
    kind: { type: "integer", min: 0, max: 86400, default: 900 },
    doc: "how long to wait for `applied` / `escrowed`; then `pending`",
  },
  pollIntervalSeconds: {
    resources: ["single", "fleet"],
    required: false,
    kind: { type: "integer", min: 1, max: 3600, default: 30 },
    doc: "seconds between reads while waiting",
  },
  reason: {
    resources: ["single", "fleet"],
    required: false,
    kind: { type: "text", maxLength: MAX_REASON_LENGTH },
    doc: "recorded in state for the audit trail (never put a secret here)",
  },
  recoveryKeyWarnAt: {
    resources: ["single", "fleet"],
    required: false,
    kind: {
      type: "integer",
      min: 0,
      max: ENTRA_RECOVERY_KEY_CAP,
      default: DEFAULT_KEY_CAP.recoveryKeyWarnAt,
    },
    doc: `warn when a device has this many recovery keys in Entra ID (at most ${ENTRA_RECOVERY_KEY_CAP} are kept); \`0\` never warns`,
  },
  recoveryKeyLimit: {
    resources: ["single", "fleet"],
    required: false,
    kind: {
      type: "integer",
      min: 0,
      max: ENTRA_RECOVERY_KEY_CAP,
      default: DEFAULT_KEY_CAP.recoveryKeyLimit,
    },
    doc: "refuse to rotate a device with this many recovery keys or more; `0` turns the guard (and its read) off",
  },
  label: {
    resources: ["fleet"],
    required: false,
    kind: { type: "text", maxLength: MAX_LABEL_LENGTH },
    docDefault: "the resource name",
    doc: "name used in progress lines",
  },
} as const satisfies Record<string, InputSpec>;

export type InputName = keyof typeof INPUTS;
export const INPUT_NAMES = Object.keys(INPUTS) as InputName[];

/** The value type of an input kind, as the engine sees it after check. */
type ValueOfKind<K> = K extends { type: "guid" | "token" | "text" }
  ? string
  : K extends { type: "guidList" }
    ? string[]
    : K extends { type: "tokenMap" }
      ? Record<string, string>
      : K extends { type: "boolean" }
        ? boolean
        : K extends { type: "oneOf"; values: readonly (infer V)[] }
          ? V
          : K extends { type: "integer" }
            ? number
            : never;

type Spec<N extends InputName> = (typeof INPUTS)[N];
type Takes<N extends InputName, R extends ResourceKind> = R extends Spec<N>["resources"][number]
  ? true
  : false;
type RequiredNames<R extends ResourceKind> = {
  [N in InputName]: Takes<N, R> extends true
    ? Spec<N>["required"] extends true
      ? N
      : never
    : never;
}[InputName];
type OptionalNames<R extends ResourceKind> = {
  [N in InputName]: Takes<N, R> extends true
    ? Spec<N>["required"] extends true
      ? never
      : N
    : never;
}[InputName];

/** Every input a resource takes, with its type; required ones required. */
export type InputValues<R extends ResourceKind> = {
  [N in RequiredNames<R>]: ValueOfKind<Spec<N>["kind"]>;
} & {
  [N in OptionalNames<R>]?: ValueOfKind<Spec<N>["kind"]>;
};

export function inputsOf(resource: ResourceKind): InputName[] {
  return INPUT_NAMES.filter((n) =>
    (INPUTS[n].resources as readonly ResourceKind[]).includes(resource),
  );
}

/** The docs' "resource" column. */
export function resourceColumn(spec: InputSpec): string {
  return spec.resources.length === 2 ? "both" : spec.resources[0]!;
}

/** The docs' "default" column. */
export function defaultColumn(spec: InputSpec): string {
  if (spec.docDefault !== undefined) return spec.docDefault;
  const k = spec.kind;
  if (k.type === "boolean" || k.type === "oneOf") return `\`${String(k.default)}\``;
  if (k.type === "integer") return String(k.default);
  return "—";
}

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

/** Inputs of both resources whose change is an update (with or without a rotation). */
export const UPDATE_INPUTS = [
  "rotationToken",
  "rotateOnCreate",
  "endpoint",
  "waitFor",
  "waitTimeoutSeconds",
  "pollIntervalSeconds",
  "reason",
] as const satisfies readonly (keyof RotationSettings | "rotationToken")[];

// The engine's settings type and the table must agree (a compile error otherwise).
type Agrees<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const settingsAgree: Agrees<
  Required<RotationSettings>,
  Required<Pick<InputValues<"single">, keyof RotationSettings>>
> = true;
void settingsAgree;

export function isUnknown(v: unknown): boolean {
  return v === UNKNOWN;
}

/**
 * Validates every input the resource takes, as INPUTS says, and returns the inputs with
 * defaults applied and ids normalized. Unknown values (not known until apply) pass through.
 */
export function checkInputs(
  resource: ResourceKind,
  news: Record<string, unknown>,
): { inputs: Record<string, unknown>; failures: CheckFailure[] } {
  const c = new InputChecker(news);
  for (const name of inputsOf(resource)) c.input(name, INPUTS[name]);
  return { inputs: { ...news, ...c.values }, failures: c.failures };
}

/** Collects failures and normalized values; unknown values pass through untouched. */
class InputChecker {
  readonly failures: CheckFailure[] = [];
  readonly values: Record<string, unknown> = {};

  constructor(private readonly news: Record<string, unknown>) {}

  fail(property: string, reason: string): void {
    this.failures.push({ property, reason });
  }

  input(property: string, spec: InputSpec): void {
    const v = this.news[property];
    const k = spec.kind;
    switch (k.type) {
      case "guid":
        return this.guid(property, k.what);
      case "guidList":
        return this.guidList(property, v);
      case "token":
        return this.token(property, spec.required);
      case "tokenMap":
        return this.tokenMap(property, v);
      case "boolean":
        return this.bool(property, v, k.default);
      case "oneOf":
        return this.oneOf(property, v, k.values, k.default);
      case "integer":
        return this.int(property, v, k.default, k.min, k.max);
      case "text":
        return this.text(property, v, k.maxLength);
    }
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

  guidList(property: string, ids: unknown): void {
    if (isUnknown(ids)) return void (this.values[property] = ids);
    if (!Array.isArray(ids)) {
      return this.fail(property, `${property} must be a list of Intune managed device ids`);
    }
    if (ids.length > MAX_FLEET_SIZE) {
      return this.fail(
        property,
        `at most ${MAX_FLEET_SIZE} devices per fleet resource; split the fleet`,
      );
    }
    const bad = ids.filter((id) => !isUnknown(id) && !isGuid(id));
    if (bad.length > 0) {
      return this.fail(
        property,
        `${bad.length} id(s) are not GUIDs, e.g. ${bad.slice(0, 3).map(preview).join(", ")}`,
      );
    }
    // Lower-cased, de-duplicated and sorted, so that order never causes a diff.
    this.values[property] = ids.some(isUnknown)
      ? ids
      : [...new Set((ids as string[]).map(normalizeGuid))].sort();
  }

  tokenMap(property: string, dt: unknown): void {
    if (dt === undefined || dt === null || isUnknown(dt)) return;
    if (typeof dt !== "object" || Array.isArray(dt)) {
      return this.fail(property, `${property} must map device ids to tokens`);
    }
    const normalized: Record<string, string> = {};
    for (const [id, token] of Object.entries(dt as Record<string, unknown>)) {
      if (!isGuid(id)) {
        this.fail(property, `${property} key ${preview(id)} is not a GUID`);
        continue;
      }
      const problem = isUnknown(token) ? undefined : tokenProblem(token);
      if (problem) this.fail(property, `${property}[${id}]: ${problem}`);
      else normalized[normalizeGuid(id)] = token as string;
    }
    this.values[property] = normalized;
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
function tokenProblem(v: unknown): string | undefined {
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
