// Contenders e and f: what a competent TypeScript user writes with the Microsoft Graph
// JavaScript SDK: BatchRequestContent with 20 rotations per `$batch`, at most 10 batches in
// flight, the SDK's default middleware chain (its RetryHandler retries a throttled or failed
// envelope, honouring Retry-After), one token fetched up front through @azure/identity, and a
// 429 sub-response re-queued after its own Retry-After. Paced at Intune's 200 POSTs per window:
//   send:   a POST holds its place in the window from when it is sent (the clock of sending)
//   answer: a POST holds its place until one window after its answer (as the fleet does)
// Run as a child process with Node's own type stripping:
//   node bench/peers/graphSdkBatched.ts <ids.json> send|answer
// with AZURE_*, BITLOCKER_GRAPH_ENDPOINT, BITLOCKER_THROTTLE_WINDOW_SECONDS (default 20).
// Prints one line: BENCH_RESULT {json}.
const batchedFs = require("node:fs") as typeof import("node:fs");
const graphSdk =
  require("@microsoft/microsoft-graph-client") as typeof import("@microsoft/microsoft-graph-client");
const { ClientSecretCredential: BatchedCredential } =
  require("@azure/identity") as typeof import("@azure/identity");

const POSTS_PER_WINDOW = 200;
const PER_BATCH = 20;
const IN_FLIGHT = 10;

interface Item {
  id: string;
  readyAt: number;
  sends: number;
}

/** Intune's sliding window, counted by the clock of sending or of answering. */
class Pacer {
  /** Times at which a POST's place is given back (send time + W, or answer time + W). */
  private releases: number[] = [];
  private inFlight = 0;
  private readonly mode: "send" | "answer";
  private readonly windowMs: number;

  // (No parameter properties: Node's type stripping does not accept them.)
  constructor(mode: "send" | "answer", windowMs: number) {
    this.mode = mode;
    this.windowMs = windowMs;
  }

  /** Takes `n` places, waiting until they are free. */
  async acquire(n: number): Promise<void> {
    for (;;) {
      const now = Date.now();
      this.releases = this.releases.filter((t) => t > now);
      const used = this.releases.length + this.inFlight;
      if (used + n <= POSTS_PER_WINDOW) {
        if (this.mode === "send")
          for (let i = 0; i < n; i++) this.releases.push(now + this.windowMs);
        else this.inFlight += n;
        return;
      }
      const sorted = [...this.releases].sort((a, b) => a - b);
      // The earliest time at which enough places are free (in-flight ones free nothing yet).
      const need = used + n - POSTS_PER_WINDOW;
      const at = sorted[need - 1] ?? now + 5;
      await sleepMs(Math.max(1, at - now));
    }
  }

  /** Answer-time pacing: the `n` POSTs answered now hold their places one window more. */
  answered(n: number): void {
    if (this.mode !== "answer") return;
    this.inFlight -= n;
    const until = Date.now() + this.windowMs;
    for (let i = 0; i < n; i++) this.releases.push(until);
  }
}

const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function batchedMain(): Promise<void> {
  const env = process.env;
  const ids = JSON.parse(batchedFs.readFileSync(process.argv[2]!, "utf8")) as string[];
  const mode = process.argv[3] === "answer" ? "answer" : "send";
  const windowMs = Number(env.BITLOCKER_THROTTLE_WINDOW_SECONDS ?? "20") * 1000;
  const base = env.BITLOCKER_GRAPH_ENDPOINT!;
  const credential = new BatchedCredential(
    env.AZURE_TENANT_ID!,
    env.AZURE_CLIENT_ID!,
    env.AZURE_CLIENT_SECRET!,
    { authorityHost: env.AZURE_AUTHORITY_HOST!, disableInstanceDiscovery: true },
  );
  const baselineKb = batchedHwm();
  const started = Date.now();
  // One token up front: an hour's token outlasts any run here.
  const token = await credential.getToken(`${base}/.default`);
  const client = graphSdk.Client.initWithMiddleware({
    authProvider: { getAccessToken: () => Promise.resolve(token.token) },
    baseUrl: `${base}/`,
    defaultVersion: "beta",
    customHosts: new Set([new URL(base).hostname]),
  });
  const pacer = new Pacer(mode, windowMs);
  const queue: Item[] = ids.map((id) => ({ id, readyAt: 0, sends: 0 }));
  const errors: Record<string, number> = {};
  let failed = 0;
  let batches = 0;
  let requeued = 0;
  let inFlight = 0;
  const fail = (code: string, n = 1) => {
    failed += n;
    errors[code] = (errors[code] ?? 0) + n;
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      if (queue.length === 0) {
        if (inFlight === 0) return;
        await sleepMs(5); // another batch may still re-queue its throttled rotations
        continue;
      }
      const now = Date.now();
      const ready: Item[] = [];
      for (let i = 0; i < queue.length && ready.length < PER_BATCH;)
        if (queue[i]!.readyAt <= now) ready.push(...queue.splice(i, 1));
        else i++;
      if (ready.length === 0) {
        const next = Math.min(...queue.map((q) => q.readyAt));
        await sleepMs(Math.max(1, next - now));
        continue;
      }
      inFlight++;
      await pacer.acquire(ready.length);
      const content = new graphSdk.BatchRequestContent(
        ready.map((item, i) => {
          item.sends++;
          return {
            id: String(i + 1),
            // BatchRequestContent keeps the path after the host; a `$batch` step's URL is
            // relative to the version (`/beta/$batch`), so the version is left out here.
            request: new Request(
              `${base}/deviceManagement/managedDevices/${item.id}/rotateBitLockerKeys`,
              { method: "POST", body: "{}", headers: { "Content-Type": "application/json" } },
            ),
          };
        }),
      );
      batches++;
      try {
        const body = (await client.api("/$batch").post(await content.getContent())) as {
          responses: { id: string; status: number }[];
        };
        pacer.answered(ready.length);
        const answers = new graphSdk.BatchResponseContent(body).getResponses();
        ready.forEach((item, i) => {
          const r = answers.get(String(i + 1));
          if (r === undefined) return fail("missing sub-response");
          if (r.status >= 200 && r.status < 300) return;
          if (r.status === 429) {
            const after = Number(r.headers.get("Retry-After") ?? windowMs / 1000);
            item.readyAt = Date.now() + (Number.isFinite(after) ? after * 1000 : windowMs);
            requeued++;
            queue.push(item);
            return;
          }
          fail(`${r.status}`);
        });
      } catch (e) {
        // The envelope failed after the RetryHandler's own retries: the outcome is unknown,
        // so a careful user does not re-send these rotations blindly.
        pacer.answered(ready.length);
        const err = e as { statusCode?: number; code?: string; name?: string };
        fail(`envelope ${err.statusCode ?? "-"} ${err.code ?? err.name ?? "Error"}`, ready.length);
      } finally {
        inFlight--;
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, () => worker()));
  const wallMs = Date.now() - started;
  console.log(
    "BENCH_RESULT " +
      JSON.stringify({
        wallMs,
        failed,
        errors,
        baselineKb,
        peakKb: batchedHwm(),
        clientStats: { mode, batches, requeued429: requeued, tokenFetches: 1 },
      }),
  );
}

function batchedHwm(): number {
  const m = /VmHWM:\s+(\d+)/.exec(batchedFs.readFileSync("/proc/self/status", "utf8"));
  return Number(m?.[1] ?? 0);
}

batchedMain().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
