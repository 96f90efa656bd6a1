import assert from "node:assert/strict";
import { globToRegExp, matchesQuery, serverFilter } from "../../provider/plan/deviceQuery";
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
