// Contender b: what the community scripts do: one rotation after another over the same
// GraphClient as the engine (keep-alive, Retry-After honoured, POSTs never re-sent blindly).
// Run as a child process with Node's own type stripping (no ts-node in its memory):
//   node bench/peers/sequential.ts <ids.json>   with BENCH_PKG_DIR, AZURE_*, BITLOCKER_GRAPH_ENDPOINT.
// Prints one line: BENCH_RESULT {json}.
// (CommonJS with require(): a script Node can strip the types of without a module loader.)
const seqFs = require("node:fs") as typeof import("node:fs");
const seqPath = require("node:path") as typeof import("node:path");

async function sequentialMain(): Promise<void> {
  const env = process.env;
  const pkg = env.BENCH_PKG_DIR!;
  const { GraphClient } = require(
    seqPath.join(pkg, "dist", "graph"),
  ) as typeof import("../../provider/graph");
  const { ClientSecretCredential } = require("@azure/identity") as typeof import("@azure/identity");
  const ids = JSON.parse(seqFs.readFileSync(process.argv[2]!, "utf8")) as string[];
  const credential = new ClientSecretCredential(
    env.AZURE_TENANT_ID!,
    env.AZURE_CLIENT_ID!,
    env.AZURE_CLIENT_SECRET!,
    { authorityHost: env.AZURE_AUTHORITY_HOST!, disableInstanceDiscovery: true },
  );
  const client = new GraphClient({
    baseUrl: env.BITLOCKER_GRAPH_ENDPOINT!,
    credential,
    userAgent: "bench-sequential/1",
  });
  const baselineKb = hwm();
  const errors: Record<string, number> = {};
  let failed = 0;
  const started = Date.now();
  for (const id of ids) {
    try {
      await client.rotateBitLockerKeys(id, "managedDevices");
    } catch (e) {
      failed++;
      const code = (e as { code?: string; name?: string }).code ?? (e as Error).name;
      errors[code] = (errors[code] ?? 0) + 1;
    }
  }
  const wallMs = Date.now() - started;
  const stats = client.stats();
  await client.close();
  console.log(
    "BENCH_RESULT " +
      JSON.stringify({ wallMs, failed, errors, baselineKb, peakKb: hwm(), clientStats: stats }),
  );
}

function hwm(): number {
  const m = /VmHWM:\s+(\d+)/.exec(seqFs.readFileSync("/proc/self/status", "utf8"));
  return Number(m?.[1] ?? 0);
}

sequentialMain().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
