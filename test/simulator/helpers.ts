// Shared by the simulator tests: a trusted CA (from NODE_EXTRA_CA_CERTS), tenants with test
// defaults, and small HTTP helpers on Node's own fetch (real HTTPS, verified).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import {
  startSimulatedTenant,
  type SimulatedTenant,
  type SimulatedTenantOptions,
} from "../../simulator/index";

export const USER_AGENT = "bitlocker-sim-tests/1.0";

/** The CA directory Node was told to trust; the suite cannot run without it. */
export function trustedCaDir(): string {
  const ca = process.env.NODE_EXTRA_CA_CERTS;
  if (!ca || path.basename(ca) !== "ca.pem" || !existsSync(ca)) {
    throw new Error(
      "The simulator tests need Node to trust the simulator's CA before they start. Run " +
        "test/simulator/run.sh, or: node -r ts-node/register simulator/cli.ts ca " +
        "--ca-dir .sim && NODE_EXTRA_CA_CERTS=$PWD/.sim/ca.pem npx mocha 'test/simulator/**/*.test.ts'",
    );
  }
  return path.dirname(ca);
}

export function startTenant(options: SimulatedTenantOptions = {}): Promise<SimulatedTenant> {
  return startSimulatedTenant({ caDir: trustedCaDir(), seed: "tests", ...options });
}

export interface TokenOptions {
  clientId?: string;
  clientSecret?: string;
}

/** A token by the client-credentials grant with a secret, straight from the token endpoint. */
export async function getToken(tenant: SimulatedTenant, app: TokenOptions = {}): Promise<string> {
  const res = await fetch(`${tenant.url}/${tenant.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: app.clientId ?? tenant.defaultApp.clientId,
      client_secret: app.clientSecret ?? tenant.defaultApp.clientSecret,
      scope: tenant.graphScope,
    }),
  });
  const body = (await res.json()) as { access_token?: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.access_token as string;
}

export interface GraphCall {
  status: number;
  headers: Headers;
  body: unknown;
}

/** One Graph request; `path` is absolute or relative to the tenant's base URL. */
export async function call(
  tenant: SimulatedTenant,
  token: string | undefined,
  pathOrUrl: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<GraphCall> {
  const headers: Record<string, string> = { "user-agent": USER_AGENT, ...init.headers };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers["content-type"] = "application/json";
  }
  const url = pathOrUrl.startsWith("https://") ? pathOrUrl : `${tenant.url}${pathOrUrl}`;
  const res = await fetch(url, { method: init.method ?? "GET", headers, body });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text === "" ? undefined : JSON.parse(text),
  };
}

export interface ErrorBody {
  error: {
    code: string;
    message: string;
    innerError?: Record<string, string>;
  };
}

export function errorOf(c: GraphCall): ErrorBody["error"] {
  const e = (c.body as ErrorBody | undefined)?.error;
  assert.ok(e, `expected an error body, got ${JSON.stringify(c.body)}`);
  return e;
}

export const rotatePath = (id: string, collection = "managedDevices"): string =>
  `/beta/deviceManagement/${collection}/${id}/rotateBitLockerKeys`;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `probe` every 20 ms until it returns something truthy, and returns that: waits for an
 * event rather than a guessed time. Fails after `limitMs`, which is only a bound for a hang.
 */
export async function until<T>(probe: () => Promise<T>, limitMs = 20_000): Promise<NonNullable<T>> {
  const end = Date.now() + limitMs;
  for (;;) {
    const v = await probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`nothing happened within ${limitMs} ms`);
    await sleep(20);
  }
}

/** A healthy Windows device that rotates to done. */
export function healthyDeviceId(tenant: SimulatedTenant): string {
  const d = tenant.listDevices({ profile: "healthy" })[0];
  assert.ok(d, "the fleet has a healthy device");
  return d.id;
}
