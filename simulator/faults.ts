// Fault injection: rules matched on method and path, each firing a number of times or with
// a probability (drawn from the tenant's seed), checked before the request is handled.
import { graphError, tooManyRequests, type SimRequest, type SimResponse } from "./http/exchange";
import type { SeededRandom } from "./random";

export type FaultKind =
  "403" | "429" | "500" | "503" | "504" | "reset" | "drop" | "latency" | "hang";

export interface FaultRuleInput {
  /** HTTP method to match (any when absent). */
  method?: string;
  /** Matched against the path (e.g. /beta/deviceManagement/managedDevices/ID/rotateBitLockerKeys);
   *  a string is a regular expression's source. Inner $batch requests match as /beta/… too. */
  path: RegExp | string;
  /** Fire this many times, then retire (default: every match). */
  count?: number;
  /** Fire with this probability (default 1). */
  probability?: number;
  /** The request body must match too (e.g. `rotateBitLockerKeys` picks the $batch requests of
   *  rotations, not those of reads); a string is a regular expression's source. */
  bodyMatches?: RegExp | string;
  /** Top-level requests, inner $batch requests, or both (default). */
  scope?: "any" | "request" | "batchItem";
  kind: FaultKind;
  /** 429/503: the Retry-After value in seconds, fractional allowed (default 1). */
  retryAfterSeconds?: number;
  /** How the wait is written: Retry-After in delta seconds (default) or as an HTTP-date,
   *  `retry-after-ms` or `x-ms-retry-after-ms` (milliseconds, as other Azure services send), or
   *  no header at all. */
  retryAfterFormat?: "seconds" | "http-date" | "ms" | "x-ms" | "none";
  /**
   * 500/503/504: handle the request first (a POST takes effect), then answer with the error.
   * latency: handle it first, then wait `ms` before answering (Graph acted; the answer is slow).
   */
  afterProcessing?: boolean;
  /** latency: added delay; hang: time until the socket is destroyed (default: until close). */
  ms?: number;
}

export interface FaultRule extends Omit<FaultRuleInput, "path" | "bodyMatches"> {
  id: string;
  path: RegExp;
  bodyMatches?: RegExp;
  hits: number;
}

/** The JSON form of a rule (control API): path (and bodyMatches) as regex sources. */
export type FaultRuleJson = Omit<FaultRule, "path" | "bodyMatches"> & {
  path: string;
  bodyMatches?: string;
};

export class Faults {
  private rules: FaultRule[] = [];
  private nextId = 1;

  constructor(private readonly random: SeededRandom) {}

  add(input: FaultRuleInput): FaultRule {
    const path = typeof input.path === "string" ? new RegExp(input.path) : input.path;
    const { bodyMatches, ...rest } = input;
    const rule: FaultRule = {
      ...rest,
      id: `fault-${this.nextId++}`,
      path,
      hits: 0,
      ...(bodyMatches !== undefined
        ? { bodyMatches: typeof bodyMatches === "string" ? new RegExp(bodyMatches) : bodyMatches }
        : {}),
    };
    this.rules.push(rule);
    return rule;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRuleJson[] {
    return this.rules.map(({ bodyMatches, ...r }) => ({
      ...r,
      path: r.path.source,
      ...(bodyMatches ? { bodyMatches: bodyMatches.source } : {}),
    }));
  }

  /** The first live rule that matches and fires; it is counted (and retired when spent). */
  match(method: string, path: string, inBatch: boolean, body?: Buffer): FaultRule | undefined {
    for (const rule of this.rules) {
      if (rule.count !== undefined && rule.hits >= rule.count) continue;
      if (rule.method && rule.method.toUpperCase() !== method) continue;
      const scope = rule.scope ?? "any";
      if ((scope === "request" && inBatch) || (scope === "batchItem" && !inBatch)) continue;
      if (!rule.path.test(path)) continue;
      if (rule.bodyMatches && !rule.bodyMatches.test(body?.toString("utf8") ?? "")) continue;
      if (rule.probability !== undefined && !this.random.chance(rule.probability)) continue;
      rule.hits++;
      return rule;
    }
    return undefined;
  }
}

/** The Retry-After header a rule asks for (none when the format is "none"). */
function retryAfterHeader(
  seconds: number,
  format: FaultRuleInput["retryAfterFormat"] = "seconds",
  now = Date.now(),
): Record<string, string> {
  if (format === "none") return {};
  if (format === "ms") return { "retry-after-ms": String(Math.round(seconds * 1000)) };
  if (format === "x-ms") return { "x-ms-retry-after-ms": String(Math.round(seconds * 1000)) };
  if (format === "http-date") {
    return { "retry-after": new Date(now + Math.ceil(seconds) * 1000).toUTCString() };
  }
  return { "retry-after": formatSeconds(seconds) };
}

/** Seconds with at most three decimals, e.g. "2.128" or "10". */
export function formatSeconds(seconds: number): string {
  return String(Math.round(seconds * 1000) / 1000);
}

export interface FaultOutcome {
  response: SimResponse;
  fault?: FaultRule;
}

/**
 * Runs `handle` under the first matching fault rule, if any. "reset" and "hang" stop the
 * request before it is handled; "drop" handles it and then loses the answer.
 */
export async function withFaults(
  faults: Faults,
  req: SimRequest,
  path: string,
  inBatch: boolean,
  handle: () => Promise<SimResponse>,
): Promise<FaultOutcome> {
  const fault = faults.match(req.method, path, inBatch, req.body);
  if (!fault) return { response: await handle() };
  switch (fault.kind) {
    case "latency": {
      if (!fault.afterProcessing) await sleep(fault.ms ?? 0);
      const response = await handle();
      if (fault.afterProcessing) await sleep(fault.ms ?? 0);
      return { response, fault };
    }
    case "reset":
      return { response: { status: 0, headers: {}, connection: "reset" }, fault };
    case "drop":
      return { response: { ...(await handle()), connection: "drop" }, fault };
    case "hang": {
      if (fault.afterProcessing) await handle();
      const response: SimResponse = { status: 0, headers: {}, connection: "hang" };
      if (fault.ms !== undefined) response.hangMs = fault.ms;
      return { response, fault };
    }
    default: {
      if (fault.afterProcessing) await handle();
      return { response: faultStatusResponse(req, fault), fault };
    }
  }
}

function faultStatusResponse(req: SimRequest, fault: FaultRule): SimResponse {
  const retryAfter =
    fault.kind === "429" || fault.retryAfterSeconds !== undefined
      ? retryAfterHeader(fault.retryAfterSeconds ?? 1, fault.retryAfterFormat)
      : {};
  switch (fault.kind) {
    case "403":
      // Intune's answer when role-based access control (scope tags) keeps a device out of reach.
      return graphError(
        req,
        403,
        "Forbidden",
        "Application is not authorized to perform this operation on this device.",
      );
    case "429":
      return tooManyRequests(req, retryAfter);
    case "503":
      return graphError(
        req,
        503,
        "ServiceUnavailable",
        "The service is temporarily unavailable.",
        retryAfter,
      );
    case "504":
      return graphError(
        req,
        504,
        "GatewayTimeout",
        "The gateway did not receive a timely response.",
        retryAfter,
      );
    default:
      return graphError(
        req,
        500,
        "InternalError",
        "An internal server error occurred.",
        retryAfter,
      );
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
