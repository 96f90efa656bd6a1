// The pipelines keep state in Azure Blob Storage (`pulumi login azblob://…`). Here the real
// `pulumi` CLI uses that backend against Azurite (the npm package `azurite`, on loopback,
// in memory) with the well-known development account: `up` of an example stores its state as
// blobs, and while one `up` runs, its lock blob makes a concurrent `up` of the same stack
// fail before it sends anything.
//
// The Go CDK azblob driver that Pulumi uses reaches an emulator through URL parameters:
// `?protocol=http&domain=127.0.0.1:<port>` (a domain on 127.0.0.1 selects path-style URLs,
// http://127.0.0.1:<port>/devstoreaccount1/<container>), with AZURE_STORAGE_ACCOUNT and
// AZURE_STORAGE_KEY for a shared key.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import type { SimulatedTenant } from "../../simulator/index";
import { startTenant } from "../support/tenant";
import { PulumiProject, REPO_DIR } from "./harness";

/** Azurite's documented development account and key (public, not a secret). */
const ACCOUNT = "devstoreaccount1";
const ACCOUNT_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const CONTAINER = "pulumi-state";
const CA_PEM = path.join(REPO_DIR, ".sim", "ca.pem");
const ROTATE = /\/rotateBitLockerKeys$/;
const EXAMPLE = "incident-response";
const DEVICE_IDS = ["3f2b9c4e-7a51-4d0e-9b6c-1d2e3f406001", "3f2b9c4e-7a51-4d0e-9b6c-1d2e3f406002"];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts azurite-blob in memory on `port`; resolves once it listens. */
async function startAzurite(port: number): Promise<ChildProcess> {
  const bin = path.join(REPO_DIR, "node_modules", ".bin", "azurite-blob");
  assert.ok(fs.existsSync(bin), "azurite is a devDependency: run npm ci");
  const child = spawn(
    bin,
    [
      "--blobHost",
      "127.0.0.1",
      "--blobPort",
      String(port),
      "--inMemoryPersistence",
      "--disableTelemetry",
      "--skipApiVersionCheck",
      "--silent",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`azurite did not start:\n${output}`)), 30_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes("successfully listens")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`azurite exited (${code}):\n${output}`));
    });
  });
  return child;
}

/** One Blob REST call signed with the account's shared key (SharedKey, version 2021-08-06). */
async function blobRequest(
  port: number,
  method: "GET" | "PUT",
  resource: string,
  query: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = {
    "x-ms-date": new Date().toUTCString(),
    "x-ms-version": "2021-08-06",
  };
  const canonicalHeaders = Object.keys(headers)
    .sort()
    .map((k) => `${k}:${headers[k]}\n`)
    .join("");
  const canonicalQuery = Object.keys(query)
    .sort()
    .map((k) => `\n${k}:${query[k]}`)
    .join("");
  // Path-style (emulator) URLs put the account in the path, so it appears twice here.
  const canonicalResource = `/${ACCOUNT}/${ACCOUNT}/${resource}${canonicalQuery}`;
  // Content-Length is signed as "" when it is 0 (every request here has no body).
  const stringToSign = [method, "", "", "", "", "", "", "", "", "", "", ""].join("\n");
  const signature = createHmac("sha256", Buffer.from(ACCOUNT_KEY, "base64"))
    .update(`${stringToSign}\n${canonicalHeaders}${canonicalResource}`, "utf8")
    .digest("base64");
  const url = `http://127.0.0.1:${port}/${ACCOUNT}/${resource}?${new URLSearchParams(query)}`;
  const response = await fetch(url, {
    method,
    headers: { ...headers, Authorization: `SharedKey ${ACCOUNT}:${signature}` },
  });
  return { status: response.status, body: await response.text() };
}

async function listBlobs(port: number, prefix: string): Promise<string[]> {
  const { status, body } = await blobRequest(port, "GET", CONTAINER, {
    comp: "list",
    prefix,
    restype: "container",
  });
  assert.equal(status, 200, body);
  return [...body.matchAll(/<Name>([^<]+)<\/Name>/g)].map((m) => m[1]!);
}

function exampleFiles(name: string): Record<string, string> {
  const dir = path.join(REPO_DIR, "examples", name);
  const files: Record<string, string> = {};
  for (const f of fs.readdirSync(dir)) {
    const full = path.join(dir, f);
    if (fs.statSync(full).isFile()) files[f] = fs.readFileSync(full, "utf8");
  }
  return files;
}

async function until(what: string, predicate: () => boolean | Promise<boolean>, ms = 120_000) {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("e2e: state in Azure Blob Storage (azblob backend against Azurite)", function () {
  this.timeout(10 * 60_000);
  let azurite: ChildProcess | undefined;
  let port: number;
  let tenant: SimulatedTenant;
  let project: PulumiProject;
  let backendUrl: string;

  const rotations = () => tenant.log.count({ method: "POST", pathMatches: ROTATE, status: 204 });

  before(async function () {
    assert.equal(path.resolve(process.env.NODE_EXTRA_CA_CERTS ?? ""), CA_PEM);
    port = await freePort();
    azurite = await startAzurite(port);
    const created = await blobRequest(port, "PUT", CONTAINER, { restype: "container" });
    assert.equal(created.status, 201, created.body);

    // Devices check in only when told to: an `up` waiting for "applied" holds its lock.
    tenant = await startTenant({ fleet: false, checkInDelayMs: null });
    const device = {
      operatingSystem: "Windows",
      osVersion: "10.0.22631.4460",
      joinType: "azureADJoined",
      isEncrypted: true,
      skuFamily: "Enterprise",
      managementAgent: "mdm",
      outcome: { state: "done" as const },
    };
    for (const id of DEVICE_IDS) tenant.addDevice({ ...device, id });
    tenant.addDevice({ ...device, deviceName: "KIOSK-LOBBY-01" });

    backendUrl = `azblob://${CONTAINER}?protocol=http&domain=127.0.0.1:${port}`;
    const { "index.ts": program, "Pulumi.yaml": pulumiYaml, ...files } = exampleFiles(EXAMPLE);
    project = await PulumiProject.create({
      name: EXAMPLE,
      program: program!,
      pulumiYaml,
      files,
      stack: "prod",
      config: {
        [`${EXAMPLE}:waitTimeoutSeconds`]: "300",
        [`${EXAMPLE}:pollIntervalSeconds`]: "1",
      },
      env: {
        PULUMI_BACKEND_URL: backendUrl,
        AZURE_STORAGE_ACCOUNT: ACCOUNT,
        AZURE_STORAGE_KEY: ACCOUNT_KEY,
        AZURE_TENANT_ID: tenant.tenantId,
        AZURE_CLIENT_ID: tenant.defaultApp.clientId,
        AZURE_CLIENT_SECRET: tenant.defaultApp.clientSecret,
        AZURE_AUTHORITY_HOST: tenant.authorityHost,
        BITLOCKER_GRAPH_ENDPOINT: tenant.url,
        AZURE_FEDERATED_TOKEN_FILE: undefined,
        NODE_EXTRA_CA_CERTS: CA_PEM,
        NODE_PRESERVE_SYMLINKS: "1",
      },
    });
  });

  after(async function () {
    await project?.dispose();
    await tenant?.close();
    azurite?.kill("SIGTERM");
  });

  it("`pulumi stack init` and `up` keep the stack in the blob container", async function () {
    const whoami = await project.pulumiOk(["whoami", "--verbose"]);
    assert.match(whoami.stdout, new RegExp(`Backend URL: ${backendUrl.replace(/[?.]/g, "\\$&")}`));

    const up = project.start([
      "up",
      "--stack",
      "prod",
      "--yes",
      "--skip-preview",
      "--non-interactive",
    ]);
    try {
      await until("the rotations to be sent", () => tenant.pendingRotations().length === 3);
    } finally {
      tenant.checkIn();
    }
    const result = await up.done;
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(rotations(), 3);

    const blobs = await listBlobs(port, ".pulumi/");
    assert.ok(blobs.includes(`.pulumi/stacks/${EXAMPLE}/prod.json`), blobs.join("\n"));
    assert.deepEqual(await listBlobs(port, ".pulumi/locks/"), [], "the lock is gone after up");
    assert.deepEqual(
      fs.readdirSync(project.stateDir),
      [],
      "nothing went to the harness's file backend",
    );
  });

  it("the lock refuses a concurrent `up` of the stack, which sends nothing", async function () {
    await project.configSet(`${EXAMPLE}:ticket`, "INC-4712");
    const first = project.start([
      "up",
      "--stack",
      "prod",
      "--yes",
      "--skip-preview",
      "--non-interactive",
    ]);
    // The first `up` has sent its rotations and waits for the devices: it holds the lock.
    let second;
    try {
      await until("the first up's rotations", () => tenant.pendingRotations().length === 3);
      const locks = await listBlobs(port, ".pulumi/locks/");
      assert.equal(locks.length, 1, `one lock blob: ${locks.join(", ")}`);
      assert.match(
        locks[0]!,
        new RegExp(`^\\.pulumi/locks/organization/${EXAMPLE}/prod/[^/]+\\.json$`),
      );

      second = await project.pulumi([
        "up",
        "--stack",
        "prod",
        "--yes",
        "--skip-preview",
        "--non-interactive",
      ]);
    } finally {
      // However this went, let the first `up` finish instead of waiting out its timeout.
      tenant.checkIn();
    }
    const result = await first.done;
    assert.notEqual(second.code, 0);
    assert.match(
      second.stdout + second.stderr,
      /the stack is currently locked by 1 lock\(s\)\. Either wait for the other process\(es\) to end or delete the lock file with `pulumi cancel`/,
    );
    assert.match(
      second.stdout + second.stderr,
      new RegExp(`azblob://${CONTAINER}.*/\\.pulumi/locks/`),
    );
    assert.equal(rotations(), 6, "the refused up sent nothing");
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.deepEqual(await listBlobs(port, ".pulumi/locks/"), []);

    // Released: the next `up` runs, and has nothing to rotate.
    await project.up();
    assert.equal(rotations(), 6);
  });
});
