// Program side: the managed devices whose BitLocker recovery key someone read, e.g.
//   const disclosed = await selectDisclosedDevices();
//   const tokens = mergeDisclosureTokens(previousTokens, disclosureTokens(disclosed));
//   new BitLockerKeyRotationFleet("disclosed", {
//     managedDeviceIds: Object.keys(tokens), deviceTokens: tokens, rotationToken: "disclosed" });
// Three reads, no writes:
//   1. GET /v1.0/auditLogs/directoryAudits?$filter=activityDisplayName eq 'Read BitLocker key'
//      and activityDateTime ge <since>, every page (AuditLog.Read.All);
//   2. per key id read: GET /informationProtection/bitlocker/recoveryKeys/{id} for its
//      `deviceId` (BitlockerKey.ReadBasic.All; never `$select=key`, so never a key, and never
//      a `Read BitLocker key` event of our own);
//   3. per Entra device id: the managed devices whose azureADDeviceId equals it, in $batch
//      requests paced within Intune's request limit (DeviceManagementManagedDevices.Read.All).
// Runs in the program process, reading the same `bitlocker:*` config and AZURE_* environment
// as the provider.
import * as pulumi from "@pulumi/pulumi";
import { SETTING_KEYS } from "../auth/settingsKeys";
import type { Settings } from "../auth/settings";
import type { GraphClient } from "../graph/client";
import { assertGuid } from "../graph/ids";
import type { BatchResponse } from "../graph/types";
import {
  auditWindowStart,
  directoryAuditFilter,
  disclosureToken,
  keyReadsFrom,
  latestReadPerKey,
  type DirectoryAuditEvent,
  type KeyRead,
} from "../plan/disclosure";

export interface DisclosureQuery {
  /** Reads at or after this time. Default: `withinDays` back from now. */
  since?: Date | string;
  /** Default 30: Entra's default retention of audit events, so the window overlaps every run. */
  withinDays?: number;
}

export interface DisclosedDevice {
  /** Intune managed device id. */
  id: string;
  deviceName: string;
  azureADDeviceId: string;
  /** The rotation token of the latest read: `read <ISO time>`. */
  token: string;
  lastReadAt: string;
  lastReadBy: string;
  /** The same as lastReadAt / lastReadBy, so a device is a DisclosureRecord (mergeDisclosures). */
  readAt: string;
  readBy: string;
  /** Every read of the device's keys in the window, newest first. */
  reads: { keyId: string; readAt: string; readBy: string; eventId: string }[];
}

/** A key read whose device could not be found (key or device deleted since). */
export interface UnresolvedRead extends KeyRead {
  reason: string;
}

export interface DisclosureResult {
  devices: DisclosedDevice[];
  unresolved: UnresolvedRead[];
  since: string;
}

/** The managed devices whose recovery key was read since a time, newest read first. */
export async function selectDisclosedDevices(
  query: DisclosureQuery = {},
): Promise<DisclosedDevice[]> {
  const result = await findDisclosedDevices(query);
  for (const u of result.unresolved)
    void pulumi.log.warn(
      `[bitlocker] recovery key ${u.keyId} read by ${u.readBy} at ${u.readAt}: ${u.reason}; no device to rotate`,
    );
  return result.devices;
}

/** `deviceTokens` for a fleet: each disclosed device with its latest read as the token. */
export function disclosureTokens(devices: readonly DisclosedDevice[]): Record<string, string> {
  return Object.fromEntries(devices.map((d) => [d.id, d.token]));
}

/** The same query with the reads it could not resolve, for programs that report them. */
export async function findDisclosedDevices(
  query: DisclosureQuery = {},
  client?: GraphClient,
  settings?: Settings,
): Promise<DisclosureResult> {
  const since =
    query.since !== undefined
      ? new Date(query.since)
      : auditWindowStart(new Date(), query.withinDays);
  if (Number.isNaN(since.getTime()))
    throw new RangeError(`since must be a time; got ${JSON.stringify(query.since)}`);
  const own = client === undefined;
  const s = settings ?? (client ? undefined : programSettings());
  const { GraphClient: Client } = require("../graph/client") as typeof import("../graph/client");
  const graph = client ?? new Client({ settings: s as Settings });
  try {
    return await resolve(graph, since, s);
  } finally {
    if (own) await graph.close();
  }
}

async function resolve(
  graph: GraphClient,
  since: Date,
  settings: Settings | undefined,
): Promise<DisclosureResult> {
  const { getInBatches } =
    require("../engine/fleet/batchedGets") as typeof import("../engine/fleet/batchedGets");
  const { intunePacers } =
    require("../engine/fleet/intunePacers") as typeof import("../engine/fleet/intunePacers");
  const { graphErrorFromBatchResponse } =
    require("../graph/batch") as typeof import("../graph/batch");

  const events: DirectoryAuditEvent[] = [];
  for await (const e of graph.listDirectoryAudits(directoryAuditFilter(since)))
    events.push(e as DirectoryAuditEvent);
  const reads = keyReadsFrom(events).filter((r) => Date.parse(r.readAt) >= since.getTime());
  const keyIds = latestReadPerKey(reads).map((r) => r.keyId);
  const unresolved: UnresolvedRead[] = [];
  const fail = (r: BatchResponse, operation: "getRecoveryKey" | "listManagedDevices"): never => {
    throw graphErrorFromBatchResponse(r, { operation });
  };

  // 2. key id → Entra device id. No $select: `key` comes back only when asked for.
  const keyAnswers = await getInBatches(
    graph,
    keyIds.map((id) => {
      assertGuid(id, "recovery key id");
      return {
        key: id,
        url: `/informationProtection/bitlocker/recoveryKeys/${id}`,
        headers: { "ocp-client-name": "pulumi-intune-bitlocker" },
      };
    }),
  );
  const entraOfKey = new Map<string, string>();
  for (const id of keyIds) {
    const a = keyAnswers.get(id)!;
    if ("error" in a) throw a.error;
    const { status, body } = a.response;
    if (status === 404) continue;
    if (status !== 200) fail(a.response, "getRecoveryKey");
    const deviceId = String((body as { deviceId?: unknown }).deviceId ?? "").toLowerCase();
    if (deviceId) entraOfKey.set(id, deviceId);
  }

  // 3. Entra device id → managed device(s), paced against Intune's request limit.
  const entraIds = [...new Set(entraOfKey.values())];
  const pacer = settings ? intunePacers(settings).reads : undefined;
  const deviceAnswers = await getInBatches(
    graph,
    entraIds.map((id) => {
      assertGuid(id, "azureADDeviceId");
      return {
        key: id,
        url: `/deviceManagement/managedDevices?$filter=${encodeURIComponent(
          `azureADDeviceId eq '${id}'`,
        )}&$select=id,deviceName,azureADDeviceId`,
      };
    }),
    pacer ? { pacer } : {},
  );
  const managedOf = new Map<string, { id: string; deviceName: string }[]>();
  for (const id of entraIds) {
    const a = deviceAnswers.get(id)!;
    if ("error" in a) throw a.error;
    if (a.response.status !== 200) fail(a.response, "listManagedDevices");
    const value = ((a.response.body as { value?: Record<string, unknown>[] }).value ??
      []) as Record<string, unknown>[];
    // Graph's $filter on managedDevices is unreliable: check the match here again.
    managedOf.set(
      id,
      value
        .filter((d) => String(d.azureADDeviceId ?? "").toLowerCase() === id)
        .map((d) => ({ id: String(d.id), deviceName: String(d.deviceName ?? "") })),
    );
  }

  const byDevice = new Map<string, DisclosedDevice>();
  for (const r of [...reads].sort((a, b) => b.readAt.localeCompare(a.readAt))) {
    const entra = entraOfKey.get(r.keyId);
    const managed = entra ? (managedOf.get(entra) ?? []) : [];
    if (managed.length === 0) {
      if (!unresolved.some((u) => u.keyId === r.keyId))
        unresolved.push({
          ...r,
          reason: entra
            ? `no Intune managed device has azureADDeviceId ${entra}`
            : "the recovery key no longer exists in Entra ID",
        });
      continue;
    }
    for (const m of managed) {
      let d = byDevice.get(m.id);
      if (!d) {
        // Reads are newest first, so the first one seen is the latest.
        d = {
          id: m.id,
          deviceName: m.deviceName,
          azureADDeviceId: entra as string,
          token: disclosureToken(r.readAt),
          lastReadAt: r.readAt,
          lastReadBy: r.readBy,
          readAt: r.readAt,
          readBy: r.readBy,
          reads: [],
        };
        byDevice.set(m.id, d);
      }
      d.reads.push({ keyId: r.keyId, readAt: r.readAt, readBy: r.readBy, eventId: r.eventId });
    }
  }
  return {
    devices: [...byDevice.values()].sort((a, b) => b.lastReadAt.localeCompare(a.lastReadAt)),
    unresolved,
    since: since.toISOString(),
  };
}

function programSettings(): Settings {
  const { resolveSettings } = require("../auth/settings") as typeof import("../auth/settings");
  const config: Record<string, string | undefined> = {};
  // Raw values: credentials for this process only, never resource inputs.
  for (const k of Object.values(SETTING_KEYS))
    config[k.config] = pulumi.runtime.getConfig(k.config);
  return resolveSettings(config, process.env);
}
