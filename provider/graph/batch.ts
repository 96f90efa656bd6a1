// JSON batching: up to 20 requests in one POST /beta/$batch. The outer answer is 200 even
// when every inner request failed; each inner answer has its own status (a throttled one
// 429 with its own retry-after). Retrying inner requests is the caller's job.
import { parseGraphError, type ErrorContext, type GraphError } from "./errors";
import type { BatchRequest, BatchResponse } from "./types";

export const MAX_BATCH_SIZE = 20;

const METHODS = new Set(["GET", "POST", "PATCH", "DELETE", "PUT"]);

/** Throws TypeError for a batch Graph would refuse, or one that could reach another host. */
export function validateBatch(requests: readonly BatchRequest[]): void {
  if (requests.length === 0 || requests.length > MAX_BATCH_SIZE) {
    throw new TypeError(`a batch holds 1 to ${MAX_BATCH_SIZE} requests; got ${requests.length}`);
  }
  const ids = new Set<string>();
  for (const r of requests) {
    if (typeof r.id !== "string" || r.id === "" || ids.has(r.id)) {
      throw new TypeError(
        `batch request ids must be unique non-empty strings; got ${JSON.stringify(r.id)}`,
      );
    }
    ids.add(r.id);
    if (!METHODS.has(r.method))
      throw new TypeError(`batch request ${r.id}: unsupported method ${r.method}`);
    // Relative to the version root, and nothing that could be read as another origin.
    if (
      !/^\/[^/\\]/.test(r.url) ||
      /[\s\\]|:\/\//.test(r.url) ||
      /(^|\/)\.\.?(\/|$|\?)/.test(r.url)
    ) {
      throw new TypeError(
        `batch request ${r.id}: url must be a path relative to the version root, such as /deviceManagement/managedDevices/{id}; got ${JSON.stringify(r.url)}`,
      );
    }
  }
  for (const r of requests) {
    for (const d of r.dependsOn ?? []) {
      if (!ids.has(d)) throw new TypeError(`batch request ${r.id} depends on unknown id ${d}`);
    }
  }
}

/** A batch of GETs may be re-sent after a dropped connection; one with a POST may not. */
export function isIdempotentBatch(requests: readonly BatchRequest[]): boolean {
  return requests.every((r) => r.method === "GET");
}

/**
 * Graph refuses a write request inside $batch without a body and a Content-Type ("Write
 * request id : 1 does not contain Content-Type header or body"), even for actions that take
 * no parameters, such as rotateBitLockerKeys: those get `{}` as JSON.
 */
function withJsonBody(request: BatchRequest): BatchRequest {
  if (request.method === "GET" || request.method === "DELETE") return request;
  const headers = { ...request.headers };
  const typed = Object.keys(headers).some((k) => k.toLowerCase() === "content-type");
  if (!typed) headers["Content-Type"] = "application/json";
  return { ...request, headers, body: request.body ?? {} };
}

/** The outer body Graph expects. */
export function batchBody(requests: readonly BatchRequest[]): string {
  return JSON.stringify({ requests: requests.map(withJsonBody) });
}

/**
 * The inner answers, in the order of the requests, header names lower-cased. Returns the
 * ids Graph did not answer separately, so the caller decides what an unanswered POST means.
 */
export function readBatchAnswer(
  requests: readonly BatchRequest[],
  answer: unknown,
): { responses: BatchResponse[]; missing: string[] } {
  const raw = (answer as { responses?: unknown } | null)?.responses;
  const byId = new Map<string, BatchResponse>();
  if (Array.isArray(raw)) {
    for (const r of raw as Partial<BatchResponse>[]) {
      if (typeof r?.id !== "string" || typeof r.status !== "number") continue;
      const headers = Object.fromEntries(
        Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
      );
      byId.set(r.id, {
        id: r.id,
        status: r.status,
        headers,
        ...(r.body !== undefined ? { body: r.body } : {}),
      });
    }
  }
  const responses: BatchResponse[] = [];
  const missing: string[] = [];
  for (const req of requests) {
    const res = byId.get(req.id);
    if (res) responses.push(res);
    else missing.push(req.id);
  }
  return { responses, missing };
}

/** The GraphError an inner answer stands for (the caller decides whether to retry a 429). */
export function graphErrorFromBatchResponse(
  response: BatchResponse,
  context: ErrorContext = {},
): GraphError {
  const body =
    response.body === undefined
      ? ""
      : typeof response.body === "string"
        ? response.body
        : JSON.stringify(response.body);
  return parseGraphError(response.status, response.headers ?? {}, body, context);
}
