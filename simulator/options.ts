// Options of startSimulatedTenant, with their defaults.
import type { DeviceInput } from "./devices";
import type { AppRegistrationInput } from "./entra/apps";
import type { FaultRuleInput } from "./faults";
import type { FleetOptions } from "./fleet";
import type { GraphSettings } from "./graph/context";
import type { ThrottleLimits } from "./throttle";

export interface SimulatedTenantOptions {
  /** Loopback address to listen on (default 127.0.0.1). */
  host?: string;
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Where the CA lives (default <cwd>/.sim): created if missing, reused if present. */
  caDir?: string;
  /** Seed of every generated id, name and random draw (default 1). */
  seed?: string | number;
  /** Default: a GUID drawn from the seed. */
  tenantId?: string;
  /** The app registered at start; by default it holds every role. */
  defaultApp?: Omit<AppRegistrationInput, "certificatePem" | "federatedCredentials">;
  /** More apps to register at start. */
  apps?: AppRegistrationInput[];
  /** Generated devices (default 20 devices of the default mix); false for none. */
  fleet?: FleetOptions | false;
  /** Explicit devices, added after the generated ones. */
  devices?: DeviceInput[];
  /** From a rotation request to the device's check-in (default 5000 ms); null = only on checkIn(). */
  checkInDelayMs?: number | null;
  /** Access-token lifetime in seconds (default 3599, as Entra's expires_in). */
  tokenLifetimeSeconds?: number;
  /** Runs the throttle's clock faster: 0.1 → 200 writes per 2 s per app (10× Intune's rate). */
  timeScale?: number;
  /** Intune's limits (default), other counts (their window scaled by timeScale), or false for none. */
  throttle?: boolean | Partial<ThrottleLimits>;
  /** Added to every Entra/Graph request before it is handled (default 0). */
  latencyMs?: number;
  /**
   * Graph's clock minus this machine's (default 0): the `Date` header of every answer and the
   * times Graph writes (an action result's start and update) run this far ahead (or behind).
   */
  clockOffsetMs?: number;
  /**
   * The clock devices live by (default Date.now): when a rotation is requested and when a
   * device checks in. A test passes its own to make check-ins happen at exact instants.
   */
  deviceClock?: () => number;
  managedDevicesPageSize?: number;
  recoveryKeysPageSize?: number;
  coManagedUnderManagedDevices?: GraphSettings["coManagedUnderManagedDevices"];
  /** Fault rules active from the start. */
  faults?: FaultRuleInput[];
  /** Request-log entries kept (oldest dropped first; default 200000). */
  logLimit?: number;
  /** Recovery keys Entra keeps per device (default 200). */
  keyCap?: number;
  /** From a recovery-key read to its `Read BitLocker key` audit event being listed (default 0). */
  auditDelayMs?: number;
  /** Audit events older than this many days are not listed (default 30, as Entra). */
  auditRetentionDays?: number;
  /** Page size of directoryAudits listings without $top (default 100). */
  auditPageSize?: number;
  /** errorCode a rotation reports when the device is at the key cap. */
  keyCapErrorCode?: number;
}

export const DEFAULTS = {
  host: "127.0.0.1",
  port: 0,
  seed: 1 as string | number,
  checkInDelayMs: 5000,
  tokenLifetimeSeconds: 3599,
  timeScale: 1,
  latencyMs: 0,
  managedDevicesPageSize: 1000,
  recoveryKeysPageSize: 100,
  keyCap: 200,
};
