// The fleet engine's preview reads (check for a create, diff for an update) against the
// simulated tenant: reads only when a device would rotate, only those devices, in paced
// $batches of GETs, never a write; the lines name each skip by reason.
import assert from "node:assert/strict";
import * as engine from "../../provider/engine/fleetEntry";
import { checkFleet } from "../../provider/plan/fleet/inputs";
import type { SimulatedTenant } from "../../simulator/index";
import { clearCredentialCache } from "../../provider/auth/credential";
import {
  addEligibleDevice,
  configureEngine,
  engineConfig,
  ROTATE,
  useEngineTenant,
} from "../support/tenant";

type Props = Record<string, unknown>;

describe("integration: a fleet's preview reads", function () {
  let tenant: SimulatedTenant;
  useEngineTenant({ timeScale: 0.1 }, (t) => (tenant = t));
  before(() => (process.env.BITLOCKER_THROTTLE_WINDOW_SECONDS = "2"));
  after(() => delete process.env.BITLOCKER_THROTTLE_WINDOW_SECONDS);

  /** What the engine logged while `fn` ran. */
  async function logged<T>(fn: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      return { value: await fn(), lines };
    } finally {
      process.stderr.write = write;
    }
  }
  const writes = () =>
    tenant.log.entries().filter((e) => e.method !== "GET" && !/\$batch$|\/token$/.test(e.path));

  it("a create: reads each device once in $batches of GETs, names skips by reason, writes nothing", async () => {
    const ok = Array.from({ length: 25 }, () => addEligibleDevice(tenant).id);
    const mac = addEligibleDevice(tenant, { operatingSystem: "macOS", deviceName: "MAC-INT" }).id;
    const gone = "0b7c5a2e-dead-4a2b-9c3d-00000000a404";
    const news = { managedDeviceIds: [...ok, mac, gone], rotationToken: "A" };
    const { value, lines } = await logged(() => engine.check({}, news));
    assert.deepEqual(value.failures, []);
    const gets = tenant.log.entries({ method: "GET", inBatch: true });
    assert.equal(gets.length, 27, "each device read once");
    assert.equal(tenant.log.count({ method: "POST", pathMatches: /\$batch$/, inBatch: false }), 2);
    assert.deepEqual(writes(), []);
    assert.equal(tenant.log.count({ pathMatches: ROTATE }), 0);
    const line = lines.find((l) => l.includes("new fleet of 27"))!;
    assert.match(line, /rotate 25: /);
    assert.match(line, /; skip 2 \(/);
    assert.ok(line.includes(`notWindows 1: ${mac} (MAC-INT)`), line);
    assert.ok(line.includes(`notFound 1: ${gone}`), line);
    const detail = lines.filter((l) => l.includes("rotate, all 25 [1-25]"));
    assert.equal(detail.length, 1, "the 25 are listed in full on a detail line");
    for (const id of ok) assert.ok(detail[0]!.includes(id));
  });

  it("an update: a no-op reads nothing; a change reads only the devices it would rotate", async () => {
    const ids = Array.from({ length: 30 }, () => addEligibleDevice(tenant).id);
    const created = await engine.create(
      checkFleet({ managedDeviceIds: ids, rotationToken: "A" }).inputs as Props,
    );
    const olds = created.outs as unknown as Props;
    // A fresh engine (as a new `pulumi preview` process): a read would first need a token.
    clearCredentialCache();
    configureEngine(engineConfig(tenant));
    tenant.log.clear();
    const same = { managedDeviceIds: ids, rotationToken: "A", reason: "a setting only" };
    await engine.diff(created.id, olds, checkFleet(same).inputs as Props);
    assert.equal(tenant.log.count(), 0, "no request at all, not even for a token");

    const edited = { managedDeviceIds: ids, rotationToken: "A", deviceTokens: { [ids[3]!]: "X" } };
    const { lines } = await logged(() =>
      engine.diff(created.id, olds, checkFleet(edited).inputs as Props),
    );
    const read = tenant.log.entries({ method: "GET", inBatch: true }).map((e) => e.path);
    assert.equal(read.length, 1);
    assert.ok(read[0]!.includes(ids[3]!), "only the edited device");
    assert.deepEqual(writes(), []);
    assert.ok(lines.some((l) => /fleet .*: rotate 1: /.test(l) && l.includes(ids[3]!)));
  });
});
