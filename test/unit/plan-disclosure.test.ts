import assert from "node:assert/strict";
import {
  auditWindowStart,
  directoryAuditFilter,
  disclosureToken,
  keyReadsFrom,
  latestReadPerKey,
  mergeDisclosures,
  mergeDisclosureTokens,
  readTimeOf,
  type DirectoryAuditEvent,
} from "../../provider/plan/disclosure";

const KEY_A = "aaaaaaaa-1111-4111-8111-111111111111";
const KEY_B = "bbbbbbbb-2222-4222-8222-222222222222";

function read(keyId: string, at: string, upn = "alice@contoso.example"): DirectoryAuditEvent {
  return {
    id: `Directory_${keyId}_${at}`,
    activityDisplayName: "Read BitLocker key",
    activityDateTime: at,
    result: "success",
    initiatedBy: { user: { userPrincipalName: upn }, app: null },
    targetResources: [{ id: "entra-device", displayName: keyId, type: "Device" }],
  };
}

describe("plan: rotate what was disclosed", () => {
  describe("keyReadsFrom", () => {
    it("takes the key id from the first target's displayName and the reader from initiatedBy", () => {
      assert.deepEqual(keyReadsFrom([read(KEY_A, "2026-11-20T10:00:00Z")]), [
        {
          keyId: KEY_A,
          readAt: "2026-11-20T10:00:00.000Z",
          readBy: "alice@contoso.example",
          eventId: `Directory_${KEY_A}_2026-11-20T10:00:00Z`,
        },
      ]);
    });
    it("finds the GUID inside a longer displayName, and names an app reader", () => {
      const e = read(KEY_A.toUpperCase(), "2026-11-20T10:00:00Z");
      e.targetResources = [{ displayName: `BitLocker key ID: ${KEY_A.toUpperCase()}` }];
      e.initiatedBy = { user: null, app: { appId: "app-1", displayName: "Backup tool" } };
      const [r] = keyReadsFrom([e]);
      assert.equal(r?.keyId, KEY_A);
      assert.equal(r?.readBy, "app Backup tool");
    });
    it("ignores other activities, failures, and events without a key id or time", () => {
      const other = {
        ...read(KEY_A, "2026-11-20T10:00:00Z"),
        activityDisplayName: "Update device",
      };
      const failed = { ...read(KEY_A, "2026-11-20T10:00:00Z"), result: "failure" };
      const noKey = { ...read(KEY_A, "2026-11-20T10:00:00Z"), targetResources: [] };
      const noTime = { ...read(KEY_A, "2026-11-20T10:00:00Z"), activityDateTime: "soon" };
      assert.deepEqual(keyReadsFrom([other, failed, noKey, noTime]), []);
    });
  });

  it("keeps the latest read per key", () => {
    const reads = keyReadsFrom([
      read(KEY_A, "2026-11-20T10:00:00Z", "first@x"),
      read(KEY_B, "2026-11-21T10:00:00Z"),
      read(KEY_A, "2026-11-22T10:00:00Z", "second@x"),
    ]);
    assert.deepEqual(
      latestReadPerKey(reads).map((r) => [r.keyId, r.readBy]),
      [
        [KEY_A, "second@x"],
        [KEY_B, "alice@contoso.example"],
      ],
    );
  });

  it("a token carries the read's time and reads back", () => {
    const t = disclosureToken("2026-11-20T10:00:00Z");
    assert.equal(t, "read 2026-11-20T10:00:00.000Z");
    assert.equal(readTimeOf(t), Date.parse("2026-11-20T10:00:00Z"));
    assert.equal(readTimeOf("2026-Q4"), undefined);
  });

  describe("mergeDisclosureTokens", () => {
    const t1 = disclosureToken("2026-11-01T00:00:00Z");
    const t2 = disclosureToken("2026-11-20T00:00:00Z");

    it("a device whose event aged out keeps its last token (no rotation, no loss)", () => {
      assert.deepEqual(mergeDisclosureTokens({ d1: t1 }, {}), { d1: t1 });
    });
    it("a newer read replaces the token: the device rotates once", () => {
      assert.deepEqual(mergeDisclosureTokens({ d1: t1 }, { d1: t2 }), { d1: t2 });
    });
    it("a late-listed read older than the token changes nothing", () => {
      assert.deepEqual(mergeDisclosureTokens({ d1: t2 }, { d1: t1 }), { d1: t2 });
    });
    it("the same read seen again (overlapping window) changes nothing", () => {
      assert.deepEqual(mergeDisclosureTokens({ d1: t2 }, { d1: t2 }), { d1: t2 });
    });
    it("a first read adds the device; a foreign previous token is replaced", () => {
      assert.deepEqual(mergeDisclosureTokens({ d2: "INC-1" }, { d1: t1, d2: t1 }), {
        d1: t1,
        d2: t1,
      });
    });
  });

  it("the window reaches back 30 days by default and refuses nonsense", () => {
    const now = new Date("2026-11-28T00:00:00Z");
    assert.equal(auditWindowStart(now).toISOString(), "2026-10-29T00:00:00.000Z");
    assert.equal(auditWindowStart(now, 1).toISOString(), "2026-11-27T00:00:00.000Z");
    assert.throws(() => auditWindowStart(now, 0), /withinDays/);
  });

  it("filters on the activity and the time, whole seconds, inclusive", () => {
    assert.equal(
      directoryAuditFilter(new Date("2026-10-29T00:00:00.900Z")),
      "activityDisplayName eq 'Read BitLocker key' and activityDateTime ge 2026-10-29T00:00:00Z",
    );
  });
});

describe("plan: mergeDisclosures (the records a program keeps between runs)", () => {
  const rec = (at: string, by = "alice@x") => ({
    token: disclosureToken(at),
    deviceName: "LAPTOP-1",
    readAt: new Date(at).toISOString(),
    readBy: by,
  });
  it("keeps an aged-out device's record, takes a newer read's, ignores an older one", () => {
    const prev = { d1: rec("2026-11-01T00:00:00Z"), d2: rec("2026-11-10T00:00:00Z", "bob@x") };
    const merged = mergeDisclosures(prev, [
      { id: "d2", ...rec("2026-11-20T00:00:00Z", "eve@x") },
      { id: "d3", ...rec("2026-11-05T00:00:00Z", "old@x") },
    ]);
    assert.deepEqual(merged, {
      d1: prev.d1,
      d2: rec("2026-11-20T00:00:00Z", "eve@x"),
      d3: rec("2026-11-05T00:00:00Z", "old@x"),
    });
    assert.deepEqual(
      mergeDisclosures({ d2: rec("2026-11-20T00:00:00Z") }, [
        { id: "d2", ...rec("2026-11-10T00:00:00Z", "late@x") },
      ]),
      { d2: rec("2026-11-20T00:00:00Z") },
    );
  });
});

describe("plan: disclosure, the rules behind the edge cases", () => {
  it("keyReadsFrom: an event missing any optional part is skipped or read, never a crash", () => {
    const base = read(KEY_A, "2026-11-20T10:00:00Z");
    const { activityDisplayName: _a, ...noActivity } = base;
    const { targetResources: _t, ...noTargets } = base;
    const { initiatedBy: _i, ...noInitiator } = base;
    const { id: _id, ...noId } = base;
    assert.deepEqual(keyReadsFrom([{}, noActivity, noTargets]), []);
    const [anonymous] = keyReadsFrom([noInitiator]);
    assert.equal(anonymous?.readBy, "unknown");
    assert.equal(keyReadsFrom([noId])[0]?.eventId, "");
  });

  it("keyReadsFrom: names the reader by UPN, else display name, else the app's name or id", () => {
    const by = (initiatedBy: DirectoryAuditEvent["initiatedBy"]) =>
      keyReadsFrom([{ ...read(KEY_A, "2026-11-20T10:00:00Z"), initiatedBy }])[0]?.readBy;
    assert.equal(by({ user: { userPrincipalName: null, displayName: "Alice" } }), "Alice");
    assert.equal(by({ user: null, app: { appId: "app-1", displayName: null } }), "app app-1");
    assert.equal(by({ user: null, app: {} }), "app ?");
    assert.equal(by({ user: null, app: null }), "unknown");
    assert.equal(by({}), "unknown");
  });

  it("latestReadPerKey: the latest read wins whatever the listing order; newest key first", () => {
    const reads = keyReadsFrom([
      read(KEY_A, "2026-11-22T10:00:00Z", "latest@x"),
      read(KEY_B, "2026-11-23T10:00:00Z", "b@x"),
      read(KEY_A, "2026-11-20T10:00:00Z", "older@x"),
    ]);
    assert.deepEqual(
      latestReadPerKey(reads).map((r) => [r.keyId, r.readBy]),
      [
        [KEY_B, "b@x"],
        [KEY_A, "latest@x"],
      ],
    );
  });

  it("readTimeOf: the whole token must be a read time; milliseconds are optional", () => {
    assert.equal(readTimeOf("read 2026-11-20T10:00:00Z"), Date.parse("2026-11-20T10:00:00Z"));
    assert.equal(readTimeOf("reread 2026-11-20T10:00:00.000Z"), undefined);
    assert.equal(readTimeOf("read 2026-11-20T10:00:00.000Z, again"), undefined);
    assert.equal(readTimeOf(undefined), undefined);
  });

  it("mergeDisclosureTokens: the same read time spelled differently keeps the token (no rotation)", () => {
    const declared = "read 2026-11-20T10:00:00Z";
    assert.deepEqual(
      mergeDisclosureTokens({ d1: declared }, { d1: disclosureToken("2026-11-20T10:00:00Z") }),
      { d1: declared },
    );
  });

  it("mergeDisclosureTokens: devices come out sorted by id, so the declared map is stable", () => {
    const t = disclosureToken("2026-11-20T10:00:00Z");
    assert.deepEqual(Object.keys(mergeDisclosureTokens({ d3: t, d1: t }, { d2: t, d0: t })), [
      "d0",
      "d1",
      "d2",
      "d3",
    ]);
  });
});
