// /{v1.0|beta}/informationProtection/bitlocker/recoveryKeys: escrow evidence, never a key.
import type { RecoveryKeyInfo } from "../graphTypes";
import { graphError, jsonResponse, type SimRequest, type SimResponse } from "../http/exchange";
import type { GraphContext } from "./context";
import { ODataError, decodeSkipToken, nextLink } from "./odata";

const DEVICE_FILTER = /^\s*deviceId\s+eq\s+'([^']*)'\s*$/i;

export function listRecoveryKeys(req: SimRequest, ctx: GraphContext, version: string): SimResponse {
  const q = req.url.searchParams;
  if (q.has("$top")) return badRequest(req, "The query parameter '$top' is not supported.");
  let keys: RecoveryKeyInfo[];
  let start: number;
  try {
    start = decodeSkipToken(q);
  } catch (err) {
    if (err instanceof ODataError) return badRequest(req, err.message);
    throw err;
  }
  const filter = q.get("$filter");
  if (filter !== null) {
    const m = DEVICE_FILTER.exec(filter);
    if (!m)
      return badRequest(req, `Invalid filter clause: only "deviceId eq '{id}'" is supported.`);
    keys = ctx.store.recoveryKeys(m[1] as string);
  } else {
    keys = ctx.store.allRecoveryKeys();
  }
  const size = ctx.settings.recoveryKeysPageSize;
  const body: Record<string, unknown> = {
    "@odata.context": `${ctx.baseUrl}/${version}/$metadata#informationProtection/bitlocker/recoveryKeys`,
    value: keys.slice(start, start + size).map((k) => ({ ...k })),
  };
  if (start + size < keys.length) body["@odata.nextLink"] = nextLink(req.url, start + size);
  return jsonResponse(200, body);
}

export function getRecoveryKey(
  req: SimRequest,
  ctx: GraphContext,
  version: string,
  id: string,
): SimResponse {
  const select = (req.url.searchParams.get("$select") ?? "").split(",").map((s) => s.trim());
  if (select.includes("key")) {
    // Deliberate: the simulator holds no key material, so it cannot serve one.
    return graphError(
      req,
      501,
      "NotImplemented",
      "The simulated tenant never stores or returns recovery key values.",
    );
  }
  const key = ctx.store.findRecoveryKey(id);
  if (!key) return graphError(req, 404, "NotFound", `Recovery key '${id}' was not found.`);
  return jsonResponse(200, {
    "@odata.context": `${ctx.baseUrl}/${version}/$metadata#informationProtection/bitlocker/recoveryKeys/$entity`,
    ...key,
  });
}

export function badRequest(req: SimRequest, message: string): SimResponse {
  return graphError(req, 400, "BadRequest", message);
}
