// Entra ID's OAuth error body: {"error","error_description":"AADSTS…","error_codes",…}.
import { randomUUID } from "node:crypto";
import { JSON_CONTENT_TYPE, type SimRequest, type SimResponse } from "../http/exchange";

export interface AadstsError {
  status: 400 | 401;
  /** OAuth error: invalid_client, invalid_request, invalid_scope, unauthorized_client… */
  error: string;
  code: number;
  description: string;
}

export function aadsts(
  status: 400 | 401,
  error: string,
  code: number,
  description: string,
): AadstsError {
  return { status, error, code, description };
}

/** Entra's timestamp format in error bodies: "2024-08-01 12:00:00Z". */
function entraTimestamp(now: Date): string {
  return `${now.toISOString().slice(0, 10)} ${now.toISOString().slice(11, 19)}Z`;
}

export function aadstsResponse(req: SimRequest, e: AadstsError, baseUrl: string): SimResponse {
  const now = new Date();
  const traceId = randomUUID();
  const timestamp = entraTimestamp(now);
  return {
    status: e.status,
    headers: {
      "content-type": `${JSON_CONTENT_TYPE}; charset=utf-8`,
      "x-ms-request-id": traceId,
      ...(e.status === 401 ? { "www-authenticate": 'Basic realm="simulated"' } : {}),
    },
    body: {
      error: e.error,
      error_description: `AADSTS${e.code}: ${e.description} Trace ID: ${traceId} Correlation ID: ${req.clientRequestId} Timestamp: ${timestamp}`,
      error_codes: [e.code],
      timestamp,
      trace_id: traceId,
      correlation_id: req.clientRequestId,
      error_uri: `${baseUrl}/error?code=${e.code}`,
    },
  };
}
