// The bitlocker-sim command, run as a separate process (as a user or a CI script would).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { trustedCaDir } from "./helpers";

const ROOT = path.resolve(__dirname, "../..");
const CLI = path.join(ROOT, "simulator/cli.ts");

function runCli(args: string[]) {
  return spawn(process.execPath, ["-r", "ts-node/register", CLI, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

describe("simulator: bitlocker-sim CLI", () => {
  it("starts a tenant, prints how to reach it, serves until SIGTERM, exits 0", async () => {
    const child = runCli([
      "--json",
      "--devices",
      "4",
      "--seed",
      "cli",
      "--ca-dir",
      trustedCaDir(),
      "--time-scale",
      "0.1",
    ]);
    const exited = new Promise<number | string | null>((resolve) =>
      child.on("exit", (code, signal) => resolve(code ?? signal)),
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once("line", resolve);
        child.once("exit", () => reject(new Error("the CLI exited before printing")));
      });
      const info = JSON.parse(line) as {
        url: string;
        tenantId: string;
        clientId: string;
        clientSecret: string;
        caCertPath: string;
      };
      assert.equal(info.caCertPath, path.join(trustedCaDir(), "ca.pem"));
      const res = await fetch(`${info.url}/_sim/info`);
      const served = (await res.json()) as { tenantId: string; timeScale: number };
      assert.equal(served.tenantId, info.tenantId);
      assert.equal(served.timeScale, 0.1);
      const devices = (await (await fetch(`${info.url}/_sim/devices`)).json()) as {
        devices: unknown[];
      };
      assert.equal(devices.devices.length, 4);
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal(await exited, 0);
  });

  it("prints the export and pulumi config lines in its human form", async () => {
    const child = runCli(["--devices", "1", "--ca-dir", trustedCaDir()]);
    const exited = new Promise<number | string | null>((resolve) =>
      child.on("exit", (code, signal) => resolve(code ?? signal)),
    );
    let out = "";
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes("Ctrl-C")) resolve();
        });
        child.once("exit", () => reject(new Error(out)));
      });
    } finally {
      child.kill("SIGINT");
    }
    assert.equal(await exited, 0);
    assert.match(
      out,
      new RegExp(`^export NODE_EXTRA_CA_CERTS=${path.join(trustedCaDir(), "ca.pem")}$`, "m"),
    );
    assert.match(out, /^pulumi config set bitlocker:tenantId [0-9a-f-]{36}$/m);
    assert.match(out, /^pulumi config set --secret bitlocker:clientSecret \S+$/m);
    assert.match(out, /^pulumi config set bitlocker:graphEndpoint https:\/\/127\.0\.0\.1:\d+$/m);
  });

  it("`ca` only ensures the CA", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "bitlocker-sim-cli-"));
    try {
      const child = runCli(["ca", "--ca-dir", dir]);
      let out = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
      assert.equal(code, 0);
      assert.equal(out.trim(), `export NODE_EXTRA_CA_CERTS=${path.join(dir, "ca.pem")}`);
      assert.deepEqual((await fs.readdir(dir)).sort(), ["ca-key.pem", "ca.pem"]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a bad option with exit code 2", async () => {
    const child = runCli(["--devices", "many"]);
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    assert.equal(code, 2);
  });
});
