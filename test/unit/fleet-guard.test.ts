import assert from "node:assert/strict";
import { rotationGuard, wouldRotate } from "../../provider/plan/fleet/guard";
import { describeFleetPlan } from "../../provider/plan/fleet/describe";
import { summarizeFleetRun } from "../../provider/plan/fleet/summary";
import type { DeviceRecord } from "../../provider/plan/fleet/record";
import { planFleet } from "../../provider/plan/fleet/plan";
import { formatRecord, tokenHash } from "../../provider/plan/fleet/record";
import {
  resolveMaxRotationsPerUpdate,
  resolveSettings,
  SettingsError,
  DEFAULT_TUNING,
} from "../../provider/auth/settings";
import type { FleetInputs } from "../../provider/plan/fleet/inputs";

const ids = (n: number) => Array.from({ length: n }, (_, i) => `d${String(i).padStart(3, "0")}`);
const inputs = (
  managedDeviceIds: string[],
  rotationToken: string,
  extra: Partial<FleetInputs> = {},
) =>
  ({
    managedDeviceIds,
    rotationToken,
    rotateOnCreate: true,
    waitFor: "requested",
    waitTimeoutSeconds: 60,
    pollIntervalSeconds: 10,
    ...extra,
  }) as FleetInputs;
const recorded = (devices: string[], token: string, status = "requested") => ({
  devices: Object.fromEntries(
    devices.map((d) => [
      d,
      formatRecord({ status, at: "2026-11-28T00:00:00Z", token: tokenHash(token) } as never),
    ]),
  ),
});

describe("plan/fleet guard: maxRotationsPerUpdate", () => {
  it("allows a change that rotates exactly the limit, refuses one more", () => {
    const plan = planFleet(undefined, inputs(ids(10), "A"));
    assert.equal(rotationGuard("f", plan, 10).allowed, true);
    const refused = rotationGuard("f", plan, 9);
    assert.equal(refused.allowed, false);
    assert.equal(refused.wouldRotate, 10);
  });

  it("says how many would rotate, names the first few, and how to allow it", () => {
    const old = recorded(ids(30), "A");
    const plan = planFleet(old, inputs(ids(30), "B"));
    const v = rotationGuard("laptops", plan, 5);
    assert.ok(!v.allowed);
    assert.match(v.message, /fleet laptops: this change would rotate 30 device\(s\)/);
    assert.match(v.message, /d000, d001, d002, d003, d004, … \(\+25\)/);
    assert.match(v.message, /bitlocker:maxRotationsPerUpdate allows \(5\)/);
    assert.match(v.message, /pulumi config set bitlocker:maxRotationsPerUpdate 30/);
    assert.match(v.message, /BITLOCKER_MAX_ROTATIONS_PER_UPDATE/);
    assert.match(v.message, /same pull request/);
  });

  it("counts lost answers (they may be resent), never adopted, unchanged or forgotten devices", () => {
    const old = {
      devices: {
        ...recorded(ids(4), "A").devices,
        ...recorded(["lost1", "lost2"], "A", "unverified").devices,
        ...recorded(["gone"], "A").devices,
      },
    };
    const news = inputs([...ids(4), "lost1", "lost2", "new1", "new2"], "A", {
      rotateOnCreate: false,
    });
    const plan = planFleet(old, news);
    assert.deepEqual(plan.adopt, ["new1", "new2"]);
    assert.deepEqual(wouldRotate(plan).sort(), ["lost1", "lost2"]);
    assert.equal(rotationGuard("f", plan, 2).allowed, true);
    assert.equal(rotationGuard("f", plan, 1).allowed, false);
  });

  it("a limit of 0 freezes the fleet: any rotation is refused, a no-op passes", () => {
    const old = recorded(ids(3), "A");
    assert.equal(rotationGuard("f", planFleet(old, inputs(ids(3), "A")), 0).allowed, true);
    assert.equal(rotationGuard("f", planFleet(old, inputs(ids(4), "A")), 0).allowed, false);
  });
});

describe("plan/fleet guard: the refusal's message", () => {
  it("names up to 5 devices, and says how many more only when there are more", () => {
    const refused = (n: number) => {
      const v = rotationGuard("f", { rotate: ids(n), settle: [] }, 0);
      assert.ok(!v.allowed);
      return v.message;
    };
    assert.match(refused(5), /\(d000, d001, d002, d003, d004\), more than/);
    assert.match(refused(6), /\(d000, d001, d002, d003, d004, … \(\+1\)\), more than/);
  });

  it("says what to do if the rotations were not intended: undo the change", () => {
    const v = rotationGuard("f", { rotate: ids(2), settle: [] }, 1);
    assert.ok(!v.allowed);
    assert.match(v.message, /nothing was sent/);
    assert.match(
      v.message,
      /If not, undo the change to the fleet's token, deviceTokens or device list/,
    );
  });
});

describe("settings: maxRotationsPerUpdate", () => {
  const key = "bitlocker:maxRotationsPerUpdate";
  const env = "BITLOCKER_MAX_ROTATIONS_PER_UPDATE";
  it("defaults to 100", () => {
    assert.equal(DEFAULT_TUNING.maxRotationsPerUpdate, 100);
    assert.equal(resolveMaxRotationsPerUpdate({}, {}), 100);
    assert.equal(
      resolveSettings({}, { BITLOCKER_CREDENTIAL: "azureCli" }).maxRotationsPerUpdate,
      100,
    );
  });
  it("config wins over env", () => {
    assert.equal(resolveMaxRotationsPerUpdate({}, { [env]: "250" }), 250);
    assert.equal(resolveMaxRotationsPerUpdate({ [key]: "40" }, { [env]: "250" }), 40);
  });
  it("refuses what is not a count, naming the key and its source", () => {
    for (const bad of ["-1", "2.5", "many", "100001"]) {
      assert.throws(
        () => resolveMaxRotationsPerUpdate({ [key]: bad }, {}),
        (e: unknown) => e instanceof SettingsError && e.key === key && e.source === "config",
        bad,
      );
    }
  });
});

describe("plan/fleet describe: the preview line", () => {
  it("a new fleet says so, with the count and the first ids", () => {
    const line = describeFleetPlan("laptops", planFleet(undefined, inputs(ids(12), "A")), true);
    assert.equal(
      line,
      "fleet laptops: new fleet of 12: rotate 12 (if eligible): d000, d001, d002, d003, d004, d005, d006, d007, d008, d009, … (+2); 0 unchanged",
    );
  });
  it("names adopted, settled and forgotten devices too", () => {
    const old = {
      devices: {
        ...recorded(["d000"], "A").devices,
        ...recorded(["lost"], "A", "unverified").devices,
        ...recorded(["gone"], "A").devices,
      },
    };
    const plan = planFleet(old, inputs(["d000", "lost", "new"], "A", { rotateOnCreate: false }));
    assert.equal(
      describeFleetPlan("f", plan),
      "fleet f: check 1 with a lost answer before resending (settle): lost; adopt 1 without rotating: new; forget 1: gone; 1 unchanged",
    );
  });
  it("says nothing when no device is touched", () => {
    const old = recorded(ids(3), "A");
    assert.equal(describeFleetPlan("f", planFleet(old, inputs(ids(3), "A"))), undefined);
  });
});

describe("plan/fleet summary: the line `up` ends with", () => {
  const rec = (status: string, detail?: string) =>
    ({ status, at: "2026-11-28T00:00:00Z", token: "abc", detail }) as DeviceRecord;
  it("groups by outcome and reason with the first ids, and says what to do", () => {
    const results = new Map<string, DeviceRecord>([
      ["r1", rec("requested")],
      ["r2", rec("done")],
      ["p1", rec("pending")],
      ["f1", rec("failed", "0x80310008")],
      ["s1", rec("skipped", "osTooOld")],
      ["s2", rec("skipped", "osTooOld")],
      ["s3", rec("skipped", "keyCap")],
      ["e1", rec("error", "Forbidden")],
      ["u1", rec("unverified")],
      ["a1", rec("adopted")],
    ]);
    assert.equal(
      summarizeFleetRun("laptops", { unchanged: ["x", "y"], forget: ["z"] }, results),
      "fleet laptops done: rotated 4 (requested 1, done 1, pending 1, failed 1); " +
        "device reported failure 1 (0x80310008 1: f1); " +
        "skipped 3 (osTooOld 2: s1, s2; keyCap 1: s3); " +
        "not rotated 2 (Forbidden 1: e1; unverified 1: u1): run `pulumi up` again, nothing is sent twice; " +
        "pending 1: run `pulumi refresh` to follow their outcome; adopted 1; unchanged 2; forgotten 1",
    );
  });
  it("counts every outcome under its heading, and names a missing reason by its outcome", () => {
    const results = new Map<string, DeviceRecord>([
      ["f1", rec("failed")],
      ["n1", rec("notSupported")],
      ["m1", rec("missing")],
      ["e1", rec("error")],
    ]);
    assert.equal(
      summarizeFleetRun("f", { unchanged: [], forget: [] }, results),
      "fleet f done: rotated 2 (failed 1, notSupported 1); device reported failure 2 (noCode 2: f1, n1); " +
        "skipped 1 (missing 1: m1); " +
        "not rotated 1 (Error 1: e1): run `pulumi up` again, nothing is sent twice; unchanged 0",
    );
  });
  it("a run that sent nothing says rotated 0, without a breakdown", () => {
    const results = new Map([["m1", rec("missing")]]);
    assert.equal(
      summarizeFleetRun("f", { unchanged: ["u"], forget: [] }, results),
      "fleet f done: rotated 0; skipped 1 (missing 1: m1); unchanged 1",
    );
  });
  it("a clean run says only what it rotated", () => {
    const results = new Map([["r1", rec("requested")]]);
    assert.equal(
      summarizeFleetRun("f", { unchanged: [], forget: [] }, results),
      "fleet f done: rotated 1 (requested 1); unchanged 0",
    );
  });
});
