// GETs for many devices with $batch: 20 per request, a few requests at once, optionally paced
// against Intune's request limit, each throttled or failed inner GET retried on its own
// (Graph's SDKs retry only the outer request: the caller must retry inner ones). Reads only.
import type { GraphClient } from "../../graph";
import { MAX_BATCH_SIZE } from "../../graph/batch";
import { parseRetryAfterMs } from "../../graph/retry-after";
import type { BatchResponse } from "../../graph/types";
import type { WindowPacer } from "./windowPacer";

export type BatchGraph = Pick<GraphClient, "batch">;

export interface GetJob {
  key: string;
  /** Relative to the version root, e.g. /deviceManagement/managedDevices/{id}?$select=… */
  url: string;
  headers?: Record<string, string>;
}

/** The inner answer (any status but a retried-out 429/5xx), or why there is none. */
export type GetAnswer = { response: BatchResponse } | { error: Error };

export interface BatchedGetOptions {
  /** $batch requests in flight at once. */
  concurrency?: number;
  /** Counts each inner GET against Intune's per-app request limit (omit for non-Intune reads). */
  pacer?: WindowPacer;
}

const MAX_ATTEMPTS = 8;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function getInBatches(
  graph: BatchGraph,
  jobs: readonly GetJob[],
  o: BatchedGetOptions = {},
): Promise<Map<string, GetAnswer>> {
  const answers = new Map<string, GetAnswer>();
  const queue = jobs.map((j) => ({ ...j, attempts: 0 }));
  const worker = async () => {
    while (queue.length > 0) {
      let size = Math.min(MAX_BATCH_SIZE, queue.length);
      if (o.pacer) {
        const { n, waitMs } = o.pacer.next(size, Date.now());
        if (waitMs > 0) {
          await sleep(waitMs);
          continue;
        }
        size = Math.min(n, queue.length);
        o.pacer.sent(size);
      }
      const chunk = queue.splice(0, size);
      let responses;
      try {
        responses = await graph
          .batch(
            chunk.map((j, i) => ({
              id: String(i),
              method: "GET" as const,
              url: j.url,
              ...(j.headers ? { headers: j.headers } : {}),
            })),
          )
          .finally(() => o.pacer?.answeredAt(chunk.length, Date.now()));
      } catch (e) {
        // The client already retried the whole batch within its budget.
        for (const j of chunk) answers.set(j.key, { error: e as Error });
        continue;
      }
      let wait = 0;
      responses.forEach((r, i) => {
        const job = chunk[i]!;
        if ((r.status === 429 || r.status >= 500) && ++job.attempts < MAX_ATTEMPTS) {
          const ms = parseRetryAfterMs(r.headers?.["retry-after"]) ?? 1000 * 2 ** job.attempts;
          if (r.status === 429) o.pacer?.throttled(ms, Date.now());
          wait = Math.max(wait, ms);
          queue.push(job);
        } else {
          answers.set(job.key, { response: r });
        }
      });
      if (wait > 0) await sleep(wait);
    }
  };
  const workers = Math.min(o.concurrency ?? 4, Math.ceil(jobs.length / MAX_BATCH_SIZE));
  await Promise.all(Array.from({ length: workers }, worker));
  return answers;
}
