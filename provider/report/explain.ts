// What a row's status and detail mean and what to do about them, in a sentence each:
// HRESULTs from plan/hresult.ts, skip reasons from plan/prerequisites.ts, Graph error codes
// through graph/errorHints.ts, so the report says what the engine says.
import { STATUS_CODES } from "node:http";
import { hintFor } from "../graph/errorHints";
import { describeHresult } from "../plan/hresult";
import type { PrerequisiteCode } from "../plan/prerequisites";
import type { ReportStatus } from "./types";

export interface Explanation {
  meaning?: string;
  hint?: string;
}

const NEW_TOKEN = "then give it a new token (its own entry in deviceTokens, for a fleet)";

/** Skip reasons a fleet records ("skipped <time> <hash> osTooOld"). */
const SKIPS: Record<PrerequisiteCode | "notFound" | "keyCap", Required<Explanation>> = {
  notWindows: {
    meaning: "Not a Windows device: BitLocker key rotation needs Windows",
    hint: "Leave it out of the fleet (select Windows devices only)",
  },
  osTooOld: {
    meaning: "Windows is older than 10.0.18363 (Windows 10 1909), the first build that can rotate",
    hint: `Update Windows, ${NEW_TOKEN}`,
  },
  notJoined: {
    meaning:
      "The device is not Entra joined or hybrid joined (Entra-registered devices cannot rotate)",
    hint: "Join the device to Entra ID, or leave it out of the fleet",
  },
  notEncrypted: {
    meaning: "BitLocker is not on (isEncrypted is false)",
    hint: `Enable BitLocker with an encryption policy, ${NEW_TOKEN}`,
  },
  multiSession: {
    meaning: "Windows Enterprise multi-session does not support key rotation",
    hint: "Leave it out of the fleet",
  },
  noEntraDevice: {
    meaning: "The device has no Entra ID object to escrow keys to (azureADDeviceId is empty)",
    hint: `Fix the device's Entra ID registration, ${NEW_TOKEN}`,
  },
  notFound: {
    meaning: "The device does not exist in Intune (retired, deleted or a wrong id)",
    hint: "Remove its id from the program",
  },
  keyCap: {
    meaning:
      "Entra ID holds as many recovery keys for the device as recoveryKeyLimit allows (the cap is 200)",
    hint: `Delete old recovery keys for the device in Entra ID, ${NEW_TOKEN}`,
  },
};

const STATUS: Partial<Record<ReportStatus, Explanation>> = {
  requested: {
    meaning: "Rotation requested; the device has not reported yet",
    hint: "Run `pulumi refresh` after the device's next check-in to follow it",
  },
  pending: {
    meaning: "The device has the rotation queued and has not applied it yet",
    hint: "Wait for the device's next check-in, then run `pulumi refresh`",
  },
  notSupported: {
    meaning: "The device reports it cannot rotate",
    hint: "Check the client-driven recovery password rotation policy and the Windows edition",
  },
  canceled: {
    meaning: "The rotation was canceled in Intune",
    hint: `Find out why, ${NEW_TOKEN}`,
  },
  unverified: {
    meaning: "The rotation request's answer was lost and could not be checked yet",
    hint: "Run `pulumi up` again: it checks the device before sending anything (never a blind resend)",
  },
  missing: {
    meaning: "The device no longer exists in Intune (retired or deleted)",
    hint: "Remove it from the program to forget it",
  },
};

/** Explains a row: the detail when there is one, else the status. */
export function explain(status: ReportStatus, detail: string | undefined): Explanation {
  if (status === "failed") return explainHresult(detail);
  if (status === "skipped") return explainSkip(detail);
  if (status === "error") return explainGraphError(detail);
  return STATUS[status] ?? {};
}

/** "0x80310008" (or the signed Int32 Graph reports) → meaning and hint. */
export function explainHresult(code: string | number | undefined): Explanation {
  const n = typeof code === "number" ? code : parseHex(code);
  if (n === undefined) {
    return {
      meaning: "The device reported an error without a code",
      hint: `Look at the device in Intune (Device actions), ${NEW_TOKEN}`,
    };
  }
  const info = describeHresult(n);
  if (info.meaning) return { meaning: info.meaning, ...(info.hint ? { hint: info.hint } : {}) };
  return {
    meaning: `Windows error ${info.hex}, not one this provider knows`,
    hint: `Look it up (\`certutil -error ${info.hex}\`) and check the device's BitLocker-API event log, ${NEW_TOKEN}`,
  };
}

function parseHex(code: string | undefined): number | undefined {
  if (!code) return undefined;
  if (/^0x[0-9a-f]{1,8}$/i.test(code)) return Number.parseInt(code.slice(2), 16) | 0;
  if (/^-?\d+$/.test(code)) return Number(code) | 0;
  return undefined;
}

export function explainSkip(reason: string | undefined): Explanation {
  const known =
    reason !== undefined && Object.hasOwn(SKIPS, reason)
      ? SKIPS[reason as keyof typeof SKIPS]
      : undefined;
  return (
    known ?? {
      meaning: reason ? `Skipped: ${reason}` : "Skipped",
      hint: "See the fleet's `pulumi up` log for the reason",
    }
  );
}

/** Codes the engine records that are not Graph's own. */
const ENGINE_CODES: Record<string, Required<Explanation>> = {
  NotSent: {
    meaning: "Not sent: a permission or credential failure stopped the run first",
    hint: "Fix that failure (see the Forbidden or Unauthorized rows), then run `pulumi up` again (nothing is sent twice)",
  },
  OutcomeUnknown: {
    meaning: "The request's answer was lost",
    hint: "Run `pulumi up` again: it checks the device before sending anything",
  },
  NetworkError: {
    meaning: "Graph could not be reached",
    hint: "Check the network path to Graph, then run `pulumi up` again (nothing is sent twice)",
  },
};

/** Graph's codes that do not spell an HTTP status phrase. */
const GRAPH_CODES: Record<string, number> = {
  ResourceNotFound: 404,
  InvalidAuthenticationToken: 401,
  Authorization_RequestDenied: 403,
  authorization_error: 403,
  accessDenied: 403,
  IncompleteBatchResponse: 502,
  InvalidResponse: 502,
};

let byPhrase: Map<string, number> | undefined;

/** "Forbidden" → 403, "TooManyRequests" → 429, "403" → 403, "Http418" → 418. */
export function statusOfCode(code: string): number | undefined {
  if (/^\d{3}$/.test(code)) return Number(code);
  const http = /^Http(\d{3})$/.exec(code);
  if (http) return Number(http[1]);
  if (Object.hasOwn(GRAPH_CODES, code)) return GRAPH_CODES[code];
  byPhrase ??= new Map(
    Object.entries(STATUS_CODES).map(([s, phrase]) => [
      (phrase ?? "").replace(/[^A-Za-z]/g, "").toLowerCase(),
      Number(s),
    ]),
  );
  return byPhrase.get(code.toLowerCase());
}

export function explainGraphError(code: string | undefined): Explanation {
  if (code && Object.hasOwn(ENGINE_CODES, code)) return ENGINE_CODES[code]!;
  const status = code ? statusOfCode(code) : undefined;
  const again = "run `pulumi up` again (nothing is sent twice)";
  if (status === undefined) {
    return {
      meaning: code && code !== "Error" ? `Graph error ${code}` : "The request failed",
      hint: `See the fleet's \`pulumi up\` log for Graph's message and request-id, then ${again}`,
    };
  }
  const h = hintFor({
    status,
    code: code!,
    graphMessage: "",
    operation: "rotateBitLockerKeys",
    deviceId: "device",
    retryAfterSeconds: undefined,
  });
  const meaning = `Graph ${status}${code && code !== String(status) ? ` ${code}` : ""}: ${h.summary}`;
  if (status === 404) return { meaning, hint: "Remove its id from the program" };
  if (status === 401 || status === 403) return { meaning, hint: `${h.action}, then ${again}` };
  if (status >= 500) return { meaning, hint: `Transient: ${again}` };
  return { meaning, hint: h.action || `See the fleet's \`pulumi up\` log, then ${again}` };
}
