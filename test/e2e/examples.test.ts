// Every project under examples/ runs here, as shipped (its Pulumi.yaml, index.ts, stack file
// Pulumi.prod.yaml, data files), with the real `pulumi` CLI against the simulated tenant, so
// that none of them can rot. Each: the first `up` rotates what it should, a second `up`
// rotates nothing, and a change (a token, the YAML file, the clock) rotates exactly the
// devices it names. Rotations are counted in the tenant's request log: 204 answers to
// POST …/rotateBitLockerKeys, top-level or inside $batch.
//
// The tenant's devices carry the ids that the examples' files name, so the examples need no
// edits to run. Credentials reach the provider through the environment of each `pulumi`.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type {
  SimulatedTenant,
  SimulatedTenantOptions,
  WireManagedDevice,
} from "../../simulator/index";
import { readExport } from "../../provider/report/exported";
import { buildReport } from "../../provider/report/summary";
import { addEligibleDevice, startTenant } from "../support/tenant";
import { type CommandResult, PulumiProject, REPO_DIR } from "./harness";

const EXAMPLES_DIR = path.join(REPO_DIR, "examples");
const CA_PEM = path.join(REPO_DIR, ".sim", "ca.pem");
const ROTATE = /\/rotateBitLockerKeys$/;
/** The stack whose Pulumi.<stack>.yaml the examples ship. */
const STACK = "prod";

// ---- helpers ------------------------------------------------------------------------------

/** The files of an example directory (relative path → content), as a user would copy them. */
function exampleFiles(name: string): Record<string, string> {
  const root = path.join(EXAMPLES_DIR, name);
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files[path.relative(root, full)] = fs.readFileSync(full, "utf8");
    }
  };
  walk(root);
  return files;
}

/** A temporary copy of examples/<name>, stack `prod` initialised (its shipped config kept). */
async function exampleProject(
  name: string,
  tenant: SimulatedTenant,
  config: Record<string, string> = {},
): Promise<PulumiProject> {
  const { "index.ts": program, "Pulumi.yaml": pulumiYaml, ...files } = exampleFiles(name);
  assert.ok(program && pulumiYaml, `examples/${name} needs index.ts and Pulumi.yaml`);
  return PulumiProject.create({
    name,
    program,
    pulumiYaml,
    files,
    stack: STACK,
    config,
    env: tenantEnv(tenant),
  });
}

/** The environment a pipeline gives `pulumi`: the app's credentials and the tenant's endpoints. */
function tenantEnv(tenant: SimulatedTenant): Record<string, string | undefined> {
  return {
    AZURE_TENANT_ID: tenant.tenantId,
    AZURE_CLIENT_ID: tenant.defaultApp.clientId,
    AZURE_CLIENT_SECRET: tenant.defaultApp.clientSecret,
    AZURE_AUTHORITY_HOST: tenant.authorityHost,
    BITLOCKER_GRAPH_ENDPOINT: tenant.url,
    AZURE_CLIENT_CERTIFICATE_PATH: undefined,
    AZURE_FEDERATED_TOKEN_FILE: undefined,
    NODE_EXTRA_CA_CERTS: CA_PEM,
    // The workspace links the package; this makes it serialize as an npm-installed one does.
    NODE_PRESERVE_SYMLINKS: "1",
  };
}

async function startExampleTenant(options: SimulatedTenantOptions = {}): Promise<SimulatedTenant> {
  assert.equal(
    path.resolve(process.env.NODE_EXTRA_CA_CERTS ?? ""),
    CA_PEM,
    `run with NODE_EXTRA_CA_CERTS=${CA_PEM}`,
  );
  return startTenant({ fleet: false, checkInDelayMs: null, ...options });
}

/** A device that meets every rotation prerequisite. */
function eligible(
  tenant: SimulatedTenant,
  overrides: Parameters<SimulatedTenant["addDevice"]>[0] = {},
): WireManagedDevice {
  return addEligibleDevice(tenant, { lastSyncDateTime: new Date().toISOString(), ...overrides });
}

/** Runs `fn` and returns the ids of the devices it rotated (204 rotate POSTs), sorted. */
async function rotatedBy(tenant: SimulatedTenant, fn: () => Promise<unknown>): Promise<string[]> {
  const since = new Date();
  await fn();
  const entries = tenant.log.entries({ method: "POST", pathMatches: ROTATE, status: 204, since });
  assert.equal(
    entries.length,
    tenant.log.count({ method: "POST", pathMatches: ROTATE, status: 204, since }),
  );
  return entries.map((e) => e.path.split("/").at(-2) ?? "").sort();
}

function sorted(ids: string[]): string[] {
  return [...ids].sort();
}

function output(result: CommandResult): string {
  return `${result.stdout}\n${result.stderr}`;
}

/** A stack config value from an example's shipped Pulumi.prod.yaml (a plain `key: value`). */
function shippedConfig(example: string, key: string): string {
  const file = fs.readFileSync(path.join(EXAMPLES_DIR, example, `Pulumi.${STACK}.yaml`), "utf8");
  const m = new RegExp(`^\\s*${example}:${key}:\\s*(.+)$`, "m").exec(file);
  assert.ok(m?.[1], `${example}:${key} in Pulumi.${STACK}.yaml`);
  return m[1].trim();
}

// ---- the examples -------------------------------------------------------------------------

describe("e2e: examples/ run against the simulated tenant", function () {
  this.timeout(10 * 60_000);
  let tenant: SimulatedTenant;
  const projects: PulumiProject[] = [];

  // A tenant of its own for each example: queries see only that example's devices.
  beforeEach(async function () {
    tenant = await startExampleTenant();
  });

  afterEach(async function () {
    for (const p of projects.splice(0)) await p.dispose();
    await tenant?.close();
  });

  async function project(name: string, config: Record<string, string> = {}) {
    const p = await exampleProject(name, tenant, config);
    projects.push(p);
    return p;
  }

  describe("single-device", function () {
    it("rotates the configured device once per token", async function () {
      const deviceId = shippedConfig("single-device", "deviceId");
      eligible(tenant, { id: deviceId, deviceName: "LAPTOP-HELPDESK" });
      const other = eligible(tenant, { deviceName: "LAPTOP-OTHER" });
      const p = await project("single-device");

      assert.deepEqual(await rotatedBy(tenant, () => p.up()), [deviceId]);
      const outputs = await p.outputs();
      assert.equal(outputs.deviceName, "LAPTOP-HELPDESK");
      assert.equal(outputs.rotationCount, 1);

      assert.deepEqual(await rotatedBy(tenant, () => p.up()), [], "a second up rotates nothing");

      await p.configSet("single-device:rotationToken", "INC-1002");
      assert.deepEqual(await rotatedBy(tenant, () => p.up()), [deviceId], "a new token");
      assert.equal(tenant.rotationResult(other.id), undefined);
    });
  });

  describe("fleet-by-query", function () {
    it("rotates the eligible devices the query selects, then only newcomers", async function () {
      const laptops = ["LAPTOP-001", "LAPTOP-002", "laptop-003"].map((n) =>
        eligible(tenant, { deviceName: n }),
      );
      const unencrypted = eligible(tenant, { deviceName: "LAPTOP-004", isEncrypted: false });
      const desktop = eligible(tenant, { deviceName: "DESKTOP-001" });
      const p = await project("fleet-by-query");

      assert.deepEqual(await rotatedBy(tenant, () => p.up()), sorted(laptops.map((d) => d.id)));
      const outputs = await p.outputs();
      assert.deepEqual(outputs.selected, ["LAPTOP-001", "LAPTOP-002", "laptop-003"]);
      assert.deepEqual(outputs.counts, { requested: 3 });

      assert.deepEqual(await rotatedBy(tenant, () => p.up()), [], "a second up rotates nothing");

      const newcomer = eligible(tenant, { deviceName: "LAPTOP-005" });
      assert.deepEqual(await rotatedBy(tenant, () => p.up()), [newcomer.id], "a new laptop");
      for (const d of [unencrypted, desktop]) assert.equal(tenant.rotationResult(d.id), undefined);
    });
  });

  describe("incident-response", function () {
    it("rotates the listed devices (ids and names, config and file) and waits until applied", async function () {
      // Devices check in on their own here, so waitFor: "applied" sees them apply.
      tenant.setCheckInDelay(300);
      const fromConfig = eligible(tenant, { id: "3f2b9c4e-7a51-4d0e-9b6c-1d2e3f406001" });
      const fromFile = eligible(tenant, { id: "3f2b9c4e-7a51-4d0e-9b6c-1d2e3f406002" });
      const kiosk = eligible(tenant, { deviceName: "KIOSK-LOBBY-01" });
      const bystander = eligible(tenant, { deviceName: "KIOSK-LOBBY-02" });
      const p = await project("incident-response", {
        "incident-response:waitTimeoutSeconds": "60",
        "incident-response:pollIntervalSeconds": "1",
      });

      const expected = sorted([fromConfig.id, fromFile.id, kiosk.id]);
      assert.deepEqual(await rotatedBy(tenant, () => p.up()), expected);
      const outputs = await p.outputs();
      assert.equal(outputs.ticket, "INC-4711");
      assert.deepEqual(outputs.counts, { done: 3 }, "every device applied the rotation");
      // Per device id (fleetDeviceRecords unpacks the fleet's packed records).
      assert.deepEqual(sorted(Object.keys(outputs.statuses as object)), expected);
      assert.equal(tenant.rotationResult(bystander.id), undefined);

      assert.deepEqual(await rotatedBy(tenant, () => p.up()), [], "a second up rotates nothing");

      // A typo stops the run before anything is sent, naming the line.
      p.writeFile("devices.txt", `${fromFile.id}\nKIOSK-LOBY-01\n`);
      await p.configSet("incident-response:ticket", "INC-4712");
      const failed = await rotatedBy(tenant, async () => {
        const r = await p.up({ allowFailure: true });
        assert.notEqual(r.code, 0);
        assert.match(output(r), /devices\.txt:2: no managed device is named KIOSK-LOBY-01/);
      });
      assert.deepEqual(failed, []);
    });
  });

  describe("rotations-as-data", function () {
    it("rotates what rotations.yaml asks for, and an edit rotates exactly what it changes", async function () {
      const finance = ["FIN-LT-0001", "FIN-LT-0002", "FIN-LT-0003"].map((n) =>
        eligible(tenant, { deviceName: n }),
      );
      const oldBuild = eligible(tenant, { deviceName: "FIN-LT-0004", osVersion: "10.0.17763.1" });
      const helpdesk = [
        eligible(tenant, { id: "3f2b9c4e-7a51-4d0e-9b6c-1d2e3f407001", deviceName: "LAPTOP-0107" }),
        eligible(tenant, { id: "3f2b9c4e-7a51-4d0e-9b6c-1d2e3f407002", deviceName: "LAPTOP-0212" }),
      ];
      const kiosk = eligible(tenant, { deviceName: "KIOSK-0001" });
      const p = await project("rotations-as-data");

      assert.deepEqual(
        await rotatedBy(tenant, () => p.up()),
        sorted([...finance, ...helpdesk].map((d) => d.id)),
        "the shipped rotations.yaml",
      );
      assert.equal(tenant.rotationResult(oldBuild.id), undefined, "eligibleOnly");
      assert.deepEqual(await rotatedBy(tenant, () => p.up()), [], "a second up rotates nothing");

      // The pull request: a new token for one entry, a new entry, and a renamed entry.
      const shipped = exampleFiles("rotations-as-data")["rotations.yaml"]!;
      const edited =
        shipped
          .replace("token: INC-1042", "token: INC-1043")
          .replace(
            "- name: finance-laptops",
            "- name: finance\n    formerNames: [finance-laptops]",
          ) +
        `
  - name: lobby-kiosk
    token: INC-1050
    devices:
      - ${kiosk.id}
`;
      assert.notEqual(edited, shipped);
      p.writeFile("rotations.yaml", edited);
      const preview = await p.pulumiOk([
        "preview",
        "--stack",
        STACK,
        "--non-interactive",
        "--diff",
      ]);
      assert.match(output(preview), /helpdesk-disclosures: rotate 2/);
      assert.deepEqual(
        await rotatedBy(tenant, () => p.up()),
        sorted([...helpdesk, kiosk].map((d) => d.id)),
        "exactly the devices whose request changed",
      );
      assert.deepEqual(await rotatedBy(tenant, () => p.up()), [], "and nothing after that");

      // A mistake in the file fails the preview with its line, before anything is sent.
      p.writeFile("rotations.yaml", edited.replace("token: INC-1050", "tokn: INC-1050"));
      const broken = await p.pulumi(["preview", "--stack", STACK, "--non-interactive"]);
      assert.notEqual(broken.code, 0);
      assert.match(
        output(broken),
        /rotations\.yaml:\d+:\d+: rotations\[2\] \(lobby-kiosk\): unknown key "tokn"/,
      );
    });
  });

  describe("scheduled-rotation", function () {
    it("rotates when the calendar window passes, and never otherwise", async function () {
      const devices = ["PC-01", "PC-02", "PC-03"].map((n) => eligible(tenant, { deviceName: n }));
      eligible(tenant, { deviceName: "PC-UNENCRYPTED", isEncrypted: false });
      const all = sorted(devices.map((d) => d.id));
      const p = await project("scheduled-rotation");
      const at = async (now: string) => {
        await p.configSet("scheduled-rotation:now", now);
        const ids = await rotatedBy(tenant, () => p.up());
        return { ids, token: (await p.outputs()).token };
      };

      assert.deepEqual(await at("2026-02-01T08:00:00Z"), { ids: all, token: "window-2026-01-01" });
      assert.deepEqual(
        await at("2026-03-31T23:59:59Z"),
        { ids: [], token: "window-2026-01-01" },
        "a later run in the same window rotates nothing",
      );
      assert.deepEqual(
        await at("2026-04-01T00:00:00Z"),
        { ids: all, token: "window-2026-04-01" },
        "the next window rotates every device once",
      );
      // A runner's own zone does not matter: 02:00 in Berlin (+02:00) is 00:00 UTC, the
      // same window as above.
      assert.deepEqual(await at("2026-04-01T02:00:00+02:00"), {
        ids: [],
        token: "window-2026-04-01",
      });
    });
  });

  describe("rotate-on-disclosure", function () {
    it("rotates exactly the devices whose key was read since the last run, once each", async function () {
      const devices = ["LT-01", "LT-02", "LT-03", "LT-04"].map((n) =>
        eligible(tenant, { deviceName: n }),
      );
      const [a, b, c] = devices as [WireManagedDevice, WireManagedDevice, WireManagedDevice];
      const p = await project("rotate-on-disclosure");
      // What the pipeline does before each `up`: hand the previous run's output back.
      const run = async () => {
        const prev = await p.pulumi(["stack", "output", "disclosed", "--json"]);
        p.writeFile("previous-disclosures.json", prev.code === 0 ? prev.stdout : "{}");
        return rotatedBy(tenant, () => p.up());
      };
      const postsPerDevice = () => {
        const counts: Record<string, number> = {};
        for (const e of tenant.log.entries({ method: "POST", pathMatches: ROTATE, status: 204 })) {
          const id = e.path.split("/").at(-2) ?? "";
          counts[id] = (counts[id] ?? 0) + 1;
        }
        return counts;
      };

      assert.deepEqual(await run(), [], "no key read: nothing rotates");

      tenant.readRecoveryKey({ deviceId: a.id, userPrincipalName: "helpdesk1@contoso.example" });
      tenant.readRecoveryKey({ deviceId: b.id, userPrincipalName: "helpdesk2@contoso.example" });
      assert.deepEqual(await run(), sorted([a.id, b.id]), "the two devices whose key was read");
      const disclosed = (await p.outputs()).disclosed as Record<string, { readBy: string }>;
      assert.equal(disclosed[a.id]?.readBy, "helpdesk1@contoso.example");

      assert.deepEqual(await run(), [], "run again: nothing");

      tenant.readRecoveryKey({ deviceId: a.id, userPrincipalName: "helpdesk3@contoso.example" });
      assert.deepEqual(await run(), [a.id], "read one again: that one rotates");

      // An event listed late for a read made before the last run changes nothing: the
      // rotation already replaced that key.
      tenant.readRecoveryKey({
        deviceId: b.id,
        at: new Date(Date.now() - 3_600_000).toISOString(),
      });
      assert.deepEqual(await run(), [], "a late event for an earlier read");

      // The events age out of the audit log: the devices keep their token and their record.
      tenant.setAuditRetentionDays(1e-9);
      assert.deepEqual(await run(), [], "aged-out events rotate nothing");
      const after = (await p.outputs()) as { disclosed: Record<string, unknown>; counts: unknown };
      assert.deepEqual(Object.keys(after.disclosed).sort(), sorted([a.id, b.id]));
      assert.deepEqual(after.counts, { requested: 2 });

      assert.deepEqual(postsPerDevice(), { [a.id]: 2, [b.id]: 1 });
      // The report's trail: who read each key, when, and when the device was rotated for it.
      const trail = buildReport(readExport(await p.exportStack()), { now: new Date() }).disclosures;
      assert.deepEqual(trail?.map((d) => [d.deviceName, d.readBy, typeof d.rotatedAt]).sort(), [
        ["LT-01", "helpdesk3@contoso.example", "string"],
        ["LT-02", "helpdesk2@contoso.example", "string"],
      ]);
      assert.equal(tenant.rotationResult(c.id), undefined);
      // The package read no key itself: every audit event is one of the reads above.
      assert.equal(tenant.auditEvents().length, 4);
      assert.ok(tenant.auditEvents().every((e) => e.initiatedBy.app === null));
    });
  });
});

describe("examples/rotations-as-data: validating rotations.yaml", function () {
  // The example's own module, in process: each mistake is named with its line and entry.
  const { parseRotations, RotationsFileError } =
    require("../../examples/rotations-as-data/rotations") as typeof import("../../examples/rotations-as-data/rotations");

  const problems = (text: string): string[] => {
    try {
      parseRotations(text);
    } catch (e) {
      assert.ok(e instanceof RotationsFileError, String(e));
      return e.problems;
    }
    assert.fail("expected the file to be refused");
  };

  it("accepts the shipped file", function () {
    const requests = parseRotations(exampleFiles("rotations-as-data")["rotations.yaml"]!);
    assert.deepEqual(
      requests.map((r) => [r.name, r.token, r.devices?.length ?? r.query]),
      [
        ["finance-laptops", "2026-Q2", { namePattern: "FIN-LT-*", eligibleOnly: true }],
        ["helpdesk-disclosures", "INC-1042", 2],
      ],
    );
    assert.equal(requests[1]!.location, "rotations.yaml:24:5");
  });

  it("names the line, the column and the entry of every problem", function () {
    const text = [
      "rotations:", // 1
      "  - name: a", // 2
      "    token: 2026", // 3
      "    devices: [not-a-guid]", // 4
      "  - name: b", // 5
      "    tokn: x", // 6
      "    query: {}", // 7
      "  - name: a", // 8
      "    token: t", // 9
      "    query: { namePattern: 'X-*', checkedInWithinDays: -1, colour: red }", // 10
      "    devices: [0b7c5a2e-1111-4a2b-9c3d-000000000001]", // 11
      "  - token: t", // 12
      "    waitFor: later", // 13
      "    devices:", // 14
      "      - 0b7c5a2e-1111-4a2b-9c3d-000000000002", // 15
      "      - 0B7C5A2E-1111-4A2B-9C3D-000000000002", // 16
    ].join("\n");
    assert.deepEqual(problems(text), [
      'rotations.yaml:3:12: rotations[0] (a): "token" must be a string; quote it: token: "2026"',
      'rotations.yaml:4:15: rotations[0] (a): devices[0]: "not-a-guid" is not a managed device id (a GUID)',
      'rotations.yaml:6:5: rotations[1] (b): unknown key "tokn" (expected one of name, token, reason, devices, query, waitFor, rotateOnCreate, formerNames)',
      'rotations.yaml:5:5: rotations[1] (b): "token" is missing',
      'rotations.yaml:7:12: rotations[1] (b): an empty "query" selects every Windows device; write operatingSystem: Windows if that is meant',
      'rotations.yaml:8:5: rotations[2] (a): needs exactly one of "devices" (a list of device ids) or "query"',
      'rotations.yaml:8:5: rotations[2] (a): the name "a" is already used by rotations[0] (a)',
      'rotations.yaml:12:5: rotations[3]: "name" is missing',
      'rotations.yaml:13:14: rotations[3]: "waitFor" must be one of requested, applied, escrowed, not "later"',
      "rotations.yaml:16:9: rotations[3]: devices[1]: 0B7C5A2E-1111-4A2B-9C3D-000000000002 is listed twice",
    ]);
  });

  it("reports YAML syntax errors and a wrong shape with their lines", function () {
    assert.match(problems("rotations:\n  - name: a\n  name: b\n")[0]!, /^rotations\.yaml:3:\d+: /);
    assert.deepEqual(
      problems("rotations:\n  - name: x\n    token: t\n    query:\n      namePattern: *-KIOSK\n"),
      [
        'rotations.yaml:5:20: *-KIOSK is a YAML alias, which this file does not use; if it is a name pattern, quote it: "*-KIOSK"',
      ],
    );
    assert.deepEqual(problems("rotation: []\n"), [
      'rotations.yaml:1:1: unknown key "rotation" (expected "rotations")',
      'rotations.yaml:1:1: "rotations" must be a list of entries (write "rotations: []" for none)',
    ]);
    assert.deepEqual(problems("- a\n"), [
      'rotations.yaml:1:1: expected a mapping with a "rotations" list',
    ]);
    assert.deepEqual(parseRotations("rotations: []\n"), []);
  });

  it("refuses one device in two entries: it would rotate for each", function () {
    const id = "0b7c5a2e-1111-4a2b-9c3d-000000000001";
    const text = `rotations:\n  - {name: a, token: t, devices: [${id}]}\n  - {name: b, token: t, devices: [${id}]}\n`;
    assert.deepEqual(problems(text), [
      `rotations.yaml:3:35: rotations[1] (b): devices[0]: ${id} is also listed in rotations[0] (a): one device, one entry (it would rotate for each)`,
    ]);
  });
});
