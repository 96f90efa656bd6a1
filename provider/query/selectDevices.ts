// Program side: lists the tenant's managed devices for a fleet, e.g.
//   const laptops = await selectDevices({ namePattern: "LAPTOP-*", eligibleOnly: true });
//   new BitLockerKeyRotationFleet("laptops", { managedDeviceIds: laptops.map((d) => d.id), … });
// Runs in the program process (preview and up alike), reading the same `bitlocker:*` stack
// config and AZURE_* environment as the provider. One listing per process, however many
// queries a program makes.
import * as pulumi from "@pulumi/pulumi";
import { SETTING_KEYS } from "../auth/settingsKeys";
import {
  deviceQueryProblems,
  matchesQuery,
  serverFilter,
  type DeviceQuery,
} from "../plan/deviceQuery";
import { DEVICE_FACT_FIELDS, type ManagedDevice } from "../graph/types";

export type { DeviceQuery };

export interface SelectedDevice {
  id: string;
  deviceName: string;
  osVersion: string;
  joinType: string;
  managementAgent: string;
  lastSyncDateTime: string;
}

const listings = new Map<string, Promise<ManagedDevice[]>>();

/**
 * Expected failures (a bad query, missing or refused credentials, Graph refusing the listing)
 * become a pulumi.RunError: Pulumi prints its message as one line, without a stack trace or
 * a dump of the error's fields.
 */
export async function selectDevices(query: DeviceQuery = {}): Promise<SelectedDevice[]> {
  const problems = deviceQueryProblems(query);
  if (problems.length > 0) {
    throw new pulumi.RunError(`selectDevices: ${problems.join("; ")}`);
  }
  const filter = serverFilter(query);
  const key = JSON.stringify(filter ?? null);
  let listing = listings.get(key);
  if (!listing) {
    listing = listAll(filter);
    listings.set(key, listing);
  }
  const now = new Date();
  let devices: ManagedDevice[];
  try {
    devices = await listing;
  } catch (err) {
    throw asRunError(err);
  }
  return devices
    .filter((d) => matchesQuery(d, query, now))
    .map((d) => ({
      id: d.id,
      deviceName: d.deviceName,
      osVersion: d.osVersion,
      joinType: d.joinType,
      managementAgent: d.managementAgent,
      lastSyncDateTime: d.lastSyncDateTime,
    }))
    .sort((a, b) => a.deviceName.localeCompare(b.deviceName));
}

/** Errors of this package carry a whole, secret-free message; anything else is a bug. */
const EXPECTED = new Set([
  "SettingsError",
  "AuthenticationError",
  "GraphError",
  "OutcomeUnknownError",
]);

function asRunError(err: unknown): unknown {
  if (err instanceof Error && (EXPECTED.has(err.name) || EXPECTED.has(err.constructor.name))) {
    return new pulumi.RunError(`selectDevices could not list the tenant's devices: ${err.message}`);
  }
  return err;
}

async function listAll(
  filter: { property: string; value: string } | undefined,
): Promise<ManagedDevice[]> {
  // Loaded on first use: programs that never select devices do not load the client.
  const { resolveSettings } = require("../auth/settings") as typeof import("../auth/settings");
  const { GraphClient } = require("../graph/client") as typeof import("../graph/client");
  const config: Record<string, string | undefined> = {};
  // Read raw values: these are credentials for this process only, never resource inputs.
  for (const k of Object.values(SETTING_KEYS))
    config[k.config] = pulumi.runtime.getConfig(k.config);
  const settings = resolveSettings(config, process.env);
  const client = new GraphClient({ settings });
  try {
    const out: ManagedDevice[] = [];
    for await (const d of client.listManagedDevices({
      select: [...DEVICE_FACT_FIELDS],
      pageSize: 1000,
      ...(filter ? { filter } : {}),
    }))
      out.push(d);
    return out;
  } finally {
    await client.close();
  }
}
