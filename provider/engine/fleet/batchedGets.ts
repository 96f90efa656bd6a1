// GETs for many devices with $batch: 20 per request, a few requests at once, optionally paced
// against Intune's request limit, each throttled or failed inner GET retried on its own
// (Graph's SDKs retry only the outer request: the caller must retry inner ones), by the
// client's own rule and budget (graph/retryPolicy.ts decideRetry). Reads only.
import type { GraphClient } from "../../graph";
import { MAX_BATCH_SIZE } from "../../graph/batch";
import { currentDeadline } from "../../graph/deadline";
import {
  decideRetry,
  spentMs,
  waitExceedsBudget,
  type BudgetRefusal,
} from "../../graph/retryPolicy";
import type { BatchResponse } from "../../graph/types";
import type { WindowPacer } from "./windowPacer";

export type BatchGraph = Pick<GraphClient, "batch" | "retryConfig">;

export interface GetJob {
  key: string;
  /** Relative to the version root, e.g. /deviceManagement/managedDevices/{id}?$select=… */
  url: string;
  headers?: Record<string, string>;
}

/**
 * The inner answer (any status but a retried-out 429/5xx), or why there is none. `budget` is
 * set when a retry was refused because its wait would have overrun the retry budget.
 */
export type GetAnswer = { response: BatchResponse; budget?: BudgetRefusal } | { error: Error };

export interface BatchedGetOptions {
  /** $batch requests in flight at once. */
  concurrency?: number;
  /** Counts each inner GET against Intune's per-app request limit (omit for non-Intune reads). */
  pacer?: WindowPacer;
}

interface Queued extends GetJob {
  retries: number;
  /** When the GET was first sent: its retry budget runs from there. */
  firstSentAt?: number;
  last?: BatchResponse;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Stands for a GET never sent: a throttle pause held every send longer than the budget. */
export function notSentForPause(): BatchResponse {
  return {
    id: "",
    status: 429,
    headers: {},
    body: {
      error: {
        code: "TooManyRequests",
        message:
          "Not sent: Intune throttled this app (429) and its pause outlasts the retry budget",
      },
    },
  };
}

export async function getInBatches(
  graph: BatchGraph,
  jobs: readonly GetJob[],
  o: BatchedGetOptions = {},
): Promise<Map<string, GetAnswer>> {
  const answers = new Map<string, GetAnswer>();
  const policy = graph.retryConfig();
  const deadline = currentDeadline();
  const queue: Queued[] = jobs.map((j) => ({ ...j, retries: 0 }));
  const spent = (job: Queued, now: number) =>
    spentMs(job.firstSentAt ?? now, now, policy, deadline);
  const worker = async () => {
    while (queue.length > 0) {
      let size = Math.min(MAX_BATCH_SIZE, queue.length);
      if (o.pacer) {
        const now = Date.now();
        // A 429's pause longer than a GET's budget allows is not waited out: it fails now.
        const pause = o.pacer.pausedFor(now);
        for (const job of pause > 0 ? [...queue] : []) {
          const budget = waitExceedsBudget(pause, spent(job, now), policy);
          if (!budget) continue;
          queue.splice(queue.indexOf(job), 1);
          answers.set(job.key, { response: job.last ?? notSentForPause(), budget });
        }
        if (queue.length === 0) break;
        const { n, waitMs } = o.pacer.next(size, now);
        if (waitMs > 0) {
          await sleep(waitMs);
          continue;
        }
        size = Math.min(n, queue.length);
        o.pacer.sent(size);
      }
      const chunk = queue.splice(0, size);
      const sentAt = Date.now();
      for (const j of chunk) j.firstSentAt ??= sentAt;
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
        // The client already retried the whole batch within its budget: the batches still
        // queued would only spend another budget each on the same failure.
        for (const j of [...chunk, ...queue.splice(0)]) answers.set(j.key, { error: e as Error });
        continue;
      }
      let wait = 0;
      const now = Date.now();
      responses.forEach((r, i) => {
        const job = chunk[i]!;
        if (r.status < 400) {
          answers.set(job.key, { response: r });
          return;
        }
        const decision = decideRetry({
          idempotent: true,
          failure: {
            kind: "status",
            status: r.status,
            ...(r.headers ? { headers: r.headers } : {}),
          },
          retriesSoFar: job.retries,
          elapsedMs: spent(job, now),
          config: policy,
          now,
        });
        const budget =
          !decision.retry && decision.reason === "budget-exhausted" ? decision.budget : undefined;
        // A 429 pauses every send for as long as Graph asked, even a wait we will not make.
        const pause = decision.retry ? decision.delayMs : budget?.waitMs;
        if (r.status === 429 && pause !== undefined) o.pacer?.throttled(pause, now);
        if (decision.retry) {
          job.retries++;
          job.last = r;
          wait = Math.max(wait, decision.delayMs);
          queue.push(job);
        } else {
          answers.set(job.key, { response: r, ...(budget ? { budget } : {}) });
        }
      });
      if (wait > 0) await sleep(wait);
    }
  };
  const workers = Math.min(o.concurrency ?? 4, Math.ceil(jobs.length / MAX_BATCH_SIZE));
  await Promise.all(Array.from({ length: workers }, worker));
  return answers;
}
