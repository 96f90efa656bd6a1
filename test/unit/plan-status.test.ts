import assert from "node:assert/strict";
import { describeHresult, hresultText, toHresultHex } from "../../provider/plan/hresult";
import {
  CLOCK_SKEW_MS,
  latestRotationResult,
  resultForRequest,
  rotationStartedSince,
} from "../../provider/plan/actionResult";
import { escrowEvidence, isSettled, outcomeOf } from "../../provider/plan/status";
import { rotationResult, windowsDevice } from "../support/devices";

describe("plan: HRESULT text", () => {
  it("renders a signed Int32 as the unsigned hex Windows shows", () => {
    assert.equal(toHresultHex(-2144272376), "0x80310008");
    assert.equal(toHresultHex(0), "0x00000000");
  });
  it("names every known code from the Graph facts with a hint", () => {
    for (const hex of [
      "0x803100DA",
      "0x803100DB",
      "0x803100E1",
      "0x80310008",
      "0x80310059",
      "0x80070490",
    ]) {
      const info = describeHresult(Number.parseInt(hex, 16) | 0);
      assert.equal(info.hex, hex);
      assert.ok(info.meaning && info.hint, `no meaning/hint for ${hex}`);
    }
  });
  it("leaves unknown codes as hex", () => {
    assert.equal(hresultText(0x80004005 | 0), "0x80004005");
  });
});

describe("plan: which action result is ours", () => {
  const older = rotationResult({ startDateTime: "2026-10-01T00:00:00Z", actionState: "done" });
  const newer = rotationResult({ startDateTime: "2026-11-27T10:00:00Z", actionState: "pending" });
  const other = {
    actionName: "syncDevice",
    actionState: "done" as const,
    startDateTime: "2026-11-27T11:00:00Z",
    lastUpdatedDateTime: "2026-11-27T11:00:00Z",
  };

  it("picks the latest rotation by @odata.type, ignoring other actions", () => {
    const d = windowsDevice({ deviceActionResults: [older, other, newer] });
    assert.equal(latestRotationResult(d), newer);
  });
  it("falls back to the action name when the type is absent", () => {
    const { ["@odata.type"]: _t, ...untyped } = newer;
    assert.equal(
      latestRotationResult(windowsDevice({ deviceActionResults: [untyped] }))?.actionState,
      "pending",
    );
  });
  it("ignores a result that predates our request beyond the clock-skew margin", () => {
    const d = windowsDevice({ deviceActionResults: [older] });
    assert.equal(resultForRequest(d, "2026-11-27T09:59:00Z"), undefined);
    assert.equal(
      resultForRequest(windowsDevice({ deviceActionResults: [newer] }), "2026-11-27T10:02:00Z"),
      newer,
    );
  });
  it("detects a rotation started after a lost answer by comparing start times", () => {
    assert.equal(
      rotationStartedSince(older.startDateTime, windowsDevice({ deviceActionResults: [older] })),
      false,
    );
    assert.equal(
      rotationStartedSince(
        older.startDateTime,
        windowsDevice({ deviceActionResults: [older, newer] }),
      ),
      true,
    );
    assert.equal(
      rotationStartedSince(undefined, windowsDevice({ deviceActionResults: [] })),
      false,
    );
    assert.equal(
      rotationStartedSince(undefined, windowsDevice({ deviceActionResults: [newer] })),
      true,
    );
  });
});

describe("plan: outcome status", () => {
  it("is requested until Graph shows a result", () => {
    assert.equal(outcomeOf(undefined).status, "requested");
  });
  it("maps pending/active to pending, done to done, done+escrow to escrowed", () => {
    assert.equal(outcomeOf(rotationResult({ actionState: "active" })).status, "pending");
    assert.equal(outcomeOf(rotationResult({ actionState: "done" })).status, "done");
    const e = outcomeOf(rotationResult({ actionState: "done" }), "2026-11-27T12:00:00Z");
    assert.deepEqual([e.status, e.escrowedAt], ["escrowed", "2026-11-27T12:00:00Z"]);
  });
  it("explains a failure with the HRESULT and a hint", () => {
    const f = outcomeOf(rotationResult({ actionState: "failed", errorCode: 0x803100da | 0 }));
    assert.equal(f.status, "failed");
    assert.match(f.errorText!, /^0x803100DA .*not required/);
    assert.match(f.hint!, /required/);
  });
  it("takes the first key escrowed at or after the request as evidence", () => {
    const keys = [
      { id: "a", createdDateTime: "2026-11-01T00:00:00Z", deviceId: "d", volumeType: "1" },
      { id: "c", createdDateTime: "2026-11-27T12:30:00Z", deviceId: "d", volumeType: "1" },
      { id: "b", createdDateTime: "2026-11-27T12:00:00Z", deviceId: "d", volumeType: "1" },
    ];
    assert.equal(escrowEvidence(keys, "2026-11-27T11:00:00Z")?.id, "b");
    assert.equal(escrowEvidence(keys, "2026-11-28T00:00:00Z"), undefined);
  });
});

describe("plan: when waiting can stop", () => {
  it("waitFor escrowed keeps waiting at done: only the escrowed key settles it", () => {
    // Rule: `done` means the device rotated; the caller asked to see the new key in Entra ID.
    assert.equal(isSettled({ status: "done" }, "escrowed"), false);
    assert.equal(isSettled({ status: "escrowed" }, "escrowed"), true);
  });
  it("any other waitFor stops at done", () => {
    assert.equal(isSettled({ status: "done" }, "applied"), true);
    assert.equal(isSettled({ status: "done" }, "requested"), true);
  });
  it("a final answer stops every wait; requested and pending never do", () => {
    for (const status of ["failed", "notSupported", "canceled", "missing", "escrowed"] as const)
      assert.equal(isSettled({ status }, "escrowed"), true, status);
    for (const status of ["requested", "pending", "adopted", "unverified"] as const)
      assert.equal(isSettled({ status }, "applied"), false, status);
  });
});

describe("plan: outcome status, every action state", () => {
  it("notSupported says what to check; canceled is canceled; each keeps Graph's actionState", () => {
    const n = outcomeOf(rotationResult({ actionState: "notSupported" }));
    assert.deepEqual([n.status, n.actionState], ["notSupported", "notSupported"]);
    assert.match(n.hint!, /policy/);
    const c = outcomeOf(rotationResult({ actionState: "canceled" }));
    assert.deepEqual(c, { status: "canceled", actionState: "canceled" });
    assert.equal(outcomeOf(rotationResult({ actionState: "pending" })).actionState, "pending");
  });
  it("a key escrowed at the very second of the request is evidence", () => {
    const key = {
      id: "k",
      createdDateTime: "2026-11-27T11:00:00Z",
      deviceId: "d",
      volumeType: "1",
    };
    assert.equal(escrowEvidence([key], "2026-11-27T11:00:00Z")?.id, "k");
  });
});

describe("plan: which action result is ours, edge cases", () => {
  const typed = rotationResult({ startDateTime: "2026-11-27T10:00:00Z" });
  it("recognises a rotation by its @odata.type alone, whatever its actionName", () => {
    const renamed = { ...typed, actionName: "somethingElse" };
    assert.equal(latestRotationResult(windowsDevice({ deviceActionResults: [renamed] })), renamed);
  });
  it("picks the latest start whatever the order Graph lists them in", () => {
    const later = rotationResult({ startDateTime: "2026-11-27T11:00:00Z" });
    assert.equal(
      latestRotationResult(windowsDevice({ deviceActionResults: [later, typed] })),
      later,
    );
  });
  it("no rotation on the device: no result for our request", () => {
    assert.equal(resultForRequest(windowsDevice(), "2026-11-27T10:00:00Z"), undefined);
  });
  it("a result started exactly the clock-skew margin before our request is still ours", () => {
    const requestedAt = new Date(Date.parse(typed.startDateTime) + CLOCK_SKEW_MS).toISOString();
    const d = windowsDevice({ deviceActionResults: [typed] });
    assert.equal(resultForRequest(d, requestedAt), typed);
    const later = new Date(Date.parse(requestedAt) + 1).toISOString();
    assert.equal(resultForRequest(d, later), undefined);
  });
});
