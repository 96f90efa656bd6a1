// Starts a simulated tenant for a test suite and points the engine at it through stack
// config (as Pulumi's host would pass it to `configure`).
import path from "node:path";
import {
  startSimulatedTenant,
  type DeviceInput,
  type SimulatedTenant,
  type SimulatedTenantOptions,
  type WireManagedDevice,
} from "../../provider/simulator";
import { configure } from "../../provider/engine/context";

export const CA_DIR = path.resolve(__dirname, "../../.sim");

export async function startTenant(options: SimulatedTenantOptions = {}): Promise<SimulatedTenant> {
  if (!process.env.NODE_EXTRA_CA_CERTS) {
    throw new Error(
      "NODE_EXTRA_CA_CERTS must name .sim/ca.pem when the test process starts (npm test does this)",
    );
  }
  return startSimulatedTenant({ caDir: CA_DIR, fleet: false, checkInDelayMs: null, ...options });
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
