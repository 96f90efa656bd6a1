// Graph's request path for one request (top-level or inside a $batch): authenticate, route,
// count against Intune's limits, check the app's roles, handle.
import type { DeviceCollection } from "../graphTypes";
import { ROLES } from "../entra/apps";
import { graphError, tooManyRequests, type SimRequest, type SimResponse } from "../http/exchange";
import { formatSeconds } from "../faults";
import { authenticate, bitlockerForbidden, hasAnyRole, intuneForbidden } from "./authorize";
import type { GraphContext, Principal } from "./context";
import { getDevice, listDevices, rotateBitLockerKeys } from "./managedDevices";
import { badRequest, getRecoveryKey, listRecoveryKeys } from "./recoveryKeys";

type Service = "intune" | "bitlocker";

interface Route {
  method: string;
  pattern: RegExp;
  service: Service;
  /** Any one of these application permissions suffices. */
  roles: readonly string[];
  betaOnly?: boolean;
  handle(req: SimRequest, ctx: GraphContext, m: RegExpExecArray, version: string): SimResponse;
}

const READ_DEVICES = [ROLES.managedDevicesRead, ROLES.managedDevicesReadWrite] as const;
const ROTATE = [ROLES.managedDevicesReadWrite, ROLES.configurationReadWrite] as const;
const READ_KEYS = [ROLES.bitlockerKeyReadBasic, ROLES.bitlockerKeyRead] as const;

const ROUTES: Route[] = [
  {
    method: "GET",
    pattern: /^\/deviceManagement\/(managedDevices|comanagedDevices)$/,
    service: "intune",
    roles: READ_DEVICES,
    betaOnly: true,
    handle: (req, ctx, m) => listDevices(req, ctx, m[1] as DeviceCollection),
  },
  {
    method: "GET",
    pattern: /^\/deviceManagement\/(managedDevices|comanagedDevices)\/([^/]+)$/,
    service: "intune",
    roles: READ_DEVICES,
    betaOnly: true,
    handle: (req, ctx, m) => getDevice(req, ctx, m[1] as DeviceCollection, m[2] as string),
  },
  {
    method: "POST",
    pattern:
      /^\/deviceManagement\/(managedDevices|comanagedDevices)\/([^/]+)\/rotateBitLockerKeys$/,
    service: "intune",
    roles: ROTATE,
    betaOnly: true,
    handle: (req, ctx, m) =>
      rotateBitLockerKeys(req, ctx, m[1] as DeviceCollection, m[2] as string),
  },
  {
    method: "GET",
    pattern: /^\/informationProtection\/bitlocker\/recoveryKeys$/,
    service: "bitlocker",
    roles: READ_KEYS,
    handle: (req, ctx, _m, version) => listRecoveryKeys(req, ctx, version),
  },
  {
    method: "GET",
    pattern: /^\/informationProtection\/bitlocker\/recoveryKeys\/([^/]+)$/,
    service: "bitlocker",
    roles: READ_KEYS,
    handle: (req, ctx, m, version) => getRecoveryKey(req, ctx, version, m[1] as string),
  },
];

/** Splits /beta/… or /v1.0/… into version and the path below it. */
export function splitVersion(pathname: string): { version: string; path: string } | null {
  const m = /^\/(beta|v1\.0)(\/.*)?$/.exec(pathname);
  if (!m) return null;
  return { version: m[1] as string, path: decodeURIComponent(m[2] ?? "/") };
}

/** A top-level Graph request: authenticates, then handles. */
export async function serveGraph(req: SimRequest, ctx: GraphContext): Promise<SimResponse> {
  const principal = await authenticate(req, ctx);
  if (!("appId" in principal)) return principal;
  return handleAuthenticated(req, ctx, principal);
}

/** Handles a request whose caller is known (top-level after authentication, or a $batch item). */
export function handleAuthenticated(
  req: SimRequest,
  ctx: GraphContext,
  principal: Principal,
): SimResponse {
  req.appId = principal.appId;
  const split = splitVersion(req.url.pathname);
  if (!split) return graphError(req, 400, "BadRequest", "Invalid version.");
  const { version, path } = split;
  let methodMismatch = false;
  for (const route of ROUTES) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    if (route.method !== req.method) {
      methodMismatch = true;
      continue;
    }
    if (route.betaOnly && version !== "beta") break;
    if (route.service === "intune") {
      const decision = ctx.throttle.check(principal.appId, req.method);
      if (decision.throttled) {
        const response = tooManyRequests(req, {
          "retry-after": formatSeconds(decision.retryAfterMs / 1000),
        });
        response.throttled = true;
        return response;
      }
      if (!hasAnyRole(principal, route.roles)) return intuneForbidden(req, route.roles);
    } else {
      if (!req.headers["user-agent"]) {
        return badRequest(req, "The User-Agent header is required.");
      }
      if (!hasAnyRole(principal, route.roles)) return bitlockerForbidden(req);
    }
    return route.handle(req, ctx, m, version);
  }
  if (methodMismatch) {
    return graphError(
      req,
      405,
      "MethodNotAllowed",
      `The ${req.method} method is not supported for this resource.`,
    );
  }
  const segment = path.split("/").filter(Boolean).pop() ?? "";
  return graphError(req, 400, "BadRequest", `Resource not found for the segment '${segment}'.`);
}
