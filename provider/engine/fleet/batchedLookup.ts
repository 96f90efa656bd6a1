// Reads many managed devices (facts and action results) with batched GETs. Reads only.
// graph/batch, not graph/index: the index loads the client (undici, @azure/identity).
import { graphErrorFromBatchResponse } from "../../graph/batch";
import { DEVICE_FACT_FIELDS, type ManagedDevice } from "../../graph/types";
import { devicePath } from "../../graph/ids";
import { getInBatches, type BatchedGetOptions, type BatchGraph } from "./batchedGets";

export type { BatchGraph };

export type LookupResult = ManagedDevice | { notFound: true } | { error: Error };

/** The device facts plus the action results, which prove an earlier rotation. */
const DEVICE_FIELDS = [...DEVICE_FACT_FIELDS, "deviceActionResults"];

export async function lookupDevices(
  graph: BatchGraph,
  ids: readonly string[],
  o: BatchedGetOptions = {},
): Promise<Map<string, LookupResult>> {
  const answers = await getInBatches(
    graph,
    ids.map((id) => ({
      key: id,
      url: `${devicePath("managedDevices", id)}?$select=${DEVICE_FIELDS.join(",")}`,
    })),
    o,
  );
  const results = new Map<string, LookupResult>();
  for (const id of ids) {
    const a = answers.get(id)!;
    if ("error" in a) results.set(id, a);
    else if (a.response.status === 200) results.set(id, a.response.body as ManagedDevice);
    else if (a.response.status === 404) results.set(id, { notFound: true });
    else
      results.set(id, {
        error: graphErrorFromBatchResponse(a.response, {
          operation: "getManagedDevice",
          deviceId: id,
          ...(a.budget ? { budget: a.budget } : {}),
        }),
      });
  }
  return results;
}

export function isDevice(r: LookupResult | undefined): r is ManagedDevice {
  return r !== undefined && !("notFound" in r) && !("error" in r);
}
