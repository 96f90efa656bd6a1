// The pull-request comment from a real `pulumi preview --json` (the real CLI against the
// simulated tenant) fed to the package's bin, `bitlocker-report preview`, as the shipped
// pipelines do: the devices it says would rotate are exactly those the following `pulumi up`
// rotates (the tenant's log), and a guard refusal reaches the comment with how to allow it.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { SimulatedTenant } from "../../simulator/index";
import { PulumiProject, REPO_DIR } from "./harness";
import {
  FLEET_PROGRAM,
  rotationsByDevice,
  startE2eTenant,
  tenantEnv,
  windowsDevice,
} from "./support";

const BIN = path.join(REPO_DIR, "provider", "dist", "report", "cli.js");
const GUID_LINE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/gm;

/** `pulumi preview --json > preview.json`, then the bin on that file, as the pipelines run them. */
async function comment(project: PulumiProject, ok = true): Promise<{ md: string; text: string }> {
  const { result } = await project.preview({ allowFailure: !ok });
  assert.equal(result.code === 0, ok, `preview exit ${result.code}:\n${result.stderr}`);
  const file = path.join(project.dir, "preview.json");
  fs.writeFileSync(file, result.stdout);
  const run = (format: string) =>
    execFileSync(process.execPath, [BIN, "preview", file, "--format", format], {
      encoding: "utf8",
    });
  return { md: run("markdown"), text: run("text") };
}

/** The ids of one <details> list of the comment, by the start of its summary. */
function listed(md: string, summary: RegExp): string[] {
  const at = md.search(summary);
  if (at < 0) return [];
  const body = md.slice(at, md.indexOf("</details>", at));
  return body.match(GUID_LINE) ?? [];
}

describe("e2e: the pull-request comment from pulumi preview --json (pulumi CLI → bitlocker-report preview)", function () {
  this.timeout(5 * 60_000);
  let tenant: SimulatedTenant;
  let project: PulumiProject;
  let ids: string[];
  const setFleet = (args: object) => project.configSet("e2e:fleet", JSON.stringify(args));

  before(async function () {
    tenant = await startE2eTenant({ timeScale: 0.1 });
    ids = Array.from({ length: 8 }, () => windowsDevice(tenant).id);
    project = await PulumiProject.create({
      name: "prcomment",
      program: FLEET_PROGRAM,
      env: {
        ...tenantEnv(tenant),
        BITLOCKER_THROTTLE_WINDOW_SECONDS: "2",
        BITLOCKER_MAX_ROTATIONS_PER_UPDATE: "6",
      },
    });
  });

  after(async function () {
    await project?.dispose();
    await tenant?.close();
  });

  it("a new fleet of 6: the comment's rotate list is what up rotates, device by device", async function () {
    await setFleet({ managedDeviceIds: ids.slice(0, 6), rotationToken: "A" });
    const { md, text } = await comment(project);
    assert.match(md, /^<!-- bitlocker-preview:e2e -->\n/);
    assert.match(md, /\*\*6 device\(s\) would rotate\*\*/);
    assert.match(md, /\| fleet `fleet` \| create \| 6 \| 0 \| 0 \| 0 \| 0 \| 0 \|/);
    assert.match(md, /```text\n\[bitlocker\] fleet fleet: new fleet of 6: rotate 6/);
    const announced = listed(md, /<details><summary>6 device\(s\) would rotate/);
    assert.equal((text.match(/^ {2}rotate /gm) ?? []).length, 6, "the job log lists them all");
    tenant.log.clear();
    await project.up();
    assert.deepEqual([...rotationsByDevice(tenant).keys()].sort(), announced.slice().sort());
  });

  it("2 added, 1 removed, rotateOnCreate: false: adopted and forgotten as announced, 0 rotations", async function () {
    await setFleet({
      managedDeviceIds: [...ids.slice(1, 8)],
      rotationToken: "A",
      rotateOnCreate: false,
    });
    const { md } = await comment(project);
    assert.match(md, /\| fleet `fleet` \| update \| 0 \| 0 \| 0 \| 2 \| 1 \| 5 \|/);
    assert.deepEqual(
      listed(md, /<details><summary>2 device\(s\) would be adopted/).sort(),
      ids.slice(6, 8).sort(),
    );
    assert.deepEqual(listed(md, /<details><summary>1 device\(s\) would be forgotten/), [ids[0]]);
    tenant.log.clear();
    await project.up();
    assert.equal(rotationsByDevice(tenant).size, 0);
  });

  it("a token change for 7 above the limit of 6: the comment shows the refusal; up then sends nothing", async function () {
    await setFleet({ managedDeviceIds: [...ids.slice(1, 8)], rotationToken: "B" });
    const { md } = await comment(project, false);
    assert.match(md, /\*\*The preview failed: `pulumi up` would stop with the same error\.\*\*/);
    assert.match(md, /\| fleet `fleet` \| refused ❌ \|/);
    assert.match(md, /> ❌ fleet fleet: this change would rotate 7 device\(s\)/);
    assert.match(md, /pulumi config set bitlocker:maxRotationsPerUpdate 7/);
    assert.match(md, /\[bitlocker\] refused: fleet fleet would rotate 7 device\(s\)/);
    assert.doesNotMatch(md, /at Object\.diff|Other output of the provider/);
    tenant.log.clear();
    const up = await project.up({ allowFailure: true });
    assert.notEqual(up.code, 0);
    assert.equal(rotationsByDevice(tenant).size, 0);
  });

  it("a macOS device added: the preview reads it, its JSON line moves it to Skip; up sends nothing", async function () {
    const mac = windowsDevice(tenant, { operatingSystem: "macOS", deviceName: "MAC-1" }).id;
    await setFleet({ managedDeviceIds: [...ids.slice(1, 8), mac], rotationToken: "A" });
    const { md, text } = await comment(project);
    assert.match(md, /\| fleet `fleet` \| update \| 0 \| 0 \| 1 \| 0 \| 0 \| 7 \|/);
    assert.ok(md.includes(mac), "the skipped device is listed");
    assert.doesNotMatch(md + text, /preview-json/, "the machine line is not shown");
    tenant.log.clear();
    await project.up();
    assert.equal(rotationsByDevice(tenant).size, 0);
  });
});
