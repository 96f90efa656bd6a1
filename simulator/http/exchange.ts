// One request and its answer, independent of the socket: the same shapes serve top-level
// requests and the inner requests of a JSON $batch.

export interface SimRequest {
  method: string;
  /** Absolute URL as the client addressed it (inner $batch URLs resolved against the version root). */
  url: URL;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: Buffer;
  requestId: string;
  clientRequestId: string;
  /** The client's app (from its token or token request), once known: for the log and throttling. */
  appId?: string;
  /** Set on the inner requests of a $batch. */
  batch?: { batchRequestId: string; itemId: string };
}

export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON-serialisable body; undefined = no body (e.g. 204). */
  body?: unknown;
  /** What to do with the connection instead of, or after, answering (faults). */
  connection?: "reset" | "drop" | "hang";
  /** For "hang": how long before the socket is destroyed (default: until close). */
  hangMs?: number;
  /** Refused by the throttle (for the request log). */
  throttled?: boolean;
}

export const JSON_CONTENT_TYPE = "application/json";
const ODATA_CONTENT_TYPE =
  "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): SimResponse {
  return { status, headers: { "content-type": ODATA_CONTENT_TYPE, ...headers }, body };
}

/** Graph's timestamp format in innerError.date: seconds precision, no zone designator. */
function graphDate(now = new Date()): string {
  return now.toISOString().slice(0, 19);
}

/** Graph's error envelope. */
export function graphError(
  req: Pick<SimRequest, "requestId" | "clientRequestId">,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): SimResponse {
  return jsonResponse(
    status,
    {
      error: {
        code,
        message,
        innerError: {
          date: graphDate(),
          "request-id": req.requestId,
          "client-request-id": req.clientRequestId,
        },
      },
    },
    headers,
  );
}

/** Graph's documented 429 body (the throttling guidance's example shape). */
export function tooManyRequests(
  req: Pick<SimRequest, "requestId" | "clientRequestId">,
  headers: Record<string, string>,
): SimResponse {
  return jsonResponse(
    429,
    {
      error: {
        code: "TooManyRequests",
        message: "Please retry again later.",
        innerError: {
          code: "429",
          date: graphDate(),
          message: "Please retry after",
          "request-id": req.requestId,
          "client-request-id": req.clientRequestId,
          status: "429",
        },
      },
    },
    headers,
  );
}

/** Intune puts a JSON document in the envelope's message. */
function intuneMessage(req: Pick<SimRequest, "requestId" | "url">, text: string): string {
  return JSON.stringify({
    _version: 3,
    Message: `${text} - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: ${req.requestId} - Url: ${req.url.href}`,
    CustomApiErrorPhrase: "",
    RetryAfter: null,
    ErrorSourceService: "",
    HttpHeaders: "{}",
  });
}

export function intuneError(
  req: Pick<SimRequest, "requestId" | "clientRequestId" | "url">,
  status: number,
  code: string,
  text: string,
  headers: Record<string, string> = {},
): SimResponse {
  return graphError(req, status, code, intuneMessage(req, text), headers);
}

/** Parses a JSON body; undefined when empty, an Error when malformed. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}
