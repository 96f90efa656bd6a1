// Contender c: what a TypeScript user writes by hand with the Microsoft Graph JavaScript SDK:
// its default middleware (AuthenticationHandler, RetryHandler: 3 retries, Retry-After
// honoured, RedirectHandler, TelemetryHandler) and one Promise.all over every device.
// Run as a child process with Node's own type stripping:
//   node bench/peers/graphSdk.ts <ids.json>   with AZURE_*, BITLOCKER_GRAPH_ENDPOINT.
// Prints one line: BENCH_RESULT {json}.
const sdkFs = require("node:fs") as typeof import("node:fs");
const { Client } =
  require("@microsoft/microsoft-graph-client") as typeof import("@microsoft/microsoft-graph-client");
const { TokenCredentialAuthenticationProvider } =
  require("@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials") as typeof import("@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials");
const { ClientSecretCredential: SdkCredential } =
  require("@azure/identity") as typeof import("@azure/identity");

async function graphSdkMain(): Promise<void> {
  const env = process.env;
  const ids = JSON.parse(sdkFs.readFileSync(process.argv[2]!, "utf8")) as string[];
  const base = env.BITLOCKER_GRAPH_ENDPOINT!;
  const credential = new SdkCredential(
    env.AZURE_TENANT_ID!,
    env.AZURE_CLIENT_ID!,
    env.AZURE_CLIENT_SECRET!,
    { authorityHost: env.AZURE_AUTHORITY_HOST!, disableInstanceDiscovery: true },
  );
  const authProvider = new TokenCredentialAuthenticationProvider(credential, {
    scopes: [`${base}/.default`],
  });
  const client = Client.initWithMiddleware({
    authProvider,
    baseUrl: `${base}/`,
    defaultVersion: "beta",
    // The SDK sends the token only to Graph's hosts and to the host names (no port) given here.
    customHosts: new Set([new URL(base).hostname]),
  });
  const baselineKb = sdkHwm();
  const errors: Record<string, number> = {};
  let failed = 0;
  const started = Date.now();
  await Promise.all(
    ids.map(async (id) => {
      try {
        await client.api(`/deviceManagement/managedDevices/${id}/rotateBitLockerKeys`).post({});
      } catch (e) {
        failed++;
        const err = e as { statusCode?: number; code?: string; name?: string };
        const code = `${err.statusCode ?? "-"} ${err.code ?? err.name ?? "Error"}`;
        errors[code] = (errors[code] ?? 0) + 1;
      }
    }),
  );
  const wallMs = Date.now() - started;
  console.log(
    "BENCH_RESULT " + JSON.stringify({ wallMs, failed, errors, baselineKb, peakKb: sdkHwm() }),
  );
}

function sdkHwm(): number {
  const m = /VmHWM:\s+(\d+)/.exec(sdkFs.readFileSync("/proc/self/status", "utf8"));
  return Number(m?.[1] ?? 0);
}

graphSdkMain().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
