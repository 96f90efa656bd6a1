import assert from "node:assert/strict";
import { describeUnmet, unmetPrerequisites } from "../../provider/plan/prerequisites";
import { compareVersions, isAtLeast, parseVersion } from "../../provider/plan/osVersion";
import { chooseCollection } from "../../provider/plan/collection";
import { windowsDevice } from "../support/devices";

describe("plan: prerequisites", () => {
  it("accepts a joined, encrypted Windows 10 22H2 device", () => {
    assert.deepEqual(unmetPrerequisites(windowsDevice()), []);
  });

  it("accepts the minimum build 10.0.18363 and Windows 11", () => {
    assert.deepEqual(unmetPrerequisites(windowsDevice({ osVersion: "10.0.18363" })), []);
    assert.deepEqual(unmetPrerequisites(windowsDevice({ osVersion: "10.0.26100.2033" })), []);
  });

  const cases: [string, Parameters<typeof windowsDevice>[0], string][] = [
    ["macOS", { operatingSystem: "macOS", osVersion: "15.1" }, "notWindows"],
    ["Windows 10 1903", { osVersion: "10.0.18362.1256" }, "osTooOld"],
    ["an unparseable version", { osVersion: "unknown" }, "osTooOld"],
    ["an Entra-registered device", { joinType: "azureADRegistered" }, "notJoined"],
    ["an unjoined device", { joinType: "unknown" }, "notJoined"],
    ["an unencrypted device", { isEncrypted: false }, "notEncrypted"],
    ["a multi-session host", { skuFamily: "EnterpriseMultiSession" }, "multiSession"],
    [
      "a device without Entra id",
      { azureADDeviceId: "00000000-0000-0000-0000-000000000000" },
      "noEntraDevice",
    ],
  ];
  for (const [what, overrides, code] of cases) {
    it(`refuses ${what} with code ${code} and a reason naming the fact`, () => {
      const unmet = unmetPrerequisites(windowsDevice(overrides));
      assert.deepEqual(
        unmet.map((u) => u.code),
        [code],
      );
      assert.ok(unmet[0]!.reason.length > 10);
    });
  }

  it("refuses a device whose isEncrypted Graph left out: encryption must be shown, not assumed", () => {
    // Rule: only isEncrypted === true qualifies; a missing value is not "not false".
    const { isEncrypted: _e, ...silent } = windowsDevice();
    assert.deepEqual(
      unmetPrerequisites(silent as Parameters<typeof unmetPrerequisites>[0]).map((u) => u.code),
      ["notEncrypted"],
    );
  });

  it("hybrid-joined devices qualify", () => {
    assert.deepEqual(unmetPrerequisites(windowsDevice({ joinType: "hybridAzureADJoined" })), []);
  });

  it("reports every unmet prerequisite at once", () => {
    const unmet = unmetPrerequisites(
      windowsDevice({ isEncrypted: false, joinType: "azureADRegistered" }),
    );
    assert.deepEqual(
      unmet.map((u) => u.code),
      ["notJoined", "notEncrypted"],
    );
  });
});

describe("plan: OS versions", () => {
  it("compares numerically, part by part", () => {
    assert.ok(compareVersions(parseVersion("10.0.19045")!, parseVersion("10.0.18363")!) > 0);
    assert.ok(compareVersions(parseVersion("10.0.9999")!, parseVersion("10.0.18363")!) < 0);
    assert.equal(compareVersions(parseVersion("10.0.18363.0")!, parseVersion("10.0.18363")!), 0);
    assert.equal(isAtLeast("10.0.18363.1", "10.0.18363"), true);
    assert.equal(parseVersion("10.0.x"), undefined);
  });
  it("a version is the whole text, dotted numbers only, spaces around it aside", () => {
    assert.deepEqual(parseVersion(" 10.0.19045.4651 "), [10, 0, 19045, 4651]);
    assert.equal(parseVersion("Windows 10.0.19045"), undefined);
    assert.equal(parseVersion("x10.0.19045"), undefined);
  });
  it("compares every part of the longer version: a missing part counts as 0", () => {
    assert.ok(compareVersions([10, 0, 18363, 1], [10, 0, 18363]) > 0);
    assert.ok(compareVersions([10, 0], [10, 0, 18363]) < 0);
    assert.equal(isAtLeast("10.0", "10.0.18363"), false);
  });
  it("a minimum that is not a version admits nothing (and does not throw)", () => {
    assert.equal(isAtLeast("10.0.19045", "latest"), false);
    assert.equal(isAtLeast("latest", "10.0.18363"), false);
  });
});

describe("plan: Graph collection", () => {
  it("addresses co-managed devices under comanagedDevices when auto", () => {
    assert.equal(
      chooseCollection({ managementAgent: "configurationManagerClientMdm" }, "auto"),
      "comanagedDevices",
    );
    assert.equal(chooseCollection({ managementAgent: "mdm" }, "auto"), "managedDevices");
  });
  it("honours an explicit override", () => {
    assert.equal(
      chooseCollection({ managementAgent: "configurationManagerClientMdm" }, "managedDevices"),
      "managedDevices",
    );
    assert.equal(
      chooseCollection({ managementAgent: "mdm" }, "comanagedDevices"),
      "comanagedDevices",
    );
  });
});

describe("plan: prerequisites with facts Graph left out", () => {
  it("no operatingSystem is not Windows; no osVersion is too old; no skuFamily is not multi-session", () => {
    const { operatingSystem: _o, ...noOs } = windowsDevice();
    assert.deepEqual(
      unmetPrerequisites(noOs as Parameters<typeof unmetPrerequisites>[0]).map((u) => u.code),
      ["notWindows"],
    );
    const { osVersion: _v, ...noVersion } = windowsDevice();
    assert.deepEqual(
      unmetPrerequisites(noVersion as Parameters<typeof unmetPrerequisites>[0]).map((u) => u.code),
      ["osTooOld"],
    );
    const { skuFamily: _s, ...noSku } = windowsDevice();
    assert.deepEqual(unmetPrerequisites(noSku as Parameters<typeof unmetPrerequisites>[0]), []);
  });
  it("describeUnmet names every reason, in order", () => {
    const unmet = unmetPrerequisites(windowsDevice({ isEncrypted: false, joinType: "unknown" }));
    assert.equal(describeUnmet(unmet), `${unmet[0]!.reason}; ${unmet[1]!.reason}`);
    assert.equal(unmet.length, 2);
  });
});
