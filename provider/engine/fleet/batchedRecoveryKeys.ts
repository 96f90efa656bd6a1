// Lists the recovery keys of many devices (id, createdDateTime, deviceId, volumeType; never a
// key) with batched GETs: the key-cap guard counts them and waitFor: escrowed looks for a new
// one. These are Entra ID reads, outside Intune's limits, so they are not paced; a device
// with more keys than one page holds (rare: 100 here) is listed on its own with paging.
// graph/batch, not graph/index: the index loads the client (undici, @azure/identity).
import { graphErrorFromBatchResponse } from "../../graph/batch";
import type { GraphClient } from "../../graph/client";
import { isGuid } from "../../plan/ids";
import { queryString } from "../../graph/odata";
import { RECOVERY_KEY_FIELDS, type RecoveryKeyInfo } from "../../graph/types";
import { PACKAGE_NAME, PACKAGE_VERSION } from "../../graph/userAgent";
import { getInBatches } from "./batchedGets";

export type KeyGraph = Pick<GraphClient, "batch" | "listRecoveryKeys" | "retryConfig">;

/** Entra device id → its keys, or the error that kept us from listing them. */
export async function listRecoveryKeysInBatches(
  graph: KeyGraph,
  entraDeviceIds: readonly string[],
  concurrency = 4,
): Promise<Map<string, RecoveryKeyInfo[] | Error>> {
  const out = new Map<string, RecoveryKeyInfo[] | Error>();
  const ids = [...new Set(entraDeviceIds)];
  for (const id of ids.filter((i) => !isGuid(i)))
    out.set(id, new TypeError(`not an Entra device id: ${JSON.stringify(id)}`));
  const answers = await getInBatches(
    graph,
    ids.filter(isGuid).map((id) => ({
      key: id,
      url: `/informationProtection/bitlocker/recoveryKeys${queryString({
        filter: { property: "deviceId", value: id },
      })}`,
      // Sent by the top-level list too (GraphClient.listRecoveryKeys).
      headers: { "ocp-client-name": PACKAGE_NAME, "ocp-client-version": PACKAGE_VERSION },
    })),
    { concurrency },
  );
  const paged: string[] = [];
  for (const [id, a] of answers) {
    if ("error" in a) {
      out.set(id, a.error);
      continue;
    }
    const body = a.response.body as { value?: unknown; "@odata.nextLink"?: unknown } | undefined;
    if (a.response.status !== 200 || !Array.isArray(body?.value)) {
      out.set(
        id,
        graphErrorFromBatchResponse(a.response, {
          operation: "listRecoveryKeys",
          deviceId: id,
          ...(a.budget ? { budget: a.budget } : {}),
        }),
      );
    } else if (typeof body["@odata.nextLink"] === "string") {
      paged.push(id);
    } else {
      out.set(id, (body.value as Record<string, unknown>[]).map(keyInfo));
    }
  }
  for (const id of paged) {
    try {
      out.set(id, await graph.listRecoveryKeys(id));
    } catch (e) {
      out.set(id, e as Error);
    }
  }
  return out;
}

function keyInfo(item: Record<string, unknown>): RecoveryKeyInfo {
  return Object.fromEntries(
    RECOVERY_KEY_FIELDS.map((f) => [f, String(item[f] ?? "")]),
  ) as unknown as RecoveryKeyInfo;
}
