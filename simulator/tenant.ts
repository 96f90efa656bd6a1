// startSimulatedTenant: wires the CA, the HTTPS server, Entra ID, Graph and the control API
// into one SimulatedTenant.
import type { DeviceActionResult, RecoveryKeyInfo } from "./graphTypes";
import { ROTATE_ACTION_ODATA_TYPE } from "./graphTypes";
import { handleControl } from "./control";
import { DEFAULT_KEY_CAP_ERROR_CODE, DeviceStore } from "./deviceStore";
import type { DeviceInput, DevicePatch, RotationOutcome, WireManagedDevice } from "./devices";
import {
  ALL_ROLES,
  AppRegistry,
  type AppCredentials,
  type AppRegistrationInput,
} from "./entra/apps";
import { TokenIssuer } from "./entra/accessTokens";
import type { EntraContext } from "./entra/context";
import { routeEntra } from "./entra/router";
import { Faults, type FaultRuleInput, type FaultRuleJson } from "./faults";
import { completeDevice, generateFleet } from "./fleet";
import { serveBatch } from "./graph/batch";
import { DirectoryAuditLog, type DirectoryAudit } from "./graph/directoryAudits";
import type { GraphContext } from "./graph/context";
import { serveGraph, splitVersion } from "./graph/router";
import { graphError, type SimRequest, type SimResponse } from "./http/exchange";
import { DEFAULTS, type SimulatedTenantOptions } from "./options";
import { SeededRandom } from "./random";
import { RequestLog } from "./requestLog";
import { SimServer, type HoldHandle, type ReceivedRequest } from "./server";
import { INTUNE_LIMITS, Throttle, scaleLimits, type ThrottleLimits } from "./throttle";
import { defaultCaDir, issueServerCertificate, loadOrCreateCa } from "./tls/ca";

/** A device as the simulator sees it: the wire object plus its behaviour. */
export interface SimDeviceInfo {
  device: WireManagedDevice;
  outcome: RotationOutcome;
  profile: string;
  /** A rotation was requested and the device has not checked in yet. */
  pending: boolean;
  checkInDelayMs?: number | null;
}

export interface KeyRead {
  /** The recovery key read, by its id … */
  keyId?: string;
  /** … or the newest recovery key of this Intune managed device. */
  deviceId?: string;
  /** Who read it (default helpdesk@contoso.example). */
  userPrincipalName?: string;
  /** When (default now), e.g. to record a read that is about to age out. */
  at?: string;
}

export interface DeviceQuery {
  profile?: string;
  operatingSystem?: string;
}

export interface SimulatedTenant {
  /** Graph base and authority host, e.g. https://127.0.0.1:PORT. */
  readonly url: string;
  readonly authorityHost: string;
  /** The scope a client asks for: `${url}/.default`. */
  readonly graphScope: string;
  readonly tenantId: string;
  readonly defaultApp: { clientId: string; clientSecret: string };
  readonly caDir: string;
  readonly caCertPath: string;
  readonly log: RequestLog;

  getDevice(id: string): WireManagedDevice | undefined;
  listDevices(query?: DeviceQuery): WireManagedDevice[];
  deviceInfo(id: string): SimDeviceInfo | undefined;
  addDevice(input?: DeviceInput): WireManagedDevice;
  updateDevice(id: string, patch: DevicePatch): WireManagedDevice;
  removeDevice(id: string): boolean;
  /** Recovery-key entries of a device, by its Intune id (metadata only: there are no keys). */
  recoveryKeys(id: string): RecoveryKeyInfo[];
  actionResults(id: string): DeviceActionResult[];
  /**
   * A person reads a recovery key (Entra or Intune portal): Entra records a `Read BitLocker
   * key` audit event, listed after the audit delay. By key id, or the device's newest key.
   */
  readRecoveryKey(read: KeyRead): DirectoryAudit;
  /** Every `Read BitLocker key` event recorded, listed yet or not. */
  auditEvents(): DirectoryAudit[];
  /** From a read to its audit event being listed (Entra: minutes). */
  setAuditDelay(ms: number): void;
  /** Audit events older than this are no longer listed (Entra's default: 30). */
  setAuditRetentionDays(days: number): void;
  /** The device's rotateBitLockerKeys action result, if any. */
  rotationResult(id: string): DeviceActionResult | undefined;
  /** Ids of devices with a rotation waiting for a check-in. */
  pendingRotations(): string[];
  /** Pending devices (all, or those named) check in now; returns how many did. Offline ones don't. */
  checkIn(ids?: string[]): number;

  addFault(rule: FaultRuleInput): FaultRuleJson;
  removeFault(id: string): boolean;
  clearFaults(): void;
  faults(): FaultRuleJson[];

  registerApp(input: AppRegistrationInput): AppCredentials;

  setCheckInDelay(ms: number | null): void;
  setLatency(ms: number): void;
  setTokenLifetime(seconds: number): void;
  /** New throttle limits (or null to stop throttling); counters restart. */
  setThrottle(limits: ThrottleLimits | null): void;
  resetThrottle(): void;
  /** Resolves once no request is being handled (one the client gave up on included). */
  idle(): Promise<void>;
  /**
   * Calls `listener` as each request arrives, before it is handled (answers and lost
   * requests are `log.onEntry`'s). Returns the unsubscribe function.
   */
  onReceived(listener: (request: ReceivedRequest) => void): () => void;
  /** Holds matching top-level requests on arrival until `release()`: see SimServer.hold. */
  hold(match: { method?: string; path: RegExp }): HoldHandle;
  /** Ids of the client connections open now. */
  openConnections(): number[];
  /** Resolves once no client connection is open: a killed client's sockets are all closed. */
  noConnections(): Promise<void>;

  close(): Promise<void>;
}

export async function startSimulatedTenant(
  options: SimulatedTenantOptions = {},
): Promise<SimulatedTenant> {
  const seed = options.seed ?? DEFAULTS.seed;
  // Separate streams, so that (say) a fault draw never shifts the fleet's GUIDs.
  const identity = new SeededRandom(`${seed}:identity`);
  const tenantId = options.tenantId ?? identity.guid();
  const caDir = options.caDir ?? defaultCaDir();
  const ca = await loadOrCreateCa(caDir);
  const host = options.host ?? DEFAULTS.host;
  const server = new SimServer(issueServerCertificate(ca, host));
  const url = await server.listen(host, options.port ?? DEFAULTS.port);

  try {
    const apps = new AppRegistry(identity);
    const defaultApp = apps.register({
      displayName: "bitlocker-sim default app",
      roles: ALL_ROLES,
      ...options.defaultApp,
    });
    for (const app of options.apps ?? []) apps.register(app);

    const now = Date.now();
    const store = new DeviceStore({
      checkInDelayMs:
        options.checkInDelayMs === undefined ? DEFAULTS.checkInDelayMs : options.checkInDelayMs,
      keyCap: options.keyCap ?? DEFAULTS.keyCap,
      keyCapErrorCode: options.keyCapErrorCode ?? DEFAULT_KEY_CAP_ERROR_CODE,
      clockOffsetMs: options.clockOffsetMs ?? 0,
      ...(options.deviceClock ? { now: options.deviceClock } : {}),
    });
    server.clockOffsetMs = options.clockOffsetMs ?? 0;
    const recoveryKeysPerDevice =
      options.fleet === false ? 1 : (options.fleet?.recoveryKeysPerDevice ?? 1);
    const fleetRandom = new SeededRandom(`${seed}:fleet`);
    if (options.fleet !== false) {
      for (const { sim, recoveryKeys } of generateFleet(options.fleet ?? {}, fleetRandom, now)) {
        store.add(sim, recoveryKeys, now);
      }
    }
    const addDevice = (input: DeviceInput = {}): WireManagedDevice => {
      const { recoveryKeys, ...rest } = input;
      const sim = completeDevice(rest, fleetRandom, Date.now());
      const hasEntra = sim.device.isEncrypted && !/^0{8}-/.test(sim.device.azureADDeviceId);
      store.add(sim, recoveryKeys ?? (hasEntra ? recoveryKeysPerDevice : 0), Date.now());
      return structuredClone(sim.device);
    };
    for (const d of options.devices ?? []) addDevice(d);

    const timeScale = options.timeScale ?? DEFAULTS.timeScale;
    const throttleLimits =
      options.throttle === false
        ? null
        : scaleLimits(timeScale, {
            ...INTUNE_LIMITS,
            ...(typeof options.throttle === "object" ? options.throttle : {}),
          });
    const throttle = new Throttle(throttleLimits);
    const faults = new Faults(new SeededRandom(`${seed}:faults`));
    for (const f of options.faults ?? []) faults.add(f);
    const log = new RequestLog(options.logLimit);
    const tokens = await TokenIssuer.create(url, tenantId);

    const entra: EntraContext = {
      baseUrl: url,
      tenantId,
      apps,
      tokens,
      tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? DEFAULTS.tokenLifetimeSeconds,
    };
    const graph: GraphContext = {
      baseUrl: url,
      store,
      tokens,
      throttle,
      faults,
      log,
      random: new SeededRandom(`${seed}:batch`),
      settings: {
        managedDevicesPageSize: options.managedDevicesPageSize ?? DEFAULTS.managedDevicesPageSize,
        recoveryKeysPageSize: options.recoveryKeysPageSize ?? DEFAULTS.recoveryKeysPageSize,
        coManagedUnderManagedDevices: options.coManagedUnderManagedDevices ?? "accept",
      },
    };
    graph.audits = new DirectoryAuditLog({
      delayMs: options.auditDelayMs ?? 0,
      retentionDays: options.auditRetentionDays ?? 30,
      ...(options.auditPageSize !== undefined ? { pageSize: options.auditPageSize } : {}),
    });
    const audits = graph.audits;
    let latencyMs = options.latencyMs ?? DEFAULTS.latencyMs;

    const requireDevice = (id: string) => {
      const sim = store.get(id);
      if (!sim) throw new Error(`no device with id ${id}`);
      return sim;
    };

    const tenant: SimulatedTenant = {
      url,
      authorityHost: url,
      graphScope: `${url}/.default`,
      tenantId,
      defaultApp: { clientId: defaultApp.clientId, clientSecret: defaultApp.secrets[0] as string },
      caDir: caDir,
      caCertPath: ca.certPath,
      log,
      getDevice: (id) => {
        const sim = store.get(id);
        return sim ? structuredClone(sim.device) : undefined;
      },
      listDevices: (query = {}) =>
        store
          .all()
          .filter(
            (s) =>
              (query.profile === undefined || s.profile === query.profile) &&
              (query.operatingSystem === undefined ||
                s.device.operatingSystem === query.operatingSystem),
          )
          .map((s) => structuredClone(s.device)),
      deviceInfo: (id) => {
        const sim = store.get(id);
        if (!sim) return undefined;
        const info: SimDeviceInfo = {
          device: structuredClone(sim.device),
          outcome: { ...sim.outcome },
          profile: sim.profile,
          pending: store.isPending(id),
        };
        if (sim.checkInDelayMs !== undefined) info.checkInDelayMs = sim.checkInDelayMs;
        return info;
      },
      addDevice,
      updateDevice: (id, patch) => {
        const sim = store.update(id, patch);
        if (!sim) throw new Error(`no device with id ${id}`);
        return structuredClone(sim.device);
      },
      removeDevice: (id) => store.remove(id),
      recoveryKeys: (id) =>
        store.recoveryKeys(requireDevice(id).device.azureADDeviceId).map((k) => ({ ...k })),
      actionResults: (id) => structuredClone(requireDevice(id).device.deviceActionResults),
      rotationResult: (id) => {
        const r = requireDevice(id).device.deviceActionResults.find(
          (a) => a["@odata.type"] === ROTATE_ACTION_ODATA_TYPE,
        );
        return r ? { ...r } : undefined;
      },
      readRecoveryKey: (read) => {
        let key: RecoveryKeyInfo | undefined;
        if (read.keyId) key = store.findRecoveryKey(read.keyId);
        else if (read.deviceId)
          key = store.recoveryKeys(requireDevice(read.deviceId).device.azureADDeviceId).at(-1);
        if (!key) throw new Error(`no recovery key ${read.keyId ?? `for device ${read.deviceId}`}`);
        return audits.recordKeyRead({
          keyId: key.id,
          entraDeviceId: key.deviceId,
          ...(read.userPrincipalName ? { userPrincipalName: read.userPrincipalName } : {}),
          ...(read.at ? { at: new Date(read.at) } : {}),
        });
      },
      auditEvents: () => audits.all(),
      setAuditDelay: (ms) => {
        audits.delayMs = ms;
      },
      setAuditRetentionDays: (days) => {
        audits.retentionDays = days;
      },
      pendingRotations: () => store.pendingIds(),
      checkIn: (ids) => store.checkIn(ids),
      addFault: (rule) => {
        const { bodyMatches, ...added } = faults.add(rule);
        return {
          ...added,
          path: added.path.source,
          ...(bodyMatches ? { bodyMatches: bodyMatches.source } : {}),
        };
      },
      removeFault: (id) => faults.remove(id),
      clearFaults: () => faults.clear(),
      faults: () => faults.list(),
      registerApp: (input) => {
        const app = apps.register(input);
        const creds: AppCredentials = { clientId: app.clientId };
        if (app.secrets[0] !== undefined) creds.clientSecret = app.secrets[0];
        return creds;
      },
      setCheckInDelay: (ms) => store.setCheckInDelay(ms),
      setLatency: (ms) => {
        latencyMs = ms;
      },
      setTokenLifetime: (seconds) => {
        entra.tokenLifetimeSeconds = seconds;
      },
      setThrottle: (limits) => throttle.setLimits(limits),
      resetThrottle: () => throttle.reset(),
      idle: () => server.idle(),
      onReceived: (listener) => server.onReceived(listener),
      hold: (match) => server.hold(match),
      openConnections: () => server.openConnections(),
      noConnections: () => server.noConnections(),
      close: () => server.close(),
    };

    server.attach({
      control: (req) => handleControl(req, tenant, { timeScale }),
      serve: (req) => serve(req, entra, graph),
      faults,
      log,
      latencyMs: () => latencyMs,
    });
    return tenant;
  } catch (err) {
    await server.close();
    throw err;
  }
}

async function serve(
  req: SimRequest,
  entra: EntraContext,
  graph: GraphContext,
): Promise<SimResponse> {
  const split = splitVersion(req.url.pathname);
  if (split) {
    if (split.path === "/$batch" && req.method === "POST")
      return serveBatch(req, graph, split.version);
    return serveGraph(req, graph);
  }
  const response = await routeEntra(req, entra);
  return (
    response ?? graphError(req, 404, "NotFound", `No simulated endpoint at ${req.url.pathname}.`)
  );
}
