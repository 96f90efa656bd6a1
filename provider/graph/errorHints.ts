// What a person should do about a Graph failure, per class of status. The 403 hint names
// the permission Graph says is missing rather than guessing one.
import type { BudgetRefusal } from "./retryPolicy";

/** The operations this client performs (used for hints and messages). */
export type GraphOperation =
  | "getManagedDevice"
  | "listManagedDevices"
  | "rotateBitLockerKeys"
  | "listRecoveryKeys"
  | "getRecoveryKey"
  | "listDirectoryAudits"
  | "batch";

export interface Hint {
  /** What happened, in a few words ("the app lacks a permission"). */
  summary: string;
  /** What to do, as a sentence; empty when there is nothing to do but read the summary. */
  action: string;
}

export interface HintInput {
  status: number;
  code: string;
  graphMessage: string;
  operation: GraphOperation | undefined;
  deviceId: string | undefined;
  retryAfterSeconds: number | undefined;
  /** Set when the retry decision refused a wait for lack of budget. */
  budget?: BudgetRefusal | undefined;
}

/** The least-privileged permission first: the one we suggest when Graph lists several. */
const PERMISSION_PREFERENCE = [
  "BitlockerKey.ReadBasic.All",
  "DeviceManagementManagedDevices.Read.All",
  "DeviceManagementManagedDevices.ReadWrite.All",
  "DeviceManagementManagedDevices.PrivilegedOperations.All",
  "DeviceManagementConfiguration.ReadWrite.All",
];

/** The documented permission per operation, for a 403 whose message names none. */
const PERMISSION_BY_OPERATION: Readonly<Record<GraphOperation, string | undefined>> = {
  getManagedDevice: "DeviceManagementManagedDevices.Read.All",
  listManagedDevices: "DeviceManagementManagedDevices.Read.All",
  rotateBitLockerKeys: "DeviceManagementManagedDevices.ReadWrite.All",
  listRecoveryKeys: "BitlockerKey.ReadBasic.All",
  getRecoveryKey: "BitlockerKey.ReadBasic.All",
  // Entra's 403 here ("Authorization_RequestDenied", "Insufficient privileges…") names nothing.
  listDirectoryAudits: "AuditLog.Read.All",
  batch: undefined,
};

/**
 * Permissions Graph says it wants, in its order. Intune: "Application must have one of the
 * following scopes: A, B"; other workloads: "API requires one of 'A, B'".
 */
export function permissionsNamedIn(message: string): string[] {
  const listed =
    /one of the following scopes:\s*([\w.,\s]+)/i.exec(message)?.[1] ??
    /requires one of '([^']+)'/i.exec(message)?.[1];
  if (!listed) return [];
  return listed
    .split(",")
    .map((s) => s.trim())
    .filter((s) => /^[A-Za-z]+(\.[A-Za-z]+)+$/.test(s));
}

/** The permission to grant: least-privileged of those Graph named, else the documented one. */
export function permissionToGrant(
  message: string,
  operation: GraphOperation | undefined,
  code: string,
): string | undefined {
  const named = permissionsNamedIn(message);
  if (named.length > 0) {
    return PERMISSION_PREFERENCE.find((p) => named.includes(p)) ?? named[0];
  }
  if (code === "authorization_error") return "BitlockerKey.ReadBasic.All";
  return operation ? PERMISSION_BY_OPERATION[operation] : undefined;
}

export function hintFor(input: HintInput): Hint {
  const { status, operation } = input;
  if (status === 401) {
    return {
      summary: "the access token was rejected",
      action:
        "Check that bitlocker:tenantId is the tenant that owns the devices, that bitlocker:cloud matches it, and that the app's credential is valid",
    };
  }
  if (status === 403) {
    const permission = permissionToGrant(input.graphMessage, operation, input.code);
    return {
      summary: "the app lacks a permission",
      action: permission
        ? `Grant ${permission} (application) and admin-consent it`
        : "Grant the application permission the request needs and admin-consent it",
    };
  }
  if (status === 404) {
    return input.deviceId
      ? { summary: "the device does not exist in this tenant (deleted or wrong id)", action: "" }
      : { summary: "the resource was not found", action: "" };
  }
  if (status === 400) {
    return operation === "rotateBitLockerKeys"
      ? {
          summary: "Graph refused the request",
          action:
            "The device may not support BitLocker key rotation (not Windows, not enrolled, unsupported edition) or the request was malformed",
        }
      : { summary: "Graph refused the request as malformed", action: "" };
  }
  if (input.budget && (status === 429 || status === 503 || status === 504))
    return budgetHint(input.budget, status);
  if (status === 429) {
    const wait =
      input.retryAfterSeconds !== undefined
        ? ` (Graph asked to wait ${input.retryAfterSeconds} s)`
        : "";
    return {
      // A 429 that comes out here outlived every retry (a wait past the budget has budgetHint).
      summary: `throttled by Graph, still after the retries allowed (bitlocker:maxRetries)${wait}`,
      action:
        "Lower bitlocker:postShareOfLimit if other tools use the same app, raise bitlocker:maxRetries (or bitlocker:retryBudgetSeconds when Graph asks for long waits), or run again later",
    };
  }
  if (status >= 500) {
    return {
      summary: "Graph is having service trouble",
      action: "Re-running is safe",
    };
  }
  return { summary: "Graph refused the request", action: "" };
}

const seconds = (ms: number) => String(Math.round(ms / 100) / 10);

/** Graph asked for (or the backoff needed) a wait the retry budget had no room for. */
function budgetHint(b: BudgetRefusal, status: number): Hint {
  const what = status === 429 ? "throttled: " : "";
  const wait = b.askedByGraph
    ? `Graph asked to wait ${seconds(b.waitMs)} s (Retry-After)`
    : `the next retry was due in ${seconds(b.waitMs)} s`;
  return {
    summary: `${what}${wait}, more than the ${seconds(b.leftMs)} s left of the retry budget (bitlocker:retryBudgetSeconds = ${seconds(b.budgetMs)} s), so the request was not sent again and Graph did not act on it`,
    action:
      "Run `pulumi up` again after that time (it sends only what is not recorded), or raise bitlocker:retryBudgetSeconds (at most 3600) to wait within the run; if other tools use the same app, lower bitlocker:postShareOfLimit",
  };
}

/** Node/OpenSSL codes for a certificate chain this process does not trust. */
const UNTRUSTED_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_UNTRUSTED",
  "CERT_CHAIN_TOO_LONG",
  "CERT_SIGNATURE_FAILURE",
]);

/**
 * What a TLS failure means, from the error's code (Node copies OpenSSL's verify result there),
 * or undefined when the code is not a certificate problem. `setting` names the URL setting
 * that points at the server, e.g. "bitlocker:graphEndpoint".
 */
export function tlsProblem(
  code: string | undefined,
  origin: string,
  setting: string,
): Hint | undefined {
  if (!code) return undefined;
  if (UNTRUSTED_CODES.has(code)) {
    return {
      summary: `the certificate of ${origin} is not issued by a CA this process trusts (${code})`,
      action: `If a corporate proxy or TLS inspection re-signs traffic, or the server uses a private CA, give that CA to Node: NODE_EXTRA_CA_CERTS=/path/to/ca.pem, set before \`pulumi\` starts (Node reads it at start). Never turn verification off`,
    };
  }
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") {
    const what = code === "CERT_HAS_EXPIRED" ? "has expired" : "is not valid yet";
    return {
      summary: `the certificate of ${origin} ${what} (${code})`,
      action: `Check this machine's clock; if it is right, the server (or a proxy in between) presents a certificate that ${what}: it must be renewed there`,
    };
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return {
      summary: `the certificate of ${origin} is issued for another host name (${code})`,
      action: `Check that ${setting} names the server exactly as its certificate does; a proxy that inspects TLS must issue certificates for that name`,
    };
  }
  return undefined;
}
