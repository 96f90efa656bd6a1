// The control API under /_sim/, for tests and tools in other processes (unauthenticated:
// the server only listens on loopback). JSON in, JSON out.
import type { DeviceInput, DevicePatch } from "./devices";
import type { AppRegistrationInput } from "./entra/apps";
import type { FaultRuleInput } from "./faults";
import { jsonResponse, parseJsonBody, type SimRequest, type SimResponse } from "./http/exchange";
import type { LogFilter } from "./requestLog";
import type { SimulatedTenant } from "./tenant";
import { scaleLimits, INTUNE_LIMITS, type ThrottleLimits } from "./throttle";

export async function handleControl(
  req: SimRequest,
  tenant: SimulatedTenant,
  info: { timeScale: number },
): Promise<SimResponse> {
  const path = decodeURIComponent(req.url.pathname)
    .replace(/^\/_sim/, "")
    .replace(/\/+$/, "");
  const q = req.url.searchParams;
  const body = parseJsonBody(req.body);
  if (body instanceof Error) return problem(400, `invalid JSON: ${body.message}`);
  const route = `${req.method} ${path}`;
  try {
    switch (route) {
      case "GET /info":
        return ok({
          url: tenant.url,
          authorityHost: tenant.authorityHost,
          graphScope: tenant.graphScope,
          tenantId: tenant.tenantId,
          clientId: tenant.defaultApp.clientId,
          clientSecret: tenant.defaultApp.clientSecret,
          caCertPath: tenant.caCertPath,
          timeScale: info.timeScale,
        });
      case "GET /log":
        return ok({ entries: tenant.log.entries(logFilter(q)) });
      case "GET /log/count":
        return ok({ count: tenant.log.count(logFilter(q)) });
      case "DELETE /log":
      case "POST /log/clear":
        tenant.log.clear();
        return noContent();
      case "POST /check-in": {
        const ids = (body as { ids?: string[] } | undefined)?.ids;
        return ok({ checkedIn: tenant.checkIn(ids) });
      }
      case "GET /faults":
        return ok({ faults: tenant.faults() });
      case "POST /faults":
        return ok(tenant.addFault(body as FaultRuleInput), 201);
      case "DELETE /faults":
        tenant.clearFaults();
        return noContent();
      case "GET /devices":
        return ok({
          devices: tenant.listDevices({
            ...(q.has("profile") ? { profile: q.get("profile") as string } : {}),
            ...(q.has("operatingSystem")
              ? { operatingSystem: q.get("operatingSystem") as string }
              : {}),
          }),
        });
      case "POST /devices":
        return ok(tenant.addDevice((body ?? {}) as DeviceInput), 201);
      case "GET /rotations/pending":
        return ok({ ids: tenant.pendingRotations() });
      case "POST /apps":
        return ok(tenant.registerApp((body ?? {}) as AppRegistrationInput), 201);
      case "POST /throttle/reset":
        tenant.resetThrottle();
        return noContent();
      case "PUT /throttle": {
        const b = body as
          { limits?: Partial<ThrottleLimits> | null; timeScale?: number } | undefined;
        tenant.setThrottle(
          b?.limits === null
            ? null
            : scaleLimits(b?.timeScale ?? info.timeScale, { ...INTUNE_LIMITS, ...b?.limits }),
        );
        return noContent();
      }
      case "PATCH /settings": {
        const b = (body ?? {}) as {
          checkInDelayMs?: number | null;
          latencyMs?: number;
          tokenLifetimeSeconds?: number;
        };
        if (b.checkInDelayMs !== undefined) tenant.setCheckInDelay(b.checkInDelayMs);
        if (b.latencyMs !== undefined) tenant.setLatency(b.latencyMs);
        if (b.tokenLifetimeSeconds !== undefined) tenant.setTokenLifetime(b.tokenLifetimeSeconds);
        return noContent();
      }
    }
    const fault = /^DELETE \/faults\/([^/]+)$/.exec(route);
    if (fault)
      return tenant.removeFault(fault[1] as string) ? noContent() : problem(404, "no such fault");
    const device = /^(GET|PATCH|DELETE) \/devices\/([^/]+)(\/recovery-keys|\/info)?$/.exec(route);
    if (device) {
      const [, method, id, sub] = device as unknown as [string, string, string, string | undefined];
      if (!tenant.getDevice(id)) return problem(404, `no device with id ${id}`);
      if (method === "GET" && sub === "/recovery-keys")
        return ok({ value: tenant.recoveryKeys(id) });
      if (method === "GET" && sub === "/info") return ok(tenant.deviceInfo(id));
      if (method === "GET" && !sub) return ok(tenant.getDevice(id));
      if (method === "PATCH" && !sub)
        return ok(tenant.updateDevice(id, (body ?? {}) as DevicePatch));
      if (method === "DELETE" && !sub) {
        tenant.removeDevice(id);
        return noContent();
      }
    }
    return problem(404, `no control endpoint ${route}`);
  } catch (err) {
    return problem(400, err instanceof Error ? err.message : String(err));
  }
}

function logFilter(q: URLSearchParams): LogFilter {
  const f: LogFilter = {};
  const method = q.get("method");
  if (method) f.method = method;
  const path = q.get("path");
  if (path) f.path = path;
  const pathMatches = q.get("pathMatches");
  if (pathMatches) f.pathMatches = pathMatches;
  const status = q.get("status");
  if (status) f.status = Number(status);
  const appId = q.get("appId");
  if (appId) f.appId = appId;
  const inBatch = q.get("inBatch");
  if (inBatch) f.inBatch = inBatch === "true";
  const throttled = q.get("throttled");
  if (throttled) f.throttled = throttled === "true";
  const since = q.get("since");
  if (since) f.since = since;
  return f;
}

function ok(body: unknown, status = 200): SimResponse {
  return jsonResponse(status, body, { "content-type": "application/json" });
}

function noContent(): SimResponse {
  return { status: 204, headers: {} };
}

function problem(status: number, message: string): SimResponse {
  return jsonResponse(
    status,
    { error: { code: "SimulatorControl", message } },
    { "content-type": "application/json" },
  );
}
