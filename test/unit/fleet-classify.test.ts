import assert from "node:assert/strict";
import { classifyReadDevice, keepLostAnswer, recordTime } from "../../provider/plan/fleet/classify";
import { rotationResult, windowsDevice } from "../support/devices";

const AT = "2026-11-27T12:00:00Z";
/** An eligible device whose latest rotation started at `start`. */
const rotatedAt = (start: string) =>
  windowsDevice({ deviceActionResults: [rotationResult({ startDateTime: start })] });
const TOKEN = "a1b2c3d4e5f6";

describe("plan: what a fleet does with a device it has just read", () => {
  it("sends an eligible device with no history", () => {
    assert.deepEqual(classifyReadDevice({ device: windowsDevice(), token: TOKEN, at: AT }), {
      send: true,
    });
  });

  it("skips a device Graph no longer knows, as notFound", () => {
    const d = classifyReadDevice({ device: undefined, token: TOKEN, at: AT });
    assert.deepEqual(d, {
      send: false,
      why: "notFound",
      record: { status: "skipped", at: AT, token: TOKEN, detail: "notFound" },
    });
  });

  it("skips an unmet prerequisite with its code", () => {
    const d = classifyReadDevice({
      device: windowsDevice({ osVersion: "10.0.17763.1" }),
      token: TOKEN,
      at: AT,
    });
    assert.equal(d.send, false);
    assert.equal(!d.send && d.record.status, "skipped");
    assert.equal(!d.send && d.why, "prerequisite");
    assert.match((!d.send && d.record.detail) || "", /os/i);
  });

  describe("the evidence rule: a rotation since the old record", () => {
    // The old record: our own rotation, accepted by an answer dated 11:00:00 (Graph's clock).
    const since = { at: "2026-11-27T11:00:00Z", graphClock: true };
    it("records, without sending, a rotation that started after the old record", () => {
      const d = classifyReadDevice({
        device: rotatedAt("2026-11-27T11:05:00.2500000Z"),
        token: TOKEN,
        at: AT,
        since,
      });
      assert.deepEqual(d, {
        send: false,
        why: "evidence",
        record: { status: "requested", at: "2026-11-27T11:05:00Z", token: TOKEN },
      });
    });

    it("does not take the old record's own rotation for evidence, and sends", () => {
      // Graph started it before the Date of its answer, which is cut to the second.
      const d = classifyReadDevice({
        device: rotatedAt("2026-11-27T11:00:00.9990000Z"),
        token: TOKEN,
        at: AT,
        since,
      });
      assert.equal(d.send, true);
    });

    it("sends when the device shows no rotation at all, or no old record is known", () => {
      assert.equal(
        classifyReadDevice({ device: windowsDevice(), token: TOKEN, at: AT, since }).send,
        true,
      );
      const device = rotatedAt("2026-11-27T11:05:00Z");
      assert.equal(classifyReadDevice({ device, token: TOKEN, at: AT }).send, true);
    });
  });

  describe("the old record's time for the evidence rule", () => {
    const requested = { status: "requested" as const, at: AT, token: TOKEN };
    it("is on Graph's clock when the state's records are", () => {
      assert.deepEqual(recordTime(requested, true), { at: AT, graphClock: true });
      assert.deepEqual(recordTime(requested, false), { at: AT, graphClock: false });
    });
    it("an unverified record holds this machine's send time: never Graph's clock", () => {
      const lost = { status: "unverified" as const, at: AT, token: TOKEN, detail: "-" };
      assert.deepEqual(recordTime(lost, true), { at: AT, graphClock: false });
    });
    it("no record, no time (a device new to the fleet)", () => {
      assert.equal(recordTime(undefined, true), undefined);
    });
  });

  describe("a lost answer from the last run", () => {
    const lost = {
      status: "unverified" as const,
      at: "2026-11-27T11:00:00Z",
      token: TOKEN,
      detail: "2026-11-01T00:00:00Z",
    };
    it("records it as requested when a rotation started after the one seen before", () => {
      const device = rotatedAt("2026-11-27T11:00:01Z");
      const d = classifyReadDevice({ device, token: TOKEN, at: AT, lostAnswer: lost });
      assert.deepEqual(d, {
        send: false,
        why: "landed",
        // The rotation's own start (Graph's clock), not our send time.
        record: { status: "requested", at: "2026-11-27T11:00:01Z", token: TOKEN },
      });
    });

    it("sends again when the device still shows only the earlier rotation", () => {
      const device = rotatedAt("2026-11-01T00:00:00Z");
      assert.equal(
        classifyReadDevice({ device, token: TOKEN, at: AT, lostAnswer: lost }).send,
        true,
      );
    });

    it("with no earlier rotation known, any rotation on the device is proof", () => {
      const device = windowsDevice({ deviceActionResults: [rotationResult()] });
      const d = classifyReadDevice({
        device,
        token: TOKEN,
        at: AT,
        lostAnswer: { ...lost, detail: "-" },
      });
      assert.equal(d.send, false);
    });
  });

  describe("what a lost answer becomes after this run", () => {
    const lost = { status: "unverified" as const, at: AT, token: TOKEN, detail: "-" };
    it("stays unverified when the run ended in an error for the device (not read, not sent, refused)", () => {
      const error = { status: "error" as const, at: AT, token: "-", detail: "NotSent" };
      assert.deepEqual(keepLostAnswer(lost, error), lost);
    });
    it("gives way to anything the device settled", () => {
      const requested = { status: "requested" as const, at: AT, token: TOKEN };
      assert.deepEqual(keepLostAnswer(lost, requested), requested);
    });
    it("leaves other devices' errors alone", () => {
      const error = { status: "error" as const, at: AT, token: "-", detail: "Forbidden" };
      assert.deepEqual(keepLostAnswer(undefined, error), error);
    });
  });
});
