// requestRotation (engine/requestRotation.ts): one rotation POST for one device. A POST is not
// idempotent, so an answer lost in transit is settled by reading the device (after a grace
// period) before any resend: a rotation seen since the one before means Intune acted (no
// resend); none seen means a resend is safe, once; a second lost answer, or a read that fails,
// leaves the request unverified for the next run. Graph is a stub of the DeviceGraph port
// (the engine's narrow view of Graph), so each branch is driven exactly.
import assert from "node:assert/strict";
import type { DeviceGraph, RotationReceipt } from "../../provider/engine/deviceGraph";
import { lostAnswerGraceMs, requestRotation } from "../../provider/engine/requestRotation";
import { GraphError, OutcomeUnknownError } from "../../provider/graph/errors";
import { ROTATE_ACTION_ODATA_TYPE, type ManagedDevice } from "../../provider/graph/types";

const PRIOR = "2026-01-01T10:00:00Z";
const LANDED = "2026-01-01T12:00:07.450Z";

function device(rotationStart?: string): ManagedDevice {
  return {
    id: "dev-1",
    deviceName: "LAPTOP-1",
    deviceActionResults: rotationStart
      ? [
          {
            "@odata.type": ROTATE_ACTION_ODATA_TYPE,
            actionName: "rotateBitLockerKeys",
            actionState: "pending",
            startDateTime: rotationStart,
            lastUpdatedDateTime: rotationStart,
          },
        ]
      : [],
  } as unknown as ManagedDevice;
}

function lost(n: number): OutcomeUnknownError {
  return new OutcomeUnknownError({
    status: 0,
    clientRequestId: `crid-${n}`,
    requestId: `rid-${n}`,
    sentAt: new Date(),
    requestIds: [],
    reason: "connection reset after the request was sent",
  });
}

/** A stub DeviceGraph: each POST takes the next outcome; reads answer `reads` in turn. */
function stubGraph(posts: (RotationReceipt | Error)[], reads: (ManagedDevice | Error)[] = []) {
  const calls: string[] = [];
  let postAt = 0;
  const graph = {
    rotateBitLockerKeys: async (id: string, collection: string) => {
      calls.push(`POST ${collection}/${id}`);
      const next = posts.shift();
      if (next === undefined) throw new Error("unexpected POST");
      postAt = Date.now();
      if (next instanceof Error) throw next;
      return next;
    },
    getManagedDevice: async (id: string) => {
      calls.push(`GET ${id} +${Date.now() - postAt}ms`);
      const next = reads.shift();
      if (next === undefined) throw new Error("unexpected GET");
      if (next instanceof Error) throw next;
      return next;
    },
  } as Partial<DeviceGraph> as DeviceGraph;
  return { graph, calls };
}

const receipt: RotationReceipt = {
  clientRequestId: "crid-ok",
  requestId: "rid-ok",
  sentAt: new Date(),
};

describe("requestRotation: one POST per device, and the check after a lost answer", () => {
  it("an accepted POST is sent once and never read back", async () => {
    const { graph, calls } = stubGraph([receipt]);
    const r = await requestRotation(graph, device(PRIOR), "managedDevices", "T", 0);
    assert.deepEqual(r, { kind: "sent", receipt, verifiedAfterLostAnswer: false });
    assert.deepEqual(calls, ["POST managedDevices/dev-1"]);
  });

  it("an answer that says no (not a lost one) is thrown: no read, no resend", async () => {
    const refused = new GraphError({
      status: 403,
      code: "Forbidden",
      graphMessage: "no",
      hint: { summary: "s", action: "a" },
    });
    const { graph, calls } = stubGraph([refused]);
    await assert.rejects(requestRotation(graph, device(PRIOR), "managedDevices", "T", 0), refused);
    assert.equal(calls.length, 1);
  });

  it("a lost answer whose rotation landed is not sent again: the read proves it, with Graph's start time", async () => {
    const { graph, calls } = stubGraph([lost(1)], [device(LANDED)]);
    const r = await requestRotation(graph, device(PRIOR), "comanagedDevices", "T", 0);
    assert.equal(r.kind, "sent");
    assert.ok(r.kind === "sent");
    assert.equal(r.verifiedAfterLostAnswer, true);
    assert.equal(r.receipt.clientRequestId, "crid-1");
    assert.equal(r.receipt.requestId, "rid-1");
    assert.equal(r.receipt.graphDate, "2026-01-01T12:00:07Z");
    assert.equal(calls.filter((c) => c.startsWith("POST")).length, 1, "one POST only");
  });

  it("the read after a lost answer waits the grace period, counted from the failure", async () => {
    const { graph, calls } = stubGraph([lost(1)], [device(LANDED)]);
    await requestRotation(graph, device(PRIOR), "managedDevices", "T", 40);
    const waited = Number(/\+(\d+)ms/.exec(calls[1]!)![1]);
    assert.ok(waited >= 39, `read ${waited} ms after the failure, grace 40 ms`);
  });

  it("a lost answer with no new rotation on the device is sent once more", async () => {
    // The device still shows only the rotation from before (same start): Intune did not act.
    const { graph, calls } = stubGraph([lost(1), receipt], [device(PRIOR)]);
    const r = await requestRotation(graph, device(PRIOR), "managedDevices", "T", 0);
    assert.deepEqual(r, { kind: "sent", receipt, verifiedAfterLostAnswer: false });
    assert.equal(calls.filter((c) => c.startsWith("POST")).length, 2);
  });

  it("a first rotation ever (no prior result) that shows up after a lost answer counts as landed", async () => {
    const { graph, calls } = stubGraph([lost(1)], [device(LANDED)]);
    const r = await requestRotation(graph, device(), "managedDevices", "T", 0);
    assert.ok(r.kind === "sent" && r.verifiedAfterLostAnswer);
    assert.equal(calls.filter((c) => c.startsWith("POST")).length, 1);
  });

  it("two lost answers, nothing on the device: unverified after exactly two POSTs, for the next run to settle", async () => {
    const { graph, calls } = stubGraph([lost(1), lost(2)], [device(PRIOR), device(PRIOR)]);
    const r = await requestRotation(graph, device(PRIOR), "managedDevices", "T", 0);
    assert.equal(r.kind, "unverified");
    assert.ok(r.kind === "unverified");
    assert.equal(r.pending.token, "T");
    assert.equal(r.pending.priorStart, PRIOR);
    assert.equal(r.pending.clientRequestId, "crid-2");
    assert.ok(!Number.isNaN(Date.parse(r.pending.sentAt)));
    assert.equal(calls.filter((c) => c.startsWith("POST")).length, 2);
    assert.equal(calls.filter((c) => c.startsWith("GET")).length, 2);
  });

  it("a lost answer whose check read fails is unverified: never resent blind", async () => {
    const { graph, calls } = stubGraph([lost(1)], [new Error("read failed")]);
    const r = await requestRotation(graph, device(PRIOR), "managedDevices", "T", 0);
    assert.equal(r.kind, "unverified");
    assert.ok(r.kind === "unverified");
    assert.equal(r.pending.clientRequestId, "crid-1");
    assert.equal(calls.filter((c) => c.startsWith("POST")).length, 1);
  });

  it("the grace is half the request timeout, between 5 s and a minute", () => {
    assert.equal(lostAnswerGraceMs(30), 15_000);
    assert.equal(lostAnswerGraceMs(4), 5_000);
    assert.equal(lostAnswerGraceMs(200), 60_000);
  });
});
