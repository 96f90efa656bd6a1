// Graph failures as errors a person can act on. Every failure of the client is a GraphError;
// a POST whose fate is unknown is an OutcomeUnknownError (never re-sent blindly).
import { STATUS_CODES } from "node:http";
import { hintFor, tlsProblem, type GraphOperation, type Hint } from "./errorHints";
import { retryAfterMs as retryAfterOf } from "./retryAfter";
import type { BudgetRefusal } from "./retryPolicy";

export type { GraphOperation } from "./errorHints";

/** Response headers as undici gives them (lower-case names). */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** What the caller knows about the request that failed. */
export interface ErrorContext {
  operation?: GraphOperation;
  deviceId?: string;
  clientRequestId?: string;
  /** The retry decision refused to wait this long (the message then says so). */
  budget?: BudgetRefusal;
}

export interface GraphErrorFields {
  status: number;
  code: string;
  graphMessage: string;
  requestId?: string;
  clientRequestId?: string;
  deviceId?: string;
  operation?: GraphOperation;
  /** Intune's "Activity ID", for a support case. */
  activityId?: string;
  retryAfterSeconds?: number;
  hint: Hint;
}

export class GraphError extends Error {
  override readonly name: string = "GraphError";
  /** HTTP status; 0 when no answer arrived. */
  readonly status: number;
  /** Graph's `error.code` (key on this, never on the message). */
  readonly code: string;
  /** Graph's human text (Intune's JSON-in-message unwrapped). */
  readonly graphMessage: string;
  readonly requestId: string | undefined;
  readonly clientRequestId: string | undefined;
  readonly deviceId: string | undefined;
  readonly operation: GraphOperation | undefined;
  readonly activityId: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  /** What to do, one or two sentences. */
  readonly hint: string;

  constructor(fields: GraphErrorFields) {
    super(formatMessage(fields));
    this.status = fields.status;
    this.code = fields.code;
    this.graphMessage = fields.graphMessage;
    this.requestId = fields.requestId;
    this.clientRequestId = fields.clientRequestId;
    this.deviceId = fields.deviceId;
    this.operation = fields.operation;
    this.activityId = fields.activityId;
    this.retryAfterSeconds = fields.retryAfterSeconds;
    this.hint = joinSentences(fields.hint.summary, fields.hint.action);
  }
}

/**
 * A POST (the rotation, a batch) was sent and no trustworthy answer came back: the
 * connection dropped after sending, the attempt timed out, or a gateway answered 5xx.
 * Graph may have acted. The caller must look at the device's deviceActionResults (for
 * actions started at or after `sentAt`) before sending it again.
 */
export class OutcomeUnknownError extends GraphError {
  override readonly name = "OutcomeUnknownError";
  /** When the attempt whose outcome is unknown was sent. */
  readonly sentAt: Date;
  /** Graph request-ids of every answered attempt (throttled ones included). */
  readonly requestIds: string[];
  /** What went wrong, e.g. "connection reset after the request was sent". */
  readonly reason: string;

  constructor(
    fields: Omit<GraphErrorFields, "hint" | "code" | "graphMessage"> & {
      sentAt: Date;
      requestIds: string[];
      reason: string;
    },
  ) {
    super({
      ...fields,
      code: "OutcomeUnknown",
      graphMessage: fields.reason,
      hint: {
        summary: "Graph may or may not have acted on it",
        action: `Check the device's deviceActionResults for an action started at or after ${fields.sentAt.toISOString()} before sending it again`,
      },
    });
    this.sentAt = fields.sentAt;
    this.requestIds = fields.requestIds;
    this.reason = fields.reason;
  }
}

function header(headers: ResponseHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function joinSentences(...parts: string[]): string {
  return parts
    .map((p) => p.trim().replace(/\.+$/, ""))
    .filter(Boolean)
    .map((p) => `${p}.`)
    .join(" ");
}

function formatMessage(f: GraphErrorFields): string {
  // The recovery-key API is keyed by the Entra device id, not the Intune one: say which.
  const device = f.operation === "listRecoveryKeys" ? "Entra device" : "device";
  const subject = f.deviceId ? `${device} ${f.deviceId}` : (f.operation ?? "Graph request");
  const reason = f.status ? ` ${STATUS_CODES[f.status] ?? ""}`.trimEnd() : "";
  const what = f.status ? `Graph ${f.status}${reason}` : `Graph ${f.code}`;
  const ids = f.requestId
    ? `request-id ${f.requestId}`
    : f.clientRequestId
      ? `client-request-id ${f.clientRequestId}`
      : undefined;
  const head = ids ? `${subject}: ${what} (${ids})` : `${subject}: ${what}`;
  return `${head}: ${joinSentences(f.hint.summary, f.graphMessage, f.hint.action)}`;
}

/** Intune wraps its text as JSON in `message`, ending with ids and a URL. */
function unwrapIntuneMessage(message: string): { text: string; activityId?: string } {
  let text = message;
  if (text.trimStart().startsWith("{")) {
    try {
      const inner = JSON.parse(text) as { Message?: unknown };
      if (typeof inner.Message === "string") text = inner.Message;
    } catch {
      // Not JSON after all: keep it as it is.
    }
  }
  const activityId = /Activity ID:\s*([0-9a-f-]{36})/i.exec(text)?.[1];
  // The human part ends where Intune's support trailer begins.
  const cut = text.search(/\s+-\s+(Operation ID \(for customer support\)|Activity ID|Url):/);
  if (cut >= 0) text = text.slice(0, cut);
  return { text: text.trim(), ...(activityId ? { activityId } : {}) };
}

/** Text of a non-JSON body (an HTML gateway page, plain text), shortened for a message. */
function plainText(body: string): string {
  return body
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 200);
}

/** `Forbidden`, `TooManyRequests`… for bodies that carry no code. */
function codeFromStatus(status: number): string {
  const phrase = STATUS_CODES[status];
  return phrase ? phrase.replace(/[^A-Za-z]/g, "") : `Http${status}`;
}

interface ParsedBody {
  code?: string;
  message?: string;
  requestId?: string;
  clientRequestId?: string;
}

/** Graph's `{"error":{code,message,innerError}}`, or OAuth's `{"error":"…","error_description"}`. */
function parseEnvelope(bodyText: string): ParsedBody | undefined {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return undefined;
  }
  if (body === null || typeof body !== "object") return undefined;
  const error = (body as { error?: unknown; error_description?: unknown }).error;
  if (typeof error === "string") {
    const description = (body as { error_description?: unknown }).error_description;
    return { code: error, ...(typeof description === "string" ? { message: description } : {}) };
  }
  if (error === null || typeof error !== "object") return undefined;
  const e = error as Record<string, unknown>;
  const inner = (e.innerError ?? e.innererror) as Record<string, unknown> | undefined;
  const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
  const out: ParsedBody = {};
  const code = str(e.code);
  const message = str(e.message);
  const requestId = str(inner?.["request-id"]);
  const clientRequestId = str(inner?.["client-request-id"]);
  if (code) out.code = code;
  if (message) out.message = message;
  if (requestId) out.requestId = requestId;
  if (clientRequestId) out.clientRequestId = clientRequestId;
  return out;
}

/**
 * Builds the GraphError for an error answer. Pure, so every envelope shape is unit-tested:
 * Graph's, Intune's JSON-inside-message, the recovery-key API's `authorization_error`,
 * OAuth-style, and non-JSON bodies.
 */
export function parseGraphError(
  status: number,
  headers: ResponseHeaders,
  bodyText: string,
  context: ErrorContext = {},
  now: number = Date.now(),
): GraphError {
  const parsed = parseEnvelope(bodyText);
  const code = parsed?.code ?? codeFromStatus(status);
  const { text, activityId } = parsed?.message
    ? unwrapIntuneMessage(parsed.message)
    : { text: plainText(bodyText), activityId: undefined };
  const retryAfterMs = retryAfterOf(headers, now);
  const retryAfterSeconds = retryAfterMs === undefined ? undefined : retryAfterMs / 1000;
  const requestId = header(headers, "request-id") ?? parsed?.requestId;
  const clientRequestId =
    context.clientRequestId ?? header(headers, "client-request-id") ?? parsed?.clientRequestId;
  return new GraphError({
    status,
    code,
    graphMessage: text,
    hint: hintFor({
      status,
      code,
      graphMessage: text,
      operation: context.operation,
      deviceId: context.deviceId,
      retryAfterSeconds,
      budget: context.budget,
    }),
    ...(requestId ? { requestId } : {}),
    ...(clientRequestId ? { clientRequestId } : {}),
    ...(context.deviceId ? { deviceId: context.deviceId } : {}),
    ...(context.operation ? { operation: context.operation } : {}),
    ...(activityId ? { activityId } : {}),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  });
}

/** No answer at all (DNS, refused, TLS, reset, timeout) for a request that was safe to retry. */
export function networkError(
  cause: { code?: string; message?: string },
  origin: string,
  context: ErrorContext = {},
): GraphError {
  const code = cause.code ?? "NetworkError";
  return new GraphError({
    status: 0,
    code,
    graphMessage: cause.message ?? code,
    hint: tlsProblem(code, origin, "bitlocker:graphEndpoint") ?? {
      summary: `no answer from ${origin}`,
      action:
        "Check the network, proxy and bitlocker:graphEndpoint / bitlocker:cloud (and NODE_EXTRA_CA_CERTS for a private CA); re-running is safe",
    },
    ...(context.clientRequestId ? { clientRequestId: context.clientRequestId } : {}),
    ...(context.deviceId ? { deviceId: context.deviceId } : {}),
    ...(context.operation ? { operation: context.operation } : {}),
  });
}
