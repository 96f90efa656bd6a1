// /beta/deviceManagement/{managedDevices|comanagedDevices}: list, get, rotateBitLockerKeys.
import type { DeviceCollection } from "../graphTypes";
import { isCoManaged, type SimDevice } from "../devices";
import { intuneError, jsonResponse, type SimRequest, type SimResponse } from "../http/exchange";
import type { GraphContext } from "./context";
import {
  ODataError,
  decodeSkipToken,
  nextLink,
  parseEqFilter,
  parseSelect,
  parseTop,
  selectProperties,
  type EqClause,
} from "./odata";

const MAX_PAGE_SIZE = 1000;

/** Properties $filter honours; Graph silently ignores clauses on any other property. */
const FILTERABLE = new Set([
  "id",
  "deviceName",
  "operatingSystem",
  "osVersion",
  "joinType",
  "managementAgent",
  "azureADDeviceId",
  "isEncrypted",
  "skuFamily",
  "complianceState",
  "userPrincipalName",
  "serialNumber",
  "managedDeviceOwnerType",
]);

function inCollection(sim: SimDevice, collection: DeviceCollection): boolean {
  return collection === "managedDevices" || isCoManaged(sim.device);
}

export function listDevices(
  req: SimRequest,
  ctx: GraphContext,
  collection: DeviceCollection,
): SimResponse {
  let top: number | undefined;
  let select: string[] | undefined;
  let clauses: EqClause[];
  let cursor: number;
  try {
    top = parseTop(req.url.searchParams, MAX_PAGE_SIZE);
    select = parseSelect(req.url.searchParams);
    clauses = parseEqFilter(req.url.searchParams.get("$filter")).filter((c) =>
      FILTERABLE.has(c.property),
    );
    cursor = decodeSkipToken(req.url.searchParams);
  } catch (err) {
    if (err instanceof ODataError) return intuneError(req, 400, "BadRequest", err.message);
    throw err;
  }
  const limit = Math.min(top ?? ctx.settings.managedDevicesPageSize, MAX_PAGE_SIZE);
  const page = ctx.store.page(
    cursor,
    limit,
    (sim) => inCollection(sim, collection) && matches(sim, clauses),
  );
  const contextSuffix = select ? `(${select.join(",")})` : "";
  const body: Record<string, unknown> = {
    "@odata.context": `${ctx.baseUrl}/beta/$metadata#deviceManagement/${collection}${contextSuffix}`,
    value: page.items.map((sim) => selectProperties(sim.device, select)),
  };
  if (page.nextCursor !== null) body["@odata.nextLink"] = nextLink(req.url, page.nextCursor);
  return jsonResponse(200, body);
}

export function getDevice(
  req: SimRequest,
  ctx: GraphContext,
  collection: DeviceCollection,
  id: string,
): SimResponse {
  const sim = ctx.store.get(id);
  if (!sim || !inCollection(sim, collection)) return notFound(req, collection, id);
  const select = parseSelect(req.url.searchParams);
  return jsonResponse(200, {
    "@odata.context": `${ctx.baseUrl}/beta/$metadata#deviceManagement/${collection}/$entity`,
    "@odata.type": "#microsoft.graph.managedDevice",
    ...selectProperties(sim.device, select),
  });
}

export function rotateBitLockerKeys(
  req: SimRequest,
  ctx: GraphContext,
  collection: DeviceCollection,
  id: string,
): SimResponse {
  const sim = ctx.store.get(id);
  if (!sim || !inCollection(sim, collection)) return notFound(req, collection, id);
  if (sim.device.operatingSystem.toLowerCase() !== "windows") {
    return intuneError(
      req,
      400,
      "BadRequest",
      `RotateBitLockerKeys is not supported on platform ${sim.device.operatingSystem}.`,
    );
  }
  if (
    collection === "managedDevices" &&
    isCoManaged(sim.device) &&
    ctx.settings.coManagedUnderManagedDevices === "reject"
  ) {
    return intuneError(
      req,
      400,
      "BadRequest",
      "The device is co-managed; send the action to /deviceManagement/comanagedDevices.",
    );
  }
  // Intune queues the action; the device acts at its next check-in.
  ctx.store.requestRotation(id);
  return { status: 204, headers: {} };
}

function matches(sim: SimDevice, clauses: EqClause[]): boolean {
  const d = sim.device as unknown as Record<string, unknown>;
  for (const c of clauses) {
    const actual = d[c.property];
    if (typeof c.value === "boolean") {
      if (actual !== c.value) return false;
    } else if (typeof actual !== "string" || actual.toLowerCase() !== c.value.toLowerCase()) {
      return false;
    }
  }
  return true;
}

function notFound(req: SimRequest, collection: DeviceCollection, id: string): SimResponse {
  return intuneError(
    req,
    404,
    "ResourceNotFound",
    `Resource not found: no ${collection === "comanagedDevices" ? "co-managed" : "managed"} device with id '${id}'.`,
  );
}
