import assert from "node:assert/strict";
import { checkFleet, type FleetInputs } from "../../provider/plan/fleet/inputs";
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
  return inputs as unknown as FleetInputs;
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
    const olds = settled(news);
    olds.devices[id(1)] = formatRecord({
      status: "error",
      at: AT,
      token: "-",
      detail: "Forbidden",
    });
    olds.devices[id(2)] = formatRecord({
      status: "skipped",
      at: AT,
      token: tokenHash("A"),
      detail: "osTooOld",
    });
    olds.devices[id(3)] = formatRecord({
      status: "unverified",
      at: AT,
      token: tokenHash("A"),
      detail: "-",
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
    olds.devices[id(1)] = formatRecord({
      status: "unverified",
      at: AT,
      token: tokenHash("A"),
      detail: "-",
    });
    const plan = planFleet(olds, fleet({ rotationToken: "B" }));
    assert.deepEqual([plan.settle, plan.rotate], [[], [id(1), id(2), id(3)]]);
  });
  it("counts every kind of work as a change: a lone settle, adopt or forget is an update", () => {
    // Rule: diff says "no changes" only when the run would do nothing at all.
    const news = fleet();
    const lost = settled(news);
    lost.devices[id(1)] = formatRecord({ status: "unverified", at: AT, token: tokenHash("A") });
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
    assert.equal(parseRecord(s.devices[id(1)]!)!.token, tokenHash("A"));
    assert.equal(parseRecord(s.devices[id(2)]!)!.token, tokenHash("old"));
    assert.equal(s.lastRun?.rotated, 1);
    assert.equal(s.counts.requested, 3);
    // The unreached devices still differ from their token: the next run finishes them.
    assert.deepEqual(planFleet(s, news).rotate, [id(2), id(3)]);
  });

  it("sums the run by kind: sent, adopted, skipped, errors (lost answers too), unchanged, forgotten", () => {
    // Rule: lastRun counts what this run produced, each record once, under its own kind.
    const news = fleet({ managedDeviceIds: [1, 2, 3, 4, 5, 6, 7, 8].map(id) });
    const olds = settled(fleet({ managedDeviceIds: [1, 2, 3, 4, 5, 6, 7, 8, 9].map(id) }));
    olds.devices[id(8)] = formatRecord({ status: "error", at: AT, token: "-", detail: "x" });
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
    assert.deepEqual(Object.keys(s.devices).sort(), news.managedDeviceIds);
    // The next run plans from the records' keys alone.
    assert.deepEqual(planFleet(s, news).unchanged, news.managedDeviceIds);
    assert.equal(diffFleet(s, news).changes, false);
  });

  describe("whose clock the record times are on (stateVersion)", () => {
    const oneRotated = (news: FleetInputs) =>
      new Map<string, DeviceRecord>([
        [id(1), { status: "requested", at: AT, token: tokenHash(news.rotationToken) }],
      ]);
    it("a new fleet's records are on Graph's clock: version 2", () => {
      assert.equal(settled(fleet()).stateVersion, 2);
    });
    it("stays 1 while a record written before the rule (version 1) is kept", () => {
      const news = fleet();
      const olds = { ...settled(fleet({ rotationToken: "old" })), stateVersion: 1 };
      const plan = planFleet(olds, news);
      const s = stateAfterRun(olds, news, plan, oneRotated(news), AT, formatRecord);
      assert.equal(s.stateVersion, 1);
      assert.equal(recordsOnGraphClock(s), false);
    });
    it("becomes 2 once a run rewrote every record of a version-1 state", () => {
      const news = fleet({ managedDeviceIds: [id(1)] });
      const olds = { ...settled(fleet({ rotationToken: "old" })), stateVersion: 1 };
      const s = stateAfterRun(
        olds,
        news,
        planFleet(olds, news),
        oneRotated(news),
        AT,
        formatRecord,
      );
      assert.equal(s.stateVersion, 2);
    });
    it("drops to 1 when an accepting answer had no Date (a record on this machine's clock)", () => {
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
      assert.equal(s.stateVersion, 1);
    });
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
    assert.deepEqual(countStatuses({ a: "garbage", b: `skipped ${AT} t osTooOld` }), {
      skipped: 1,
    });
  });
  it("whose clock: version 2 and later is Graph's; none or 1 is this machine's", () => {
    assert.equal(recordsOnGraphClock({ stateVersion: 2 }), true);
    assert.equal(recordsOnGraphClock({ stateVersion: 3 }), true);
    assert.equal(recordsOnGraphClock({ stateVersion: 1 }), false);
    assert.equal(recordsOnGraphClock({}), false);
    assert.equal(recordsOnGraphClock(undefined), false);
  });
  it("a device not reached and never recorded carries no local time: a version-1 state becomes 2", () => {
    const olds = {
      ...settled(fleet({ managedDeviceIds: [id(1)], rotationToken: "old" })),
      stateVersion: 1,
    };
    const news = fleet({ managedDeviceIds: [id(1), id(2)] });
    const results = new Map<string, DeviceRecord>([
      [id(1), { status: "requested", at: AT, token: tokenHash("A") }],
    ]);
    const s = stateAfterRun(olds, news, planFleet(olds, news), results, AT, formatRecord);
    assert.equal(s.stateVersion, 2);
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
