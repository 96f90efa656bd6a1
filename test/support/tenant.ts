// Starts a simulated tenant for a test suite and points the engine at it through stack
// config (as Pulumi's host would pass it to `configure`), or resolves settings for it as the
// engine does; plus the eligible-device builder and the request paths suites count.
import { readFileSync } from "node:fs";
import path from "node:path";
import tls from "node:tls";
import { resolveSettings, type Settings } from "../../provider/auth/settings";
import {
  ensureCa,
  startSimulatedTenant,
  type DeviceInput,
  type SimulatedTenant,
  type SimulatedTenantOptions,
  type WireManagedDevice,
} from "../../simulator/index";
import { configure } from "../../provider/engine/context";

export const CA_DIR = path.resolve(__dirname, "../../.sim");

/** Rotation requests, top-level or inside a $batch. */
export const ROTATE = /\/rotateBitLockerKeys$/;
/** Entra ID's token endpoint: the only POSTs that are not Graph writes. */
export const TOKEN_PATH = /\/oauth2\/v2\.0\/token$/;

export async function startTenant(options: SimulatedTenantOptions = {}): Promise<SimulatedTenant> {
  if (!process.env.NODE_EXTRA_CA_CERTS) {
    throw new Error(
      "NODE_EXTRA_CA_CERTS must name .sim/ca.pem when the test process starts (npm test does this)",
    );
  }
  return startSimulatedTenant({ caDir: CA_DIR, fleet: false, checkInDelayMs: null, ...options });
}

/**
 * Trusts the simulator's CA (created if missing): through NODE_EXTRA_CA_CERTS when the process
 * started with it, else by adding it to this process's default trust store.
 */
async function trustSimulatorCa(): Promise<void> {
  const { certPath } = await ensureCa(CA_DIR);
  if (
    process.env.NODE_EXTRA_CA_CERTS &&
    path.resolve(process.env.NODE_EXTRA_CA_CERTS) === certPath
  ) {
    return;
  }
  const pem = readFileSync(certPath, "utf8");
  const current = tls.getCACertificates("default");
  if (!current.includes(pem)) tls.setDefaultCACertificates([...current, pem]);
}

/**
 * Starts a simulated tenant with exactly `options` (no defaults), for suites that also run
 * without NODE_EXTRA_CA_CERTS: trusts the CA first (trustSimulatorCa).
 */
export async function startTrustedTenant(
  options: SimulatedTenantOptions,
): Promise<SimulatedTenant> {
  await trustSimulatorCa();
  return startSimulatedTenant({ caDir: CA_DIR, ...options });
}

/**
 * Settings resolved as the engine resolves them: the tenant's endpoints (Graph, authority) and
 * `config` as stack config, `env` as the environment.
 */
export function tenantSettings(
  tenant: SimulatedTenant,
  config: Record<string, string | undefined> = {},
  env: Record<string, string | undefined> = {},
): Settings {
  return resolveSettings(
    {
      "bitlocker:graphEndpoint": tenant.url,
      "bitlocker:authorityHost": tenant.authorityHost,
      ...config,
    },
    env,
  );
}

export function engineConfig(
  tenant: SimulatedTenant,
  app: { clientId: string; clientSecret: string } = tenant.defaultApp,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    "bitlocker:tenantId": tenant.tenantId,
    "bitlocker:clientId": app.clientId,
    "bitlocker:clientSecret": app.clientSecret,
    "bitlocker:authorityHost": tenant.authorityHost,
    "bitlocker:graphEndpoint": tenant.url,
    // These tests call create/update with fleets of up to 600 on purpose; the blast-radius
    // guard has its own tests (test/unit/fleet-guard.test.ts, test/e2e/fleet-guard.test.ts).
    "bitlocker:maxRotationsPerUpdate": "100000",
    ...extra,
  };
}

/** Configures the engine as Pulumi's host does, with the whole stack config. */
export function configureEngine(config: Record<string, string>): void {
  configure({ get: (key: string) => config[key] });
}

/** A Windows device that meets every rotation prerequisite and reports success at check-in. */
export function addEligibleDevice(
  tenant: SimulatedTenant,
  overrides: DeviceInput = {},
): WireManagedDevice {
  return tenant.addDevice({
    operatingSystem: "Windows",
    osVersion: "10.0.22631.4460",
    joinType: "azureADJoined",
    isEncrypted: true,
    skuFamily: "Enterprise",
    managementAgent: "mdm",
    outcome: { state: "done" },
    ...overrides,
  });
}

/**
 * A suite's tenant for engine tests: started before the suite (handed to `started`), closed
 * after it, and before each test the engine pointed at it with faults, throttle and log reset.
 */
export function useEngineTenant(
  options: SimulatedTenantOptions,
  started: (tenant: SimulatedTenant) => void,
): void {
  let tenant: SimulatedTenant | undefined;
  before(async () => {
    tenant = await startTenant(options);
    started(tenant);
  });
  after(async () => tenant?.close());
  beforeEach(() => {
    configureEngine(engineConfig(tenant!));
    tenant!.clearFaults();
    tenant!.resetThrottle();
    tenant!.log.clear();
  });
}
