// getInBatches (engine/fleet/batchedGets.ts): the shared loop of $batch GETs. Rules: every job is
// answered exactly once; at most 20 GETs per $batch and `concurrency` $batch requests in flight;
// a throttled or failed inner GET is retried on its own (the answered ones are not sent again)
// up to the retry policy's count, then its last answer is returned; a failed $batch ends the
// run for every GET still queued (each would spend another budget on the same failure); a
// throttle pause longer than a GET's budget fails it unsent. Graph is a stub of the two calls
// the loop makes (batch, retryConfig), so what is sent and answered is exact.
import assert from "node:assert/strict";
import {
  getInBatches,
  type BatchGraph,
  type GetJob,
} from "../../provider/engine/fleet/batchedGets";
import { WindowPacer } from "../../provider/engine/fleet/windowPacer";
import type { RetryConfig } from "../../provider/graph/retryPolicy";
import type { BatchRequest, BatchResponse } from "../../provider/graph/types";

/** Tiny backoffs: the waits are not what these tests are about. */
const POLICY: RetryConfig = { maxRetries: 2, budgetMs: 60_000, minDelayMs: 1, maxDelayMs: 2 };

type Answer = (req: BatchRequest, attempt: number) => number;

function stubGraph(answer: Answer = () => 200, policy: RetryConfig = POLICY) {
  const batches: BatchRequest[][] = [];
  const attempts = new Map<string, number>();
  let inFlight = 0;
  let maxInFlight = 0;
  const graph: BatchGraph = {
    retryConfig: () => policy,
    batch: async (requests) => {
      batches.push(requests);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // Answer on a later turn, so concurrent workers overlap as over a network.
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return requests.map((r): BatchResponse => {
        const n = (attempts.get(r.url) ?? 0) + 1;
        attempts.set(r.url, n);
        const status = answer(r, n);
        return { id: r.id, status, headers: {}, body: { url: r.url, attempt: n } };
      });
    },
  };
  return { graph, batches, attempts, maxInFlight: () => maxInFlight };
}

const jobs = (n: number): GetJob[] =>
  Array.from({ length: n }, (_, i) => ({
    key: `k${i}`,
    url: `/deviceManagement/managedDevices/d${i}`,
  }));

describe("getInBatches: paced $batch GETs, inner GETs retried on their own", () => {
  it("answers every job exactly once, in $batch requests of at most 20 GETs", async () => {
    const { graph, batches, attempts } = stubGraph();
    const answers = await getInBatches(graph, jobs(45));
    assert.equal(answers.size, 45);
    assert.deepEqual(
      batches.map((b) => b.length).sort((a, b) => a - b),
      [5, 20, 20],
    );
    assert.ok(batches.flat().every((r) => r.method === "GET"));
    assert.ok(
      [...attempts.values()].every((n) => n === 1),
      "no GET sent twice",
    );
    for (const [key, a] of answers) {
      assert.ok("response" in a);
      assert.equal(
        (a.response.body as { url: string }).url,
        `/deviceManagement/managedDevices/d${key.slice(1)}`,
      );
    }
  });

  it("keeps at most `concurrency` $batch requests in flight", async () => {
    const { graph, maxInFlight } = stubGraph();
    await getInBatches(graph, jobs(200), { concurrency: 3 });
    assert.equal(maxInFlight(), 3);
  });

  it("retries a throttled inner GET on its own; the GETs answered are not sent again", async () => {
    const { graph, batches, attempts } = stubGraph((r, n) =>
      r.url.endsWith("/d3") && n === 1 ? 429 : 200,
    );
    const answers = await getInBatches(graph, jobs(10));
    assert.equal(batches.length, 2);
    assert.deepEqual(
      batches[1]!.map((r) => r.url),
      ["/deviceManagement/managedDevices/d3"],
    );
    assert.equal(attempts.get("/deviceManagement/managedDevices/d3"), 2);
    const a = answers.get("k3")!;
    assert.ok("response" in a && a.response.status === 200);
  });

  it("a 404 is an answer, not retried", async () => {
    const { graph, attempts } = stubGraph((r) => (r.url.endsWith("/d1") ? 404 : 200));
    const answers = await getInBatches(graph, jobs(3));
    assert.equal(attempts.get("/deviceManagement/managedDevices/d1"), 1);
    const a = answers.get("k1")!;
    assert.ok("response" in a && a.response.status === 404);
  });

  it("after the policy's retries, the last answer is returned (with the retry count respected)", async () => {
    const { graph, attempts } = stubGraph((r) => (r.url.endsWith("/d0") ? 503 : 200));
    const answers = await getInBatches(graph, jobs(2));
    assert.equal(attempts.get("/deviceManagement/managedDevices/d0"), 1 + POLICY.maxRetries);
    const a = answers.get("k0")!;
    assert.ok("response" in a && a.response.status === 503);
  });

  it("a failed $batch fails its GETs and every GET still queued, without sending more", async () => {
    let calls = 0;
    const graph: BatchGraph = {
      retryConfig: () => POLICY,
      batch: async () => {
        calls++;
        throw new Error("the $batch itself failed");
      },
    };
    const answers = await getInBatches(graph, jobs(100), { concurrency: 1 });
    assert.equal(calls, 1);
    assert.equal(answers.size, 100);
    assert.ok(
      [...answers.values()].every((a) => "error" in a && /itself failed/.test(a.error.message)),
    );
  });

  it("a throttle pause longer than the retry budget fails the GETs unsent, naming the budget", async () => {
    const policy: RetryConfig = { ...POLICY, budgetMs: 1_000 };
    const { graph, batches } = stubGraph(() => 200, policy);
    const pacer = new WindowPacer({ limit: 1000, windowMs: 20_000, share: 1 });
    pacer.throttled(10_000, Date.now()); // Intune said: pause 10 s, more than the 1 s budget
    const answers = await getInBatches(graph, jobs(5), { pacer });
    assert.equal(batches.length, 0, "nothing sent");
    for (const a of answers.values()) {
      assert.ok("response" in a);
      assert.equal(a.response.status, 429);
      assert.match(JSON.stringify(a.response.body), /Not sent/);
      assert.ok(a.budget, "the budget refusal is reported");
    }
  });

  it("counts every GET against the pacer's window from its send, not only from its answer", async () => {
    const pacer = new WindowPacer({ limit: 1000, windowMs: 20_000, share: 1 });
    const roomWhileInFlight: number[] = [];
    const graph: BatchGraph = {
      retryConfig: () => POLICY,
      batch: async (requests) => {
        roomWhileInFlight.push(pacer.next(1000, Date.now()).n);
        return requests.map((r) => ({ id: r.id, status: 200, headers: {}, body: {} }));
      },
    };
    await getInBatches(graph, jobs(30), { pacer, concurrency: 1 });
    assert.deepEqual(roomWhileInFlight, [980, 970]);
    assert.equal(
      pacer.next(1000, Date.now()).n,
      970,
      "answered GETs hold their place for a window",
    );
  });
});
