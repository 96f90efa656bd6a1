// POST /{beta|v1.0}/$batch: up to 20 requests, each authenticated with the outer token,
// each through faults and Intune's throttle on its own; answers in shuffled order, outer 200.
import { randomUUID } from "node:crypto";
import { withFaults } from "../faults";
import {
  graphError,
  jsonResponse,
  parseJsonBody,
  type SimRequest,
  type SimResponse,
} from "../http/exchange";
import { logEntry } from "../requestLog";
import { authenticate } from "./authorize";
import type { GraphContext, Principal } from "./context";
import { handleAuthenticated } from "./router";

export const MAX_BATCH_REQUESTS = 20;
const METHODS = new Set(["GET", "POST", "PATCH", "PUT", "DELETE"]);
const WRITE_METHODS = new Set(["POST", "PATCH", "PUT"]);

interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  dependsOn: string[];
}

export async function serveBatch(
  req: SimRequest,
  ctx: GraphContext,
  version: string,
): Promise<SimResponse> {
  const principal = await authenticate(req, ctx);
  if (!("appId" in principal)) return principal;
  const parsed = parseBatch(req.body);
  if (typeof parsed === "string") return graphError(req, 400, "BadRequest", parsed);

  const results = new Map<string, SimResponse>();
  let connection: SimResponse["connection"];
  let hangMs: number | undefined;
  for (const item of executionOrder(parsed, ctx)) {
    const inner = innerRequest(req, ctx, version, item);
    const started = Date.now();
    let response: SimResponse;
    let fault: string | undefined;
    const failed = item.dependsOn.find((d) => !isSuccess(results.get(d)));
    if (failed !== undefined) {
      response = graphError(
        inner,
        424,
        "FailedDependency",
        `Request '${item.id}' depends on request '${failed}', which failed.`,
      );
    } else if (/^https?:/i.test(item.url)) {
      response = graphError(inner, 400, "BadRequest", "Batch request URLs must be relative.");
    } else {
      const path = inner.url.pathname;
      const outcome = await withFaults(
        ctx.faults,
        inner,
        decodeURIComponent(path),
        true,
        async () => handleAuthenticated(inner, ctx, principal as Principal),
      );
      response = outcome.response;
      fault = outcome.fault?.id;
    }
    ctx.log.add(logEntry(inner, response, started, fault));
    if (response.connection) {
      // A lost inner request takes the whole batch's connection with it.
      connection = response.connection;
      hangMs = response.hangMs;
      if (connection === "reset" || connection === "hang") break;
      response = { ...response, connection: undefined };
    }
    results.set(item.id, response);
  }
  if (connection === "reset" || connection === "hang") {
    const lost: SimResponse = { status: 0, headers: {}, connection };
    if (hangMs !== undefined) lost.hangMs = hangMs;
    return lost;
  }
  const responses = ctx.random.shuffle([...results].map(([id, r]) => toBatchResponse(id, r)));
  const outer = jsonResponse(200, { responses });
  if (connection === "drop") outer.connection = "drop";
  return outer;
}

/** A validation message (outer 400), or the items. */
function parseBatch(body: Buffer): BatchItem[] | string {
  const json = parseJsonBody(body);
  if (json === undefined || json instanceof Error || typeof json !== "object" || json === null) {
    return "Unable to deserialize the batch request body.";
  }
  const requests = (json as { requests?: unknown }).requests;
  if (!Array.isArray(requests) || requests.length === 0) return "Invalid batch payload format.";
  if (requests.length > MAX_BATCH_REQUESTS) {
    return `The number of requests in a batch (${requests.length}) exceeds the limit of ${MAX_BATCH_REQUESTS}.`;
  }
  const items: BatchItem[] = [];
  const ids = new Set<string>();
  for (const raw of requests as Record<string, unknown>[]) {
    const id = raw?.id;
    const method = typeof raw?.method === "string" ? raw.method.toUpperCase() : "";
    if (
      typeof id !== "string" ||
      id === "" ||
      typeof raw.url !== "string" ||
      !METHODS.has(method)
    ) {
      return "Invalid batch payload format: each request needs an id, a method and a url.";
    }
    if (ids.has(id)) return `Request id '${id}' is duplicated in the batch.`;
    ids.add(id);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries((raw.headers as Record<string, unknown>) ?? {})) {
      headers[k.toLowerCase()] = String(v);
    }
    // Graph refuses the whole batch when a write carries no body or no Content-Type.
    if (WRITE_METHODS.has(method) && (raw.body === undefined || !headers["content-type"])) {
      return `Write request id : ${id} does not contain Content-Type header or body.`;
    }
    const dependsOn = Array.isArray(raw.dependsOn) ? raw.dependsOn.map(String) : [];
    const item: BatchItem = { id, method, url: raw.url, headers, dependsOn };
    if (raw.body !== undefined) item.body = raw.body;
    items.push(item);
  }
  for (const item of items) {
    for (const d of item.dependsOn) {
      if (!ids.has(d) || d === item.id)
        return `Request '${item.id}' depends on unknown request '${d}'.`;
    }
  }
  return items;
}

/** Dependencies first; otherwise any order (Graph runs independent requests in parallel). */
function executionOrder(items: BatchItem[], ctx: GraphContext): BatchItem[] {
  const pending = ctx.random.shuffle([...items]);
  const done = new Set<string>();
  const order: BatchItem[] = [];
  while (pending.length > 0) {
    const i = pending.findIndex((it) => it.dependsOn.every((d) => done.has(d)));
    // A cycle: run the rest as they are; their dependencies count as failed.
    const [next] = pending.splice(i >= 0 ? i : 0, 1);
    order.push(next as BatchItem);
    done.add((next as BatchItem).id);
  }
  return order;
}

function innerRequest(
  outer: SimRequest,
  ctx: GraphContext,
  version: string,
  item: BatchItem,
): SimRequest {
  const relative = item.url.startsWith("/") ? item.url : `/${item.url}`;
  const headers: Record<string, string> = { ...outer.headers };
  delete headers["content-type"];
  delete headers["content-length"];
  Object.assign(headers, item.headers);
  const body =
    item.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(typeof item.body === "string" ? item.body : JSON.stringify(item.body));
  return {
    method: item.method,
    url: new URL(`${ctx.baseUrl}/${version}${relative}`),
    headers,
    body,
    requestId: randomUUID(),
    clientRequestId: item.headers["client-request-id"] ?? outer.clientRequestId,
    appId: outer.appId,
    batch: { batchRequestId: outer.requestId, itemId: item.id },
  };
}

function toBatchResponse(id: string, r: SimResponse): Record<string, unknown> {
  const headers: Record<string, string> = {};
  // Graph's inner headers are few; keep the ones a client acts on, in Graph's spelling.
  if (r.headers["content-type"]) headers["Content-Type"] = r.headers["content-type"];
  if (r.headers["retry-after"]) headers["Retry-After"] = r.headers["retry-after"];
  if (r.headers["retry-after-ms"]) headers["Retry-After-Ms"] = r.headers["retry-after-ms"];
  if (r.headers["x-ms-retry-after-ms"])
    headers["X-Ms-Retry-After-Ms"] = r.headers["x-ms-retry-after-ms"];
  const out: Record<string, unknown> = { id, status: r.status, headers };
  if (r.body !== undefined) out.body = r.body;
  return out;
}

function isSuccess(r: SimResponse | undefined): boolean {
  return r !== undefined && r.status >= 200 && r.status < 300;
}
