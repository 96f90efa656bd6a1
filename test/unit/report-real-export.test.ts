// The report over real `pulumi stack export` output (Pulumi CLI v3.274.1, a BitLockerKeyRotation
// with a secret token and a fleet, after `pulumi up` and `pulumi refresh` against the simulated
// tenant; stackTrace and sourcePosition removed). Guards the shapes fixtures could get wrong:
// the secret envelope, the provider resource, `created` with 7 fractional digits.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { main, type ReportIo } from "../../provider/report/main";

const TEXT = readFileSync(path.join(__dirname, "fixtures/report-real-export.json"), "utf8");

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: "", stderr: "" };
  const io: ReportIo = {
    readFile: async () => TEXT,
    readStdin: async () => TEXT,
    exportStack: async () => TEXT,
    stdout: { write: (s: string) => (out.stdout += s) },
    stderr: { write: (s: string) => (out.stderr += s) },
    now: () => new Date("2026-11-27T10:00:00Z"),
  };
  return { code: await main(argv, io), ...out };
}

describe("report: real `pulumi stack export` output", () => {
  it("reads both resources, the fleet's records and the single device's secret token", async () => {
    const { code, stdout, stderr } = await run(["-", "--format", "json"]);
    assert.deepEqual([code, stderr], [0, ""]);
    const doc = JSON.parse(stdout);
    assert.deepEqual(
      [doc.stack, doc.project, doc.resources, doc.total],
      ["e2e", "report-e2e", 2, 5],
    );
    assert.deepEqual(doc.counts, { done: 2, pending: 1, failed: 1, skipped: 1 });
    const single = doc.rows.find((r: { resource: string }) => r.resource === "helpdesk");
    assert.deepEqual(
      [single.deviceName, single.status, single.token],
      ["LAPTOP-E2E", "done", "secret"],
    );
    const failed = doc.rows.find((r: { status: string }) => r.status === "failed");
    assert.deepEqual(
      [failed.resource, failed.detail, failed.meaning],
      ["fleet", "0x803100E1", "The recovery-key backup endpoint is busy"],
    );
  });

  it("prints nothing of the provider's code, its config or the secret, in any format", async () => {
    const raw = JSON.parse(TEXT) as {
      deployment: {
        resources: { outputs?: { __provider?: string; rotationToken?: { ciphertext?: string } } }[];
      };
    };
    const providerCode = raw.deployment.resources.find((r) => r.outputs?.__provider)!.outputs!
      .__provider!;
    const ciphertext = raw.deployment.resources.find((r) => r.outputs?.rotationToken?.ciphertext)!
      .outputs!.rotationToken!.ciphertext!;
    for (const format of ["table", "markdown", "json"]) {
      const { stdout } = await run(["-", "--format", format, "--overdue-days", "1"]);
      for (const s of [
        providerCode.slice(0, 40),
        ciphertext,
        "clientSecret",
        "authorityHost",
        "127.0.0.1",
        "__provider",
      ]) {
        assert.ok(!stdout.includes(s), `${format} printed ${s}`);
      }
    }
  });
});
