import assert from "node:assert/strict";
import { checkFleet, fleetInputsOf, type FleetInputs } from "../../provider/plan/fleet/inputs";
import {
  deviceLines,
  isPackedDevices,
  packDevices,
  packIds,
} from "../../provider/plan/fleet/packed";
import {
  countStatuses,
  diffFleet,
  planFleet,
  recordsOnGraphClock,
  stateAfterRun,
  type FleetState,
} from "../../provider/plan/fleet/plan";
import {
  formatRecord,
  parseRecord,
  tokenHash,
  type DeviceRecord,
} from "../../provider/plan/fleet/record";
import { UNKNOWN } from "../../provider/plan/inputs";

const id = (n: number) => `0b7c5a2e-1111-4a2b-9c3d-${String(n).padStart(12, "0")}`;
const AT = "2026-11-27T10:00:00Z";

function fleet(overrides: Record<string, unknown> = {}): FleetInputs {
  const { inputs, failures } = checkFleet({
    managedDeviceIds: [id(1), id(2), id(3)],
    rotationToken: "A",
    ...overrides,
  });
  assert.deepEqual(failures, []);
  return fleetInputsOf(inputs);
}

/** A device's record line in a state of either form. */
const lineOf = (s: Partial<FleetState>, d: string) => deviceLines(s.devices).get(d);

/** The state with some record lines replaced (kept in the state's own form). */
function withLines(s: FleetState, lines: Record<string, string>): FleetState {
  const all = new Map([...deviceLines(s.devices), ...Object.entries(lines)]);
  return {
    ...s,
    devices: isPackedDevices(s.devices) ? packDevices(all) : Object.fromEntries(all),
  };
}

/** The state as versions 1 and 2 wrote it: `devices` maps id → line. */
function mapForm(s: FleetState, stateVersion: 1 | 2): FleetState {
  return { ...s, stateVersion, devices: Object.fromEntries(deviceLines(s.devices)) };
}

/** State after every device in `news` was requested for its token. */
function settled(news: FleetInputs): FleetState {
  const plan = planFleet(undefined, news);
  const results = new Map<string, DeviceRecord>(
    plan.rotate.map((d) => [
      d,
      {
        status: "requested",
        at: AT,
        token: tokenHash(news.deviceTokens?.[d] ?? news.rotationToken),
      },
    ]),
  );
  return stateAfterRun(undefined, news, plan, results, AT, formatRecord);
}

/** Sets one device's record line in a state of any form (written back packed). */
function setRecord(state: { devices: Record<string, string> }, deviceId: string, line: string) {
  const lines = deviceLines(state.devices);
  lines.set(deviceId, line);
  state.devices = packDevices(lines);
}

describe("plan: fleet records", () => {
  it("round-trips a record and keeps it short", () => {
    const r: DeviceRecord = {
      status: "failed",
      at: "2026-11-27T10:00:00.123Z",
      token: tokenHash("A"),
      detail: "0x80310008",
    };
    const line = formatRecord(r);
    assert.equal(line, `failed 2026-11-27T10:00:00Z ${tokenHash("A")} 0x80310008`);
    assert.deepEqual(parseRecord(line), { ...r, at: "2026-11-27T10:00:00Z" });
    assert.ok(line.length < 64);
  });
  it("hashes tokens stably and distinctly", () => {
    assert.equal(tokenHash("2026-Q4"), tokenHash("2026-Q4"));
    assert.notEqual(tokenHash("A"), tokenHash("B"));
    assert.match(tokenHash("A"), /^[0-9a-f]{12}$/);
  });
});

describe("plan: fleet check", () => {
  it("de-duplicates, lower-cases and sorts device ids", () => {
    const f = fleet({ managedDeviceIds: [id(3), id(1).toUpperCase(), id(1)] });
    assert.deepEqual(f.managedDeviceIds, [id(1), id(3)]);
  });
  it("takes the ids packed (as the program sends them) or as a list, and keeps them packed", () => {
    const packed = checkFleet({ managedDeviceIds: packIds([id(3), id(1)]), rotationToken: "A" });
    const list = checkFleet({ managedDeviceIds: [id(3), id(1).toUpperCase()], rotationToken: "A" });
    assert.equal(packed.inputs.managedDeviceIds, `${id(1)}\n${id(3)}`);
    assert.deepEqual(list.inputs, packed.inputs);
    assert.deepEqual(fleetInputsOf(packed.inputs).managedDeviceIds, [id(1), id(3)]);
    const bad = checkFleet({ managedDeviceIds: `${id(1)}\nnot-an-id`, rotationToken: "A" });
    assert.match(bad.failures[0]!.reason, /"not-an-id"/);
    const unknown = checkFleet({ managedDeviceIds: UNKNOWN, rotationToken: "A" });
    assert.equal(fleetInputsOf(unknown.inputs).managedDeviceIds, UNKNOWN);
  });
  it("fails non-GUID ids and bad per-device tokens, naming them", () => {
    const r = checkFleet({
      managedDeviceIds: [id(1), "../etc"],
      rotationToken: "A",
      deviceTokens: { [id(1)]: "" },
    });
    assert.deepEqual(
      r.failures.map((f) => f.property),
      ["managedDeviceIds", "deviceTokens"],
    );
    assert.match(r.failures[0]!.reason, /"\.\.\/etc"/);
  });
});

describe("plan: fleet plan", () => {
  it("rotates every device on creation, or adopts them all with rotateOnCreate false", () => {
    assert.deepEqual(planFleet(undefined, fleet()).rotate, [id(1), id(2), id(3)]);
    const adopt = planFleet(undefined, fleet({ rotateOnCreate: false }));
    assert.deepEqual([adopt.rotate, adopt.adopt.length], [[], 3]);
  });
  it("rotates nothing when nothing changed", () => {
    const news = fleet();
    const plan = planFleet(settled(news), news);
    assert.deepEqual([plan.rotate, plan.unchanged.length], [[], 3]);
    assert.equal(diffFleet(settled(news), news).changes, false);
  });
  it("rotates only an added device and forgets a removed one", () => {
    const olds = settled(fleet());
    const plan = planFleet(olds, fleet({ managedDeviceIds: [id(2), id(3), id(4)] }));
    assert.deepEqual(
      [plan.rotate, plan.forget, plan.unchanged],
      [[id(4)], [id(1)], [id(2), id(3)]],
    );
  });
  it("rotates exactly the devices whose own token changed", () => {
    const olds = settled(fleet());
    const plan = planFleet(olds, fleet({ deviceTokens: { [id(2)]: "incident-42" } }));
    assert.deepEqual(plan.rotate, [id(2)]);
  });
  it("re-rotates every device for a new fleet token, except overridden ones already at theirs", () => {
    const olds = settled(fleet({ deviceTokens: { [id(2)]: "X" } }));
    const plan = planFleet(olds, fleet({ rotationToken: "B", deviceTokens: { [id(2)]: "X" } }));
    assert.deepEqual(plan.rotate, [id(1), id(3)]);
  });
  it("retries errors, keeps skips settled for their token, and settles lost answers first", () => {
    const news = fleet();
    const olds = withLines(settled(news), {
      [id(1)]: formatRecord({ status: "error", at: AT, token: "-", detail: "Forbidden" }),
      [id(2)]: formatRecord({
        status: "skipped",
        at: AT,
        token: tokenHash("A"),
        detail: "osTooOld",
      }),
      [id(3)]: formatRecord({ status: "unverified", at: AT, token: tokenHash("A"), detail: "-" }),
    });
    const plan = planFleet(olds, news);
    assert.deepEqual([plan.rotate, plan.unchanged, plan.settle], [[id(1)], [id(2)], [id(3)]]);
    // A new token re-evaluates the skipped device.
    assert.ok(planFleet(olds, fleet({ rotationToken: "B" })).rotate.includes(id(2)));
  });
  it("settles a lost answer only for the token it was sent for: an old token's is rotated for the new one", () => {
    // Rule: a lost answer proves nothing about a token it was not sent for. Settling it would
    // record the new token as requested without ever sending it.
    const olds = settled(fleet());
    setRecord(
      olds,
      id(1),
      formatRecord({ status: "unverified", at: AT, token: tokenHash("A"), detail: "-" }),
    );
    const plan = planFleet(olds, fleet({ rotationToken: "B" }));
    assert.deepEqual([plan.settle, plan.rotate], [[], [id(1), id(2), id(3)]]);
  });
  it("counts every kind of work as a change: a lone settle, adopt or forget is an update", () => {
    // Rule: diff says "no changes" only when the run would do nothing at all.
    const news = fleet();
    const lost = settled(news);
    setRecord(lost, id(1), formatRecord({ status: "unverified", at: AT, token: tokenHash("A") }));
    assert.deepEqual(diffFleet(lost, news).plan?.settle, [id(1)]);
    assert.equal(diffFleet(lost, news).changes, true);
    const removed = fleet({ managedDeviceIds: [id(1), id(2)] });
    assert.equal(diffFleet(settled(news), removed).changes, true);
    const added = fleet({ rotateOnCreate: false, managedDeviceIds: [id(1), id(2), id(3), id(4)] });
    const adopting = { ...settled(news), rotateOnCreate: false };
    assert.deepEqual(diffFleet(adopting, added).plan?.adopt, [id(4)]);
    assert.equal(diffFleet(adopting, added).changes, true);
  });
  it("reports a settings-only change as an update that rotates nothing", () => {
    const news = fleet();
    const d = diffFleet(settled(news), fleet({ waitFor: "applied" }));
    assert.equal(d.changes, true);
    assert.deepEqual(d.plan?.rotate, []);
  });
  it("cannot plan with unknown ids at preview, and says it may change", () => {
    const d = diffFleet(settled(fleet()), {
      ...fleet(),
      managedDeviceIds: UNKNOWN as unknown as string[],
    });
    assert.deepEqual(d, { changes: true });
  });
});

describe("plan: fleet state after a run", () => {
  it("keeps old records for devices the run did not reach, and counts statuses", () => {
    const news = fleet();
    const olds = settled(fleet({ rotationToken: "old" }));
    const plan = planFleet(olds, news);
    const results = new Map<string, DeviceRecord>([
      [id(1), { status: "requested", at: AT, token: tokenHash("A") }],
    ]);
    const s = stateAfterRun(olds, news, plan, results, AT, formatRecord);
    assert.equal(parseRecord(lineOf(s, id(1))!)!.token, tokenHash("A"));
    assert.equal(parseRecord(lineOf(s, id(2))!)!.token, tokenHash("old"));
    assert.equal(s.lastRun?.rotated, 1);
    assert.equal(s.counts.requested, 3);
    // The unreached devices still differ from their token: the next run finishes them.
    assert.deepEqual(planFleet(s, news).rotate, [id(2), id(3)]);
  });

  it("sums the run by kind: sent, adopted, skipped, errors (lost answers too), unchanged, forgotten", () => {
    // Rule: lastRun counts what this run produced, each record once, under its own kind.
    const news = fleet({ managedDeviceIds: [1, 2, 3, 4, 5, 6, 7, 8].map(id) });
    const olds = settled(fleet({ managedDeviceIds: [1, 2, 3, 4, 5, 6, 7, 8, 9].map(id) }));
    setRecord(olds, id(8), formatRecord({ status: "error", at: AT, token: "-", detail: "x" }));
    const plan = planFleet(olds, news);
    const r = (status: DeviceRecord["status"]): DeviceRecord => ({ status, at: AT, token: "t" });
    const results = new Map<string, DeviceRecord>([
      [id(1), r("requested")],
      [id(2), r("failed")],
      [id(3), r("adopted")],
      [id(4), r("skipped")],
      [id(5), r("error")],
      [id(6), r("unverified")],
      [id(8), r("missing")],
    ]);
    const s = stateAfterRun(olds, news, plan, results, AT, formatRecord);
    assert.deepEqual(s.lastRun, {
      at: AT,
      rotated: 2,
      adopted: 1,
      skipped: 1,
      errors: 2,
      unchanged: 7,
      forgotten: 1,
    });
    assert.deepEqual(s.counts, {
      requested: 2,
      failed: 1,
      adopted: 1,
      skipped: 1,
      error: 1,
      unverified: 1,
      missing: 1,
    });
  });

  it("stores the id list once: in the inputs, not echoed in the outputs", () => {
    const news = fleet();
    const s = settled(news);
    assert.equal("managedDeviceIds" in s, false);
    assert.deepEqual([...deviceLines(s.devices).keys()].sort(), news.managedDeviceIds);
    // The next run plans from the records alone.
    assert.deepEqual(planFleet(s, news).unchanged, news.managedDeviceIds);
    assert.equal(diffFleet(s, news).changes, false);
  });

  describe("whose clock the record times are on (stateVersion)", () => {
    const oneRotated = (news: FleetInputs) =>
      new Map<string, DeviceRecord>([
        [id(1), { status: "requested", at: AT, token: tokenHash(news.rotationToken) }],
      ]);
    it("a new fleet's records are on Graph's clock: version 3, no localTimes", () => {
      const s = settled(fleet());
      assert.deepEqual(
        [s.stateVersion, s.localTimes, recordsOnGraphClock(s)],
        [3, undefined, true],
      );
      assert.equal(recordsOnGraphClock(mapForm(s, 2)), true);
      assert.equal(recordsOnGraphClock(mapForm(s, 1)), false);
    });
    it("stays local (localTimes) while a record written before the rule (version 1) is kept", () => {
      const news = fleet();
      const olds = mapForm(settled(fleet({ rotationToken: "old" })), 1);
      const plan = planFleet(olds, news);
      const s = stateAfterRun(olds, news, plan, oneRotated(news), AT, formatRecord);
      assert.deepEqual([s.stateVersion, s.localTimes], [3, true]);
      assert.equal(recordsOnGraphClock(s), false);
      // …and stays so through the next run that keeps such a record.
      const again = stateAfterRun(s, news, planFleet(s, news), new Map(), AT, formatRecord);
      assert.equal(recordsOnGraphClock(again), false);
    });
    it("is on Graph's clock once a run rewrote every record of a version-1 state", () => {
      const news = fleet({ managedDeviceIds: [id(1)] });
      const olds = mapForm(settled(fleet({ rotationToken: "old" })), 1);
      const s = stateAfterRun(
        olds,
        news,
        planFleet(olds, news),
        oneRotated(news),
        AT,
        formatRecord,
      );
      assert.deepEqual([s.stateVersion, recordsOnGraphClock(s)], [3, true]);
    });
    it("is local when an accepting answer had no Date (a record on this machine's clock)", () => {
      const news = fleet();
      const s = stateAfterRun(
        undefined,
        news,
        planFleet(undefined, news),
        oneRotated(news),
        AT,
        formatRecord,
        true,
      );
      assert.deepEqual([s.stateVersion, s.localTimes, recordsOnGraphClock(s)], [3, true, false]);
    });
  });
});

describe("plan: fleet state, packed (version 3) and as versions 1 and 2 wrote it", () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => id(i + 1));

  it("groups devices that share a record line: one key per line, ids joined", () => {
    const s = settled(fleet());
    assert.deepEqual(s.devices, {
      [`requested ${AT} ${tokenHash("A")}`]: `${id(1)} ${id(2)} ${id(3)}`,
    });
    assert.deepEqual(
      Object.fromEntries(deviceLines(s.devices)),
      Object.fromEntries([1, 2, 3].map((n) => [id(n), `requested ${AT} ${tokenHash("A")}`])),
    );
  });

  for (const version of [1, 2] as const) {
    it(`a version-${version} state (id → line) plans as its packed form does: nothing to do`, () => {
      const news = fleet({ managedDeviceIds: many(50) });
      const old = mapForm(settled(news), version);
      assert.equal(isPackedDevices(old.devices), false);
      assert.equal(diffFleet(old, news).changes, false);
      assert.deepEqual(planFleet(old, news), planFleet(settled(news), news));
      // The next token: every device once, and the state written packed.
      const next = fleet({ managedDeviceIds: many(50), rotationToken: "B" });
      const plan = planFleet(old, next);
      assert.equal(plan.rotate.length, 50);
      const after = stateAfterRun(old, next, plan, new Map(), AT, formatRecord);
      assert.equal(isPackedDevices(after.devices), true);
      assert.deepEqual(deviceLines(after.devices), deviceLines(old.devices));
    });
  }

  it("keeps a large fleet under 100 bytes per device in state, inputs and outputs together", () => {
    const news = fleet({ managedDeviceIds: many(5000) });
    const s = settled(news);
    const inputs = checkFleet({ managedDeviceIds: news.managedDeviceIds, rotationToken: "A" });
    // As `pulumi stack export` pretty-prints them (2-space indent, nested 4 deep).
    const bytes = Buffer.byteLength(JSON.stringify({ inputs: inputs.inputs, outputs: s }, null, 8));
    assert.ok(bytes / 5000 < 100, `${(bytes / 5000).toFixed(1)} bytes per device`);
  });
});

describe("plan: fleet records and counts, edge cases", () => {
  it("a record without detail has three fields; a detail's spaces become one underscore", () => {
    assert.equal(formatRecord({ status: "requested", at: AT, token: "t" }), `requested ${AT} t`);
    const r = { status: "error" as const, at: AT, token: "-", detail: "Not  found here" };
    assert.equal(formatRecord(r), `error ${AT} - Not_found_here`);
  });
  it("a line missing its time or token is no record (a damaged state line is not trusted)", () => {
    for (const line of ["", "requested", `requested ${AT}`, ` ${AT} t`])
      assert.equal(parseRecord(line), undefined, JSON.stringify(line));
  });
  it("counts only lines that parse", () => {
    assert.deepEqual(
      countStatuses(
        new Map([
          ["a", "garbage"],
          ["b", `skipped ${AT} t osTooOld`],
        ]),
      ),
      {
        skipped: 1,
      },
    );
  });
  it("whose clock: version 2 and later is Graph's; none or 1 is this machine's", () => {
    assert.equal(recordsOnGraphClock({ stateVersion: 2 }), true);
    assert.equal(recordsOnGraphClock({ stateVersion: 3 }), true);
    assert.equal(recordsOnGraphClock({ stateVersion: 1 }), false);
    assert.equal(recordsOnGraphClock({}), false);
    assert.equal(recordsOnGraphClock(undefined), false);
  });
  it("a device not reached and never recorded carries no local time: a version-1 state becomes Graph's clock", () => {
    const olds = {
      ...settled(fleet({ managedDeviceIds: [id(1)], rotationToken: "old" })),
      stateVersion: 1,
    };
    const news = fleet({ managedDeviceIds: [id(1), id(2)] });
    const results = new Map<string, DeviceRecord>([
      [id(1), { status: "requested", at: AT, token: tokenHash("A") }],
    ]);
    const s = stateAfterRun(olds, news, planFleet(olds, news), results, AT, formatRecord);
    assert.equal(recordsOnGraphClock(s), true);
    assert.equal(s.localTimes, undefined);
  });
  it("diff: an unknown id in the list, or a per-device token changed to its same value, is a change", () => {
    const news = fleet();
    const ids = [id(1), UNKNOWN as unknown as string];
    assert.deepEqual(diffFleet(settled(news), { ...news, managedDeviceIds: ids }), {
      changes: true,
    });
    // Same desired tokens, so nothing to rotate; but the inputs to keep differ.
    const d = diffFleet(settled(news), fleet({ deviceTokens: { [id(1)]: "A" } }));
    assert.deepEqual([d.changes, d.plan?.rotate], [true, []]);
  });
});
