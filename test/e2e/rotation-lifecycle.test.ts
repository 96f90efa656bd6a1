// The life of BitLockerKeyRotation resources under the real `pulumi` CLI, against the
// simulated tenant: every step asserts on the exported stack state AND on what reached Graph.
//
// One project and stack for the whole file; the `it`s run in order and build on each other:
//   1. up, token A on 5 devices            → 5 rotations, each recorded with Graph's request-id
//   2. up again, unchanged                 → 0 rotations; preview --expect-no-changes passes
//   3. token B for dev-2 and dev-4         → preview lists exactly those; up rotates only them
//   4. reason / waitFor changed            → updates, 0 Graph calls
//   5. upgrade of the package (a copy with another version and changed code) → 0 rotations, no update
//   6. refresh                             → 0 writes; after a check-in, done / failed (HRESULT text)
//   7. dev-5 removed from the program      → deleted with 0 Graph writes
//   8. dev-3 pointed at another device     → the new device rotates once, the old one is forgotten
//   9. rotateOnCreate: false               → adopted with 0 rotations; its next token rotates once
//  10. destroy                             → 0 Graph writes, nothing left in state
//  11. the client secret (env) appears in no CLI output and not in `stack export --show-secrets`
// Credentials reach the provider through the environment of the `pulumi` process.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ERROR_CODES, type SimulatedTenant } from "../../simulator/index";
import { changes, type CommandResult, type PulumiProject, urnName } from "./harness";
import {
  type DeviceSpec,
  assertNotPrinted,
  closeStack,
  deviceSpecs,
  graphWrites,
  installPackageCopy,
  outs,
  rotations,
  rotationsByDevice,
  setDevices,
  singleDeviceProject,
  singles,
  startE2eTenant,
  text,
  windowsDevice,
} from "./support";

describe("e2e: BitLockerKeyRotation lifecycle (pulumi CLI)", function () {
  this.timeout(5 * 60_000);
  let tenant: SimulatedTenant;
  let project: PulumiProject;
  /** Every command's result, scanned for the client secret at the end. */
  const seen: CommandResult[] = [];
  /** The program's devices, changed step by step. */
  let specs: DeviceSpec[];
  const ids: Record<string, string> = {};

  const spec = (name: string) => specs.find((s) => s.name === name)!;
  const run = async (r: Promise<CommandResult>) => {
    const result = await r;
    seen.push(result);
    return result;
  };
  const up = () => run(project.up());
  const expectNoChanges = async () => {
    const { result, json } = await project.preview({ args: ["--expect-no-changes"] });
    seen.push(result);
    assert.deepEqual(changes(json), [], "preview reports no changes");
  };

  before(async function () {
    tenant = await startE2eTenant();
    for (const n of [1, 2, 3, 4]) ids[`dev-${n}`] = windowsDevice(tenant).id;
    // Reports failure at its check-in: BitLocker is not enabled on the drive.
    ids["dev-5"] = windowsDevice(tenant, {
      outcome: { state: "failed", errorCode: ERROR_CODES.notEncrypted },
    }).id;
    specs = deviceSpecs(ids, "A");
    project = await singleDeviceProject(tenant, "lifecycle", specs);
  });

  after(() => closeStack(project, tenant));

  beforeEach(() => tenant.log.clear());

  it("1. up rotates each of the 5 devices once, recording token and request-id", async function () {
    await up();
    assert.equal(rotations(tenant), 5, "exactly 5 rotation requests accepted");
    const byDevice = rotationsByDevice(tenant);
    const state = singles(await project.exportStack());
    assert.deepEqual([...state.keys()].sort(), Object.keys(ids).sort());
    for (const [name, id] of Object.entries(ids)) {
      const posts = byDevice.get(id) ?? [];
      assert.equal(posts.length, 1, `${name} rotated once`);
      const o = outs(state.get(name));
      assert.equal(state.get(name)!.id, id);
      assert.equal(o.status, "requested");
      assert.equal(o.rotationToken, "A");
      assert.equal(o.rotationCount, 1);
      assert.equal(o.requestId, posts[0]!.requestId, `${name}: Graph's request-id is recorded`);
    }
  });

  it("2. up again unchanged sends nothing, and preview --expect-no-changes passes", async function () {
    const before = singles(await project.exportStack());
    await up();
    assert.equal(rotations(tenant), 0);
    assert.deepEqual(graphWrites(tenant), []);
    await expectNoChanges();
    const after = singles(await project.exportStack());
    for (const name of Object.keys(ids)) {
      assert.deepEqual(outs(after.get(name)), outs(before.get(name)), `${name} unchanged`);
    }
  });

  it("3. a new token for dev-2 and dev-4: preview lists exactly those, up rotates only them", async function () {
    spec("dev-2").rotationToken = "B";
    spec("dev-4").rotationToken = "B";
    await setDevices(project, specs);
    const { result, json } = await project.preview();
    seen.push(result);
    assert.deepEqual(
      changes(json)
        .map((s) => `${s.op} ${urnName(s.urn)}`)
        .sort(),
      ["update dev-2", "update dev-4"],
    );
    assert.equal(rotations(tenant), 0, "preview sends nothing");

    await up();
    const byDevice = rotationsByDevice(tenant);
    assert.equal(rotations(tenant), 2);
    assert.deepEqual([...byDevice.keys()].sort(), [ids["dev-2"], ids["dev-4"]].sort());
    const state = singles(await project.exportStack());
    for (const name of ["dev-2", "dev-4"]) {
      const o = outs(state.get(name));
      assert.deepEqual([o.rotationToken, o.rotationCount, o.status], ["B", 2, "requested"]);
      assert.equal(o.requestId, byDevice.get(ids[name]!)![0]!.requestId);
    }
    for (const name of ["dev-1", "dev-3", "dev-5"]) {
      assert.deepEqual(
        [outs(state.get(name)).rotationToken, outs(state.get(name)).rotationCount],
        ["A", 1],
      );
    }
  });

  it("4. a new reason / waitFor updates the resources without any Graph call", async function () {
    const before = singles(await project.exportStack());
    for (const s of specs) s.reason = "INC-42: audit trail";
    Object.assign(spec("dev-1"), { waitFor: "applied", waitTimeoutSeconds: 5 });
    await setDevices(project, specs);
    const { result, json } = await project.preview();
    seen.push(result);
    assert.deepEqual(
      changes(json)
        .map((s) => s.op)
        .filter((op) => op !== "update"),
      [],
      "only updates",
    );
    await up();
    assert.equal(rotations(tenant), 0);
    assert.equal(tenant.log.count(), 0, "no Graph request at all");
    const state = singles(await project.exportStack());
    for (const name of Object.keys(ids)) {
      const o = outs(state.get(name));
      const old = outs(before.get(name));
      assert.equal(o.reason, "INC-42: audit trail");
      assert.deepEqual(
        [o.rotationToken, o.rotationCount, o.requestId, o.requestedAt],
        [old.rotationToken, old.rotationCount, old.requestId, old.requestedAt],
        `${name}: nothing rotated`,
      );
    }
    assert.deepEqual(
      [outs(state.get("dev-1")).waitFor, outs(state.get("dev-1")).waitTimeoutSeconds],
      ["applied", 5],
    );
  });

  it("5. an upgrade of the package (new version, changed code) rotates and updates nothing", async function () {
    const before = await project.exportStack();
    const marker = path.join(project.dir, "upgrade-marker.log");
    // `npm install pulumi-intune-bitlocker@0.2.0-e2e`: a copy with another version and code
    // that records that it ran. Both the program and the dynamic-provider host load it.
    installPackageCopy(project, "0.2.0-e2e", (dir) => {
      const note = (who: string) =>
        `\n;require("node:fs").appendFileSync(${JSON.stringify(marker)}, ${JSON.stringify(who + "\n")});\n`;
      fs.appendFileSync(path.join(dir, "dist", "index.js"), note("program 0.2.0-e2e"));
      fs.appendFileSync(
        path.join(dir, "dist", "engine", "singleDeviceEntry.js"),
        note("engine 0.2.0-e2e"),
      );
    });
    await expectNoChanges();
    const result = await up();
    assert.equal(rotations(tenant), 0);
    assert.deepEqual(graphWrites(tenant), []);
    assert.doesNotMatch(
      text(result),
      /\bupdated\b|\bcreated\b|\breplaced\b/,
      "no resource changed",
    );
    const loaded = fs.readFileSync(marker, "utf8");
    assert.match(loaded, /program 0\.2\.0-e2e/, "the program loaded the upgraded package");
    assert.match(loaded, /engine 0\.2\.0-e2e/, "the provider host loaded the upgraded engine");

    const after = await project.exportStack();
    const [b, a] = [singles(before), singles(after)];
    for (const name of Object.keys(ids)) {
      const [ob, oa] = [b.get(name)!, a.get(name)!];
      assert.deepEqual(oa.outputs, ob.outputs, `${name}: outputs unchanged`);
      assert.equal(oa.modified, ob.modified, `${name}: not modified`);
      const provider = String(oa.outputs?.__provider);
      assert.match(provider, /require\("pulumi-intune-bitlocker\/engine\/single-device"\)/);
      assert.ok(provider.length < 600, `compact serialized provider (${provider.length} bytes)`);
    }
  });

  it("6. refresh writes nothing; after a check-in it records done, and failed with the HRESULT text", async function () {
    await run(project.refresh());
    assert.deepEqual(graphWrites(tenant), []);
    const agents = new Set(
      tenant.log.entries({ pathMatches: /^\/beta\// }).map((e) => e.userAgent),
    );
    assert.ok(agents.size > 0, "refresh read the devices");
    assert.ok(
      [...agents].every((ua) => ua?.startsWith("pulumi-intune-bitlocker/0.2.0-e2e ")),
      `refresh ran the upgraded engine: ${[...agents].join(", ")}`,
    );
    let state = singles(await project.exportStack());
    for (const name of Object.keys(ids)) {
      assert.match(String(outs(state.get(name)).status), /^(requested|pending)$/, name);
    }

    assert.equal(tenant.checkIn(), 5, "every device had a rotation pending");
    tenant.log.clear();
    await run(project.refresh());
    assert.deepEqual(graphWrites(tenant), []);
    state = singles(await project.exportStack());
    for (const name of ["dev-1", "dev-2", "dev-3", "dev-4"]) {
      assert.equal(outs(state.get(name)).status, "done", name);
    }
    const failed = outs(state.get("dev-5"));
    assert.equal(failed.status, "failed");
    assert.equal(failed.errorCode, ERROR_CODES.notEncrypted);
    assert.equal(failed.errorText, "0x80310008 BitLocker is not enabled on the drive");
    assert.match(String(failed.hint), /Enable BitLocker/);
    assert.deepEqual(
      [failed.rotationToken, failed.rotationCount],
      ["A", 1],
      "refresh keeps the token",
    );
    // What refresh learnt is not a change to apply.
    await expectNoChanges();
    assert.equal(rotations(tenant), 0);
  });

  it("7. a device removed from the program is deleted with no Graph write", async function () {
    specs = specs.filter((s) => s.name !== "dev-5");
    await setDevices(project, specs);
    const { result, json } = await project.preview();
    seen.push(result);
    assert.deepEqual(
      changes(json).map((s) => `${s.op} ${urnName(s.urn)}`),
      ["delete dev-5"],
    );
    await up();
    assert.deepEqual(graphWrites(tenant), [], "no POST to Graph");
    const state = singles(await project.exportStack());
    assert.equal(state.has("dev-5"), false);
    assert.equal(state.size, 4);
  });

  it("8. a replaced device id rotates the new device once and forgets the old one", async function () {
    const oldId = ids["dev-3"]!;
    const newId = windowsDevice(tenant).id;
    spec("dev-3").managedDeviceId = newId;
    await setDevices(project, specs);
    const { result, json } = await project.preview();
    seen.push(result);
    const steps = changes(json);
    assert.deepEqual([...new Set(steps.map((s) => urnName(s.urn)))], ["dev-3"]);
    assert.ok(
      steps.some((s) => s.op === "replace" || s.op === "create-replacement"),
      `a replacement: ${steps.map((s) => s.op).join(", ")}`,
    );
    await up();
    const byDevice = rotationsByDevice(tenant);
    assert.equal(rotations(tenant), 1);
    assert.equal(byDevice.get(newId)?.length, 1, "the new device rotated once");
    assert.equal(byDevice.has(oldId), false, "nothing sent to the old device");
    const exported = await project.exportStack();
    const o = outs(singles(exported).get("dev-3"));
    assert.equal(singles(exported).get("dev-3")!.id, newId);
    assert.deepEqual([o.managedDeviceId, o.rotationCount, o.status], [newId, 1, "requested"]);
    assert.ok(!JSON.stringify(exported).includes(oldId), "the old device is forgotten");
    ids["dev-3"] = newId;
  });

  it("9. rotateOnCreate: false adopts with no rotation; the next token rotates once", async function () {
    const id = windowsDevice(tenant).id;
    specs.push({ name: "adopted", managedDeviceId: id, rotationToken: "A", rotateOnCreate: false });
    await setDevices(project, specs);
    await up();
    assert.equal(rotations(tenant), 0);
    assert.deepEqual(graphWrites(tenant), []);
    let o = outs(singles(await project.exportStack()).get("adopted"));
    assert.deepEqual(
      [o.status, o.adopted, o.rotationCount, o.rotationToken],
      ["adopted", true, 0, "A"],
    );
    assert.equal(o.requestId, undefined);

    spec("adopted").rotationToken = "B";
    await setDevices(project, specs);
    await up();
    assert.equal(rotations(tenant), 1);
    assert.equal(rotationsByDevice(tenant).get(id)?.length, 1);
    o = outs(singles(await project.exportStack()).get("adopted"));
    assert.deepEqual([o.status, o.rotationCount, o.rotationToken], ["requested", 1, "B"]);
  });

  it("10. destroy sends no Graph write and leaves nothing in state", async function () {
    const shown = JSON.stringify(await project.exportStack({ showSecrets: true }));
    assert.ok(!shown.includes(tenant.defaultApp.clientSecret), "no client secret in state");
    await run(project.destroy());
    assert.deepEqual(graphWrites(tenant), []);
    assert.equal(rotations(tenant), 0);
    assert.deepEqual(await project.resources(), []);
  });

  it("11. the client secret appears in no output of up, preview, refresh or destroy", function () {
    assert.ok(seen.length >= 15, `${seen.length} commands recorded`);
    assertNotPrinted(seen, [tenant.defaultApp.clientSecret], "secret");
  });
});
