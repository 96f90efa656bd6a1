// bitlocker-report over state the real engines wrote against the simulated tenant: devices
// that rotate, fail with each known errorCode, never check in, are skipped, vanish, or are
// refused for lack of permission; refresh folds the outcomes in; the report (its main function
// and the built CLI) reads a `pulumi stack export`-shaped document of those outputs.
import { fleetDeviceRecords } from "../../provider/plan/fleet/packed";
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as fleetEngine from "../../provider/engine/fleetEntry";
import * as singleEngine from "../../provider/engine/singleDeviceEntry";
import { parseRecord } from "../../provider/plan/fleet/record";
import type { FleetState } from "../../provider/plan/fleet/plan";
import { describeHresult } from "../../provider/plan/hresult";
import type { SingleDeviceState } from "../../provider/plan/singleDevicePlan";
import { FLEET_TYPE, SINGLE_TYPE } from "../../provider/report/exported";
import { main, type ReportIo } from "../../provider/report/main";
import { STATUS_ORDER } from "../../provider/report/summary";
import { ERROR_CODES, hresultToInt32, ROLES, type SimulatedTenant } from "../../simulator/index";
import { addEligibleDevice, configureEngine, engineConfig, startTenant } from "../support/tenant";

type Props = Record<string, unknown>;
const REPO = path.resolve(__dirname, "../..");
const CLI = path.join(REPO, "provider/dist/report/cli.js");
const STACK = "integration";
const PROJECT = "report-test";
const PROVIDER_TEXT =
  "exports.handler = require('pulumi-intune-bitlocker/engine').provider; // SERIALIZED-PROVIDER";
const DAY = 86_400_000;

/** The known HRESULTs not among the simulator's ERROR_CODES. */
const MORE_HRESULTS = [0x803100da, 0x803100db, 0x80310059].map(hresultToInt32);
const FAILURE_CODES = [...Object.values(ERROR_CODES), ...MORE_HRESULTS];

interface ExportedResource {
  urn: string;
  custom: boolean;
  id: string;
  type: string;
  inputs: Props;
  outputs: Props;
  created: string;
  modified: string;
}

describe("integration: bitlocker-report over engine state", function () {
  this.timeout(300_000);
  let tenant: SimulatedTenant;
  let doc: { version: number; deployment: Props & { resources: ExportedResource[] } };
  let dir: string;
  let file: string;
  const single: Record<string, { id: string; state: SingleDeviceState }> = {};
  let fleet: FleetState;
  let denied: FleetState;
  const ids: Record<string, string> = {};
  const failedIds: string[] = [];

  function windows(overrides: Props = {}) {
    return addEligibleDevice(tenant, overrides);
  }
  async function checked<
    T extends { check(o: Props, n: Props): Promise<{ inputs: Props; failures: unknown[] }> },
  >(engine: T, news: Props) {
    const { inputs, failures } = await engine.check({}, news);
    assert.deepEqual(failures, []);
    return inputs;
  }
  function resource(
    type: string,
    name: string,
    id: string,
    inputs: Props,
    outputs: Props,
    created = new Date(),
  ): ExportedResource {
    const at = created.toISOString();
    return {
      urn: `urn:pulumi:${STACK}::${PROJECT}::${type}::${name}`,
      custom: true,
      id,
      type,
      inputs: { ...inputs, __provider: PROVIDER_TEXT },
      outputs: { ...outputs, __provider: PROVIDER_TEXT },
      created: at,
      modified: at,
    };
  }

  before(async () => {
    // The built CLI is part of what is tested: build the package first (`npm run build`).
    execFileSync(
      process.execPath,
      [path.join(REPO, "node_modules/typescript/bin/tsc"), "-p", "provider/tsconfig.json"],
      { cwd: REPO, stdio: "pipe" },
    );

    tenant = await startTenant();
    configureEngine(engineConfig(tenant));
    const resources: ExportedResource[] = [];

    // Single devices: rotate, fail, never check in, adopt, vanish.
    const singles: [string, Props, Props][] = [
      ["helpdesk-ok", { deviceName: "LAPTOP-OK" }, {}],
      [
        "finance-laptop",
        {
          deviceName: "FIN-LT-7",
          outcome: { state: "failed", errorCode: ERROR_CODES.notEncrypted },
        },
        {},
      ],
      ["kiosk", { deviceName: "KIOSK-3", outcome: { state: "offline" } }, {}],
      ["server-adopted", { deviceName: "SRV-ADOPT" }, { rotateOnCreate: false }],
      ["retired", { deviceName: "OLD-LT-1" }, {}],
    ];
    const singleInputs: Record<string, Props> = {};
    for (const [name, device, settings] of singles) {
      const d = windows(device);
      ids[name] = d.id;
      singleInputs[name] = await checked(singleEngine, {
        managedDeviceId: d.id,
        rotationToken: "2026-Q4",
        ...settings,
      });
      const { id, outs } = await singleEngine.create(singleInputs[name]!);
      single[name] = { id, state: outs as SingleDeviceState };
    }

    // A fleet: two rotate, one fails per errorCode, one cannot rotate, one never checks in,
    // three are skipped (old build, not encrypted, unknown id), one vanishes.
    const ok = [windows().id, windows().id];
    failedIds.push(
      ...FAILURE_CODES.map((errorCode) => windows({ outcome: { state: "failed", errorCode } }).id),
    );
    ids.notSupported = windows({ outcome: { state: "notSupported" } }).id;
    ids.offline = windows({ outcome: { state: "offline" } }).id;
    ids.osTooOld = windows({ osVersion: "10.0.17763.1" }).id;
    ids.notEncrypted = windows({ isEncrypted: false }).id;
    ids.notFound = "0b7c5a2e-dead-4a2b-9c3d-000000000404";
    ids.vanishes = windows().id;
    const fleetIds = [
      ...ok,
      ...failedIds,
      ids.notSupported,
      ids.offline,
      ids.osTooOld,
      ids.notEncrypted,
      ids.notFound,
      ids.vanishes,
    ];
    const fleetInputs = await checked(fleetEngine, {
      managedDeviceIds: fleetIds,
      rotationToken: "2026-Q4",
    });
    const created = await fleetEngine.create(fleetInputs);

    // A fleet whose app may read devices but not rotate them: recorded as errors.
    const readOnly = tenant.registerApp({
      roles: [ROLES.managedDevicesRead],
      clientSecret: "read-only-secret-7",
    });
    configureEngine(
      engineConfig(tenant, { clientId: readOnly.clientId, clientSecret: "read-only-secret-7" }),
    );
    const deniedIds = [windows().id, windows().id, windows().id];
    const deniedInputs = await checked(fleetEngine, {
      managedDeviceIds: deniedIds,
      rotationToken: "2026-Q4",
    });
    const failure = await fleetEngine.create(deniedInputs).then(
      () => assert.fail("a read-only app must not rotate"),
      (e: Error & { id?: string; properties?: Props }) => e,
    );
    assert.ok(failure.properties, failure.message);
    configureEngine(engineConfig(tenant));

    // The devices check in; then refresh (read) folds the outcomes into state.
    tenant.checkIn();
    tenant.removeDevice(ids.retired!);
    tenant.removeDevice(ids.vanishes!);
    for (const [name] of singles) {
      const { id, state } = single[name]!;
      const { props } = await singleEngine.read(id, state as unknown as Props);
      single[name] = { id, state: props as unknown as SingleDeviceState };
      // Adopted 200 days ago: overdue under a 90-day policy.
      const createdAt = name === "server-adopted" ? new Date(Date.now() - 200 * DAY) : new Date();
      resources.push(
        resource(SINGLE_TYPE, name, id, singleInputs[name]!, props as unknown as Props, createdAt),
      );
    }
    fleet = (await fleetEngine.read(created.id, created.outs as unknown as Props))
      .props as unknown as FleetState;
    resources.push(
      resource(FLEET_TYPE, "windows-fleet", created.id, fleetInputs, fleet as unknown as Props),
    );
    denied = (await fleetEngine.read(failure.id!, failure.properties))
      .props as unknown as FleetState;
    resources.push(
      resource(FLEET_TYPE, "denied-fleet", failure.id!, deniedInputs, denied as unknown as Props),
    );

    doc = {
      version: 3,
      deployment: {
        manifest: { time: new Date().toISOString(), magic: "0".repeat(64), version: "v3.274.1" },
        secrets_providers: { type: "passphrase", state: { salt: "v1:AAAA" } },
        resources: [
          {
            urn: `urn:pulumi:${STACK}::${PROJECT}::pulumi:pulumi:Stack::${PROJECT}-${STACK}`,
            custom: false,
            type: "pulumi:pulumi:Stack",
            outputs: {},
          } as never,
          ...resources,
        ],
      },
    };
    dir = mkdtempSync(path.join(tmpdir(), "bitlocker-report-"));
    file = path.join(dir, "state.json");
    writeFileSync(file, JSON.stringify(doc, null, 4));
  });
  after(async () => {
    await tenant?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** What the engines recorded, per status. */
  function expectedCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    const add = (s: string) => counts.set(s, (counts.get(s) ?? 0) + 1);
    for (const { state } of Object.values(single)) add(state.status);
    for (const f of [fleet, denied])
      for (const line of Object.values(fleetDeviceRecords(f.devices)))
        add(parseRecord(line)!.status);
    return counts;
  }

  async function report(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const out = { stdout: "", stderr: "" };
    const io: ReportIo = {
      readFile: async (p) => readFileSync(p, "utf8"),
      readStdin: async () => assert.fail("no stdin here"),
      exportStack: async () => assert.fail("no pulumi here"),
      stdout: { write: (s: string) => (out.stdout += s), isTTY: false },
      stderr: { write: (s: string) => (out.stderr += s) },
      now: () => new Date(),
    };
    return { code: await main(argv, io), ...out };
  }

  function cli(
    argv: string[],
    opts: { input?: string; env?: NodeJS.ProcessEnv } = {},
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = execFile(
        process.execPath,
        [CLI, ...argv],
        { cwd: dir, env: opts.env ?? process.env },
        (error, stdout, stderr) => {
          resolve({
            code: error ? Number((error as { code?: number }).code ?? -1) : 0,
            stdout,
            stderr,
          });
        },
      );
      child.stdin!.end(opts.input ?? "");
    });
  }

  it("the engines recorded what the devices did (the scenario the report is about)", () => {
    assert.deepEqual(
      Object.fromEntries(Object.entries(single).map(([n, { state }]) => [n, state.status])),
      {
        "helpdesk-ok": "done",
        "finance-laptop": "failed",
        kiosk: "pending",
        "server-adopted": "adopted",
        retired: "missing",
      },
    );
    const statusOf = (id: string) => parseRecord(fleetDeviceRecords(fleet.devices)[id]!)!.status;
    assert.deepEqual(
      failedIds.map(statusOf),
      FAILURE_CODES.map(() => "failed"),
    );
    assert.deepEqual(
      [
        ids.notSupported,
        ids.offline,
        ids.osTooOld,
        ids.notEncrypted,
        ids.notFound,
        ids.vanishes,
      ].map((id) => statusOf(id!)),
      ["notSupported", "pending", "skipped", "skipped", "skipped", "missing"],
    );
    assert.ok(
      Object.values(fleetDeviceRecords(denied.devices)).every(
        (l) => parseRecord(l)!.status === "error",
      ),
    );
  });

  it("markdown: counts, the Mermaid pie chart, every failure explained, the overdue device", async () => {
    const { code, stdout, stderr } = await report([
      file,
      "--format",
      "markdown",
      "--overdue-days",
      "90",
    ]);
    assert.deepEqual([code, stderr], [0, ""]);
    const counts = [...expectedCounts()].sort(
      ([a], [b]) => STATUS_ORDER.indexOf(a) - STATUS_ORDER.indexOf(b),
    );
    const total = counts.reduce((n, [, c]) => n + c, 0);
    assert.equal(total, 5 + Object.keys(fleetDeviceRecords(fleet.devices)).length + 3);
    assert.match(
      stdout,
      new RegExp(
        `^## BitLocker key rotation report: \`${STACK}\`\n\nStack \`${STACK}\` \\(project \`${PROJECT}\`\\): \\*\\*${total}\\*\\* devices in \\*\\*7\\*\\* resources`,
      ),
    );
    assert.ok(
      stdout.includes(
        counts.map(([s, n]) => `| ${s} | ${n} |`).join("\n") + `\n| **total** | **${total}** |`,
      ),
      stdout,
    );
    assert.ok(
      stdout.includes(
        [
          "```mermaid",
          "pie title BitLocker rotation status",
          ...counts.map(([s, n]) => `    "${s}" : ${n}`),
          "```",
        ].join("\n"),
      ),
      stdout,
    );

    const line = (deviceId: string) =>
      stdout
        .split("\n")
        .find(
          (l) => l.includes(`\`${deviceId}\``) && l.startsWith("| ") && !l.includes("| adopted |"),
        );
    for (const [i, errorCode] of FAILURE_CODES.entries()) {
      const info = describeHresult(errorCode);
      const row = line(failedIds[i]!);
      assert.ok(
        row?.startsWith(`| failed | \`${failedIds[i]}\` |  | \`windows-fleet\` |`),
        `${info.hex}: ${row}`,
      );
      assert.ok(
        row!.includes(`\`${info.hex}\` ${info.meaning ?? `Windows error ${info.hex}`}`),
        row,
      );
      assert.ok(row!.includes(info.hint ?? `certutil -error ${info.hex}`), row);
    }
    assert.match(
      line(ids["finance-laptop"]!)!,
      /\| failed \| `[^`]+` \| `FIN-LT-7` \| `finance-laptop` \|.*`0x80310008` BitLocker is not enabled on the drive \| Enable BitLocker/,
    );
    assert.match(line(ids.kiosk!)!, /\| pending \| .* \| `KIOSK-3` \| .*pulumi refresh/);
    assert.match(line(ids.offline!)!, /\| pending \| .*next check-in/);
    assert.match(line(ids.notSupported!)!, /\| notSupported \| .*cannot rotate/);
    assert.match(
      line(ids.osTooOld!)!,
      /\| skipped \| .*`osTooOld` Windows is older than 10\.0\.18363/,
    );
    assert.match(line(ids.notEncrypted!)!, /\| skipped \| .*`notEncrypted` BitLocker is not on/);
    assert.match(
      line(ids.notFound!)!,
      /\| skipped \| .*`notFound` The device does not exist in Intune/,
    );
    assert.match(line(ids.retired!)!, /\| missing \| .*`OLD-LT-1`.*Remove it from the program/);
    assert.match(line(ids.vanishes!)!, /\| missing \| .*`windows-fleet`/);
    for (const id of Object.keys(fleetDeviceRecords(denied.devices))) {
      assert.match(
        line(id)!,
        /\| error \| .*`denied-fleet` \| [^|]+ \| `-` \| `(Forbidden|NotSent)` .*\| (Grant DeviceManagementManagedDevices\.ReadWrite\.All|Fix that failure)/,
      );
    }
    assert.equal(line(ids["helpdesk-ok"]!), undefined, "a done device needs no attention");

    const overdue = stdout.slice(stdout.indexOf("### Overdue"));
    assert.match(overdue, /^### Overdue: 1 device\n/);
    assert.match(
      overdue,
      new RegExp(
        `\\| \`${ids["server-adopted"]}\` \\| \`SRV-ADOPT\` \\| \`server-adopted\` \\| adopted \\| [^|]+ \\| 200 \\|`,
      ),
    );
    assert.ok(
      !stdout.includes(PROVIDER_TEXT.slice(0, 20)) && !stdout.includes("read-only-secret-7"),
    );
  });

  it("json: every device with the status the engine recorded", async () => {
    const { stdout } = await report([file, "--format", "json"]);
    const json = JSON.parse(stdout) as {
      total: number;
      counts: Record<string, number>;
      rows: {
        deviceId: string;
        resource: string;
        status: string;
        deviceName?: string;
        token: string;
      }[];
    };
    assert.deepEqual(json.counts, Object.fromEntries(expectedCounts()));
    for (const [id, lineText] of Object.entries(fleetDeviceRecords(fleet.devices))) {
      const row = json.rows.find((r) => r.deviceId === id && r.resource === "windows-fleet")!;
      const r = parseRecord(lineText)!;
      assert.deepEqual([row.status, row.token], [r.status, r.token]);
    }
    for (const [name, { state }] of Object.entries(single)) {
      const row = json.rows.find((r) => r.resource === name)!;
      assert.deepEqual(
        [row.deviceId, row.deviceName, row.status],
        [state.managedDeviceId, state.deviceName, state.status],
      );
    }
    // The report's per-fleet counts agree with the counts the engine keeps in state.
    const perFleet: Record<string, number> = {};
    for (const r of json.rows.filter((x) => x.resource === "windows-fleet"))
      perFleet[r.status] = (perFleet[r.status] ?? 0) + 1;
    assert.deepEqual(perFleet, fleet.counts);
  });

  it("the built CLI: a table from a file, markdown from stdin, exit 1 under --fail-on", async () => {
    const bin = JSON.parse(readFileSync(path.join(REPO, "provider/package.json"), "utf8")).bin;
    assert.deepEqual(bin, {
      "bitlocker-report": "dist/report/cli.js",
    });
    assert.match(readFileSync(CLI, "utf8"), /^#!\/usr\/bin\/env node\n/);

    const table = await cli([file, "--format", "table", "--overdue-days", "90"]);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.split("\n");
    assert.equal(
      lines[0]!.replace(/as of \S+$/, ""),
      `BitLocker key rotation report: stack ${STACK} (project ${PROJECT}), `,
    );
    assert.ok(
      lines.includes(
        "failed 0x803100DA: BitLocker recovery-password backup to Entra ID is not required for the OS drive (1)",
      ),
      table.stdout,
    );
    assert.ok(
      lines.some((l) =>
        /^error Forbidden: Graph 403 Forbidden: the app lacks a permission \(\d\)$/.test(l),
      ),
      table.stdout,
    );
    assert.ok(
      lines.includes(
        "OVERDUE: 1 device last requested or adopted 90 or more days before " +
          lines[0]!.split("as of ")[1],
      ),
    );

    const piped = await cli(["-"], { input: readFileSync(file, "utf8") });
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(
      piped.stdout.replace(/as of \S+\./, ""),
      (await report([file])).stdout.replace(/as of \S+\./, ""),
      "not a TTY: markdown, same as main()",
    );

    const gate = await cli([file, "--fail-on", "failed,error", "--format", "json"]);
    const failedOrError =
      (expectedCounts().get("failed") ?? 0) + (expectedCounts().get("error") ?? 0);
    assert.deepEqual(
      [gate.code, gate.stderr],
      [
        1,
        `bitlocker-report: ${failedOrError} device(s) failed or error (--fail-on failed,error)\n`,
      ],
    );
    const total = [...expectedCounts().values()].reduce((a, b) => a + b, 0);
    assert.deepEqual(
      [JSON.parse(gate.stdout).total, JSON.parse(gate.stdout).rows.length],
      [total, total],
      "the report is printed too",
    );
    assert.equal((await cli([file, "--fail-on", "canceled"])).code, 0);
    const usage = await cli([file, "--format", "html"]);
    assert.deepEqual([usage.code, usage.stdout], [2, ""]);
    assert.match(usage.stderr, /--format must be one of table, markdown, json/);
  });

  it("the built CLI with --stack runs `pulumi stack export --stack NAME` from PATH", async () => {
    const bin = path.join(dir, "bin");
    execFileSync("mkdir", ["-p", bin]);
    // A stand-in for the pulumi CLI: answers exactly `pulumi stack export --stack integration`.
    writeFileSync(
      path.join(bin, "pulumi"),
      `#!/bin/sh\nif [ "$*" = "stack export --stack ${STACK}" ]; then cat '${file}'; exit 0; fi\necho "error: no stack named '$4' found (args: $*)" >&2\nexit 255\n`,
    );
    chmodSync(path.join(bin, "pulumi"), 0o755);
    const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` };
    const ok = await cli(["--stack", STACK, "--format", "json"], { env });
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout).counts, Object.fromEntries(expectedCounts()));
    const missing = await cli(["--stack", "nope"], { env });
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /`pulumi stack export --stack nope` failed \(exit 255\):\nerror: no stack named 'nope' found/,
    );
    const noCli = await cli(["--stack", STACK], { env: { ...process.env, PATH: dir } });
    assert.equal(noCli.code, 2);
    assert.match(noCli.stderr, /the pulumi CLI is not on PATH/);
  });
});
