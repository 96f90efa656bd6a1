// Reads many devices with $batch: 20 GETs per request, a few requests at once, and each
// throttled or failed inner GET retried on its own. Reads only.
import { graphErrorFromBatchResponse, type GraphClient } from "../../graph";
import { DEVICE_FACT_FIELDS, type ManagedDevice } from "../../graph/types";
import { devicePath } from "../../graph/ids";
import { parseRetryAfterMs } from "../../graph/retry-after";

export type LookupResult = ManagedDevice | { notFound: true } | { error: Error };

/** The device facts plus the action results, which prove an earlier rotation. */
export const DEVICE_FIELDS = [...DEVICE_FACT_FIELDS, "deviceActionResults"];

export type BatchGraph = Pick<GraphClient, "batch">;

const MAX_ATTEMPTS = 8;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function lookupDevices(
  graph: BatchGraph,
  ids: readonly string[],
  concurrency = 4,
): Promise<Map<string, LookupResult>> {
  const results = new Map<string, LookupResult>();
  const queue = ids.map((id) => ({ id, attempts: 0 }));
  const worker = async () => {
    while (queue.length > 0) {
      const chunk = queue.splice(0, 20);
      let answers;
      try {
        answers = await graph.batch(
          chunk.map((j, i) => ({
            id: String(i),
            method: "GET" as const,
            url: `${devicePath("managedDevices", j.id)}?$select=${DEVICE_FIELDS.join(",")}`,
          })),
        );
      } catch (e) {
        // The client already retried the whole batch within its budget.
        for (const j of chunk) results.set(j.id, { error: e as Error });
        continue;
      }
      let wait = 0;
      answers.forEach((a, i) => {
        const job = chunk[i]!;
        if (a.status === 200) results.set(job.id, a.body as ManagedDevice);
        else if (a.status === 404) results.set(job.id, { notFound: true });
        else if ((a.status === 429 || a.status >= 500) && ++job.attempts < MAX_ATTEMPTS) {
          wait = Math.max(
            wait,
            parseRetryAfterMs(a.headers?.["retry-after"]) ?? 1000 * 2 ** job.attempts,
          );
          queue.push(job);
        } else {
          results.set(job.id, {
            error: graphErrorFromBatchResponse(a, {
              operation: "getManagedDevice",
              deviceId: job.id,
            }),
          });
        }
      });
      if (wait > 0) await sleep(wait);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(concurrency, Math.ceil(ids.length / 20)) }, worker),
  );
  return results;
}

export function isDevice(r: LookupResult | undefined): r is ManagedDevice {
  return r !== undefined && !("notFound" in r) && !("error" in r);
}
