import assert from "node:assert/strict";
import {
  deviceQueryProblems,
  globToRegExp,
  matchesQuery,
  serverFilter,
} from "../../provider/plan/deviceQuery";
import { windowsDevice } from "../support/devices";

const NOW = new Date("2026-11-27T12:00:00Z");

describe("plan: device queries", () => {
  it("sends at most one eq to Graph: the OS, unless any OS is asked for", () => {
    assert.deepEqual(serverFilter({}), { property: "operatingSystem", value: "Windows" });
    assert.equal(serverFilter({ operatingSystem: "*" }), undefined);
  });
  it("re-checks the OS client-side, because Graph may ignore a filter", () => {
    assert.equal(matchesQuery(windowsDevice({ operatingSystem: "macOS" }), {}, NOW), false);
    assert.equal(matchesQuery(windowsDevice({ operatingSystem: "windows" }), {}, NOW), true);
  });
  it("matches name globs case-insensitively and literally otherwise", () => {
    assert.ok(globToRegExp("LAPTOP-*").test("laptop-042"));
    assert.ok(!globToRegExp("LAPTOP-*").test("DESKTOP-1"));
    assert.ok(!globToRegExp("A.B").test("AxB"));
    assert.ok(globToRegExp("K??").test("K01"));
  });
  it("filters on join type, encryption, co-management and check-in age", () => {
    const d = windowsDevice({
      lastSyncDateTime: "2026-11-20T12:00:00Z",
      managementAgent: "configurationManagerClientMdm",
    });
    assert.equal(matchesQuery(d, { joinTypes: ["hybridAzureADJoined"] }, NOW), false);
    assert.equal(matchesQuery(d, { encrypted: false }, NOW), false);
    assert.equal(matchesQuery(d, { coManaged: true }, NOW), true);
    assert.equal(matchesQuery(d, { coManaged: false }, NOW), false);
    assert.equal(matchesQuery(d, { checkedInWithinDays: 7 }, NOW), true);
    assert.equal(matchesQuery(d, { checkedInWithinDays: 6 }, NOW), false);
  });
  it("keeps only eligible devices when asked", () => {
    assert.equal(
      matchesQuery(windowsDevice({ isEncrypted: false }), { eligibleOnly: true }, NOW),
      false,
    );
    assert.equal(matchesQuery(windowsDevice(), { eligibleOnly: true }, NOW), true);
  });
});

describe("plan: device queries, more of each condition", () => {
  it("any OS (*) matches every OS, even a device without one", () => {
    assert.equal(
      matchesQuery(windowsDevice({ operatingSystem: "macOS" }), { operatingSystem: "*" }, NOW),
      true,
    );
    const noOs = windowsDevice();
    delete (noOs as Partial<typeof noOs>).operatingSystem;
    assert.equal(matchesQuery(noOs, { operatingSystem: "*" }, NOW), true);
    assert.equal(matchesQuery(noOs, {}, NOW), false);
    // A missing OS reads as empty text: only "*" or an empty operatingSystem selects it.
    assert.equal(matchesQuery(noOs, { operatingSystem: "" }, NOW), true);
  });
  it("an OS asked for is compared whole and case-insensitively, and sent to Graph as asked", () => {
    assert.equal(
      matchesQuery(windowsDevice({ operatingSystem: "iOS" }), { operatingSystem: "ios" }, NOW),
      true,
    );
    assert.equal(matchesQuery(windowsDevice(), { operatingSystem: "iOS" }, NOW), false);
    assert.deepEqual(serverFilter({ operatingSystem: "iOS" }), {
      property: "operatingSystem",
      value: "iOS",
    });
  });
  it("a join type list keeps the devices of the listed types", () => {
    const d = windowsDevice({ joinType: "hybridAzureADJoined" });
    assert.equal(
      matchesQuery(d, { joinTypes: ["azureADJoined", "hybridAzureADJoined"] }, NOW),
      true,
    );
    assert.equal(matchesQuery(d, { joinTypes: [] }, NOW), false);
  });
  it("encrypted: true keeps encrypted devices only", () => {
    assert.equal(matchesQuery(windowsDevice(), { encrypted: true }, NOW), true);
    assert.equal(
      matchesQuery(windowsDevice({ isEncrypted: false }), { encrypted: true }, NOW),
      false,
    );
    assert.equal(
      matchesQuery(windowsDevice({ isEncrypted: false }), { encrypted: false }, NOW),
      true,
    );
  });
  it("a name pattern filters on deviceName; a device without a name matches only *", () => {
    assert.equal(matchesQuery(windowsDevice(), { namePattern: "LAPTOP-*" }, NOW), true);
    assert.equal(matchesQuery(windowsDevice(), { namePattern: "DESKTOP-*" }, NOW), false);
    const noName = windowsDevice();
    delete (noName as Partial<typeof noName>).deviceName;
    assert.equal(matchesQuery(noName, { namePattern: "*" }, NOW), true);
    assert.equal(matchesQuery(noName, { namePattern: "?*" }, NOW), false);
  });
  it("a glob matches the whole name: no prefix or suffix match", () => {
    assert.ok(!globToRegExp("LAPTOP").test("XLAPTOP"));
    assert.ok(!globToRegExp("LAPTOP").test("LAPTOPX"));
    assert.ok(!globToRegExp("K?").test("K"));
    assert.ok(!globToRegExp("K?").test("K12"));
    assert.ok(globToRegExp("*KIOSK*").test("hq-kiosk-3"));
    assert.ok(globToRegExp("A*B*C").test("A1B2C"));
  });
  it("every regular-expression character of a glob other than * and ? is literal", () => {
    for (const c of [".", "+", "^", "$", "{", "}", "(", ")", "|", "[", "]", "\\"]) {
      const name = `A${c}B`;
      assert.ok(globToRegExp(name).test(name), `${name} matches itself`);
      assert.ok(!globToRegExp(name).test("AxB"), `${name} does not match AxB`);
    }
    assert.ok(globToRegExp("A{2}").test("A{2}"));
    assert.ok(!globToRegExp("A{2}").test("AA"));
    assert.ok(globToRegExp("(A|B)").test("(A|B)"));
    assert.ok(!globToRegExp("(A|B)").test("A"));
    assert.ok(globToRegExp("[AB]").test("[AB]"));
    assert.ok(!globToRegExp("[AB]").test("A"));
    assert.ok(globToRegExp("A+").test("A+"));
    assert.ok(!globToRegExp("A+").test("AA"));
  });
  it("* and ? stand for any run of characters and exactly one, everywhere in the glob", () => {
    assert.ok(globToRegExp("*-*-??").test("hq-kiosk-01"));
    assert.ok(globToRegExp("a?b?c").test("a1b2c"));
    assert.ok(globToRegExp("**").test(""));
  });
  it("checked in within N days includes a device synced exactly N days ago", () => {
    const d = windowsDevice({ lastSyncDateTime: "2026-11-20T12:00:00Z" });
    assert.equal(matchesQuery(d, { checkedInWithinDays: 7 }, NOW), true);
    const justOver = windowsDevice({ lastSyncDateTime: "2026-11-20T11:59:59Z" });
    assert.equal(matchesQuery(justOver, { checkedInWithinDays: 7 }, NOW), false);
    assert.equal(
      matchesQuery(
        windowsDevice({ lastSyncDateTime: "2026-11-27T12:00:00Z" }),
        { checkedInWithinDays: 0 },
        NOW,
      ),
      true,
    );
  });
  it("a device whose last check-in cannot be read is not counted as recent", () => {
    const d = windowsDevice({ lastSyncDateTime: "not a date" });
    assert.equal(matchesQuery(d, { checkedInWithinDays: 10_000 }, NOW), false);
    assert.equal(matchesQuery(d, {}, NOW), true);
  });
  it("eligibleOnly: false keeps ineligible devices", () => {
    assert.equal(
      matchesQuery(windowsDevice({ isEncrypted: false }), { eligibleOnly: false }, NOW),
      true,
    );
  });
  it("an empty query selects every Windows device", () => {
    assert.equal(
      matchesQuery(windowsDevice({ isEncrypted: false, joinType: "unknown" }), {}, NOW),
      true,
    );
  });
});

// A program's query is checked before any I/O (selectDevices turns these into one RunError,
// test/unit/select-devices-input.test.ts). Each problem names the option and the bad value.
describe("plan: a device query's problems", () => {
  it("no query, or an empty one, is usable", () => {
    assert.deepEqual(deviceQueryProblems(undefined), []);
    assert.deepEqual(deviceQueryProblems({}), []);
  });
  it("a query that is not an object is refused with an example and what was given", () => {
    for (const [q, got] of [
      [null, "null"],
      ["LAPTOP-*", '"LAPTOP-*"'],
      [5, "5"],
      [["LAPTOP-*"], "a list"],
    ] as const) {
      const problems = deviceQueryProblems(q);
      assert.equal(problems.length, 1, String(q));
      assert.match(
        problems[0]!,
        /the query must be an object such as \{ namePattern: "LAPTOP-\*" \}/,
      );
      assert.ok(problems[0]!.endsWith(`got ${got}`), problems[0]);
    }
  });
  it("a fully valid query has no problem", () => {
    assert.deepEqual(
      deviceQueryProblems({
        operatingSystem: "Windows",
        joinTypes: ["azureADJoined", "hybridAzureADJoined", "azureADRegistered", "unknown"],
        encrypted: true,
        namePattern: "LAPTOP-*",
        coManaged: false,
        checkedInWithinDays: 0,
        eligibleOnly: true,
      }),
      [],
    );
  });
  it("an unknown option is named, with the known ones", () => {
    const [p, ...rest] = deviceQueryProblems({ nameFilter: "x" });
    assert.deepEqual(rest, []);
    assert.match(p!, /unknown query option "nameFilter"/);
    assert.match(
      p!,
      /known: operatingSystem, joinTypes, encrypted, namePattern, coManaged, checkedInWithinDays, eligibleOnly$/,
    );
  });
  it("operatingSystem and namePattern must be text: the option, an example, the bad value", () => {
    assert.deepEqual(deviceQueryProblems({ operatingSystem: 5 }), [
      'operatingSystem must be text such as "Windows" (or "*" for any); got 5',
    ]);
    assert.deepEqual(deviceQueryProblems({ namePattern: true }), [
      'namePattern must be text such as "LAPTOP-*"; got true',
    ]);
  });
  it("encrypted, coManaged and eligibleOnly must be true or false", () => {
    for (const key of ["encrypted", "coManaged", "eligibleOnly"]) {
      assert.deepEqual(deviceQueryProblems({ [key]: "yes" }), [
        `${key} must be true or false; got "yes"`,
      ]);
      assert.deepEqual(deviceQueryProblems({ [key]: false }), [], key);
    }
  });
  it("every problem is reported, in a stable order", () => {
    assert.deepEqual(
      deviceQueryProblems({ encrypted: "yes", checkedInWithinDays: -1, nameFilter: "x" }).map(
        (p) => p.split(" ")[0],
      ),
      ["unknown", "encrypted", "checkedInWithinDays"],
    );
  });
  it("joinTypes must be a list; a string is refused, not matched by substring", () => {
    const [p, ...rest] = deviceQueryProblems({ joinTypes: "azureADJoined" });
    assert.deepEqual(rest, []);
    assert.match(p!, /^joinTypes must be a list such as \["azureADJoined"\]/);
    assert.match(p!, /got "azureADJoined"$/);
  });
  it("joinTypes: each unknown value is named, with the join types to use", () => {
    assert.deepEqual(deviceQueryProblems({ joinTypes: ["azureAdJoined", "aad", "unknown"] }), [
      'joinTypes: "azureAdJoined", "aad" is not a join type; use azureADJoined, hybridAzureADJoined, azureADRegistered, unknown',
    ]);
  });
  it("checkedInWithinDays must be a number of days, 0 or more", () => {
    for (const [days, got] of [
      [-1, "-1"],
      [Number.NaN, "NaN"],
      [Number.POSITIVE_INFINITY, "Infinity"],
      ["7", '"7"'],
    ] as const) {
      assert.deepEqual(deviceQueryProblems({ checkedInWithinDays: days }), [
        `checkedInWithinDays must be a number of days, 0 or more; got ${got}`,
      ]);
    }
    assert.deepEqual(deviceQueryProblems({ checkedInWithinDays: 0 }), []);
    assert.deepEqual(deviceQueryProblems({ checkedInWithinDays: 0.5 }), []);
  });
});
