// What the Graph handlers share.
import type { DeviceStore } from "../deviceStore";
import type { TokenIssuer } from "../entra/accessTokens";
import type { Faults } from "../faults";
import type { SeededRandom } from "../random";
import type { RequestLog } from "../requestLog";
import type { Throttle } from "../throttle";

export interface GraphSettings {
  /** Page size of managedDevices listings when no $top is given (Graph: 1000). */
  managedDevicesPageSize: number;
  /** Page size of recoveryKeys listings (undocumented; default 100). */
  recoveryKeysPageSize: number;
  /**
   * A co-managed device addressed under /managedDevices: "accept" (default; Intune lists
   * co-managed devices there too) or "reject" with 400, to test that a client picks
   * /comanagedDevices.
   */
  coManagedUnderManagedDevices: "accept" | "reject";
}

export interface GraphContext {
  baseUrl: string;
  store: DeviceStore;
  tokens: TokenIssuer;
  throttle: Throttle;
  faults: Faults;
  log: RequestLog;
  random: SeededRandom;
  settings: GraphSettings;
}

/** Who is calling, from a verified access token. */
export interface Principal {
  appId: string;
  tenantId: string;
  roles: string[];
}
