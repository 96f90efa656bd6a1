// A rotation request whose answer was lost: settled for its own token only, and counted as
// carried out only when the device shows a rotation started after the one seen before sending.
import assert from "node:assert/strict";
import {
  unverifiedFor,
  wasCarriedOut,
  type UnverifiedRequest,
} from "../../provider/plan/unverifiedRequest";
import { rotationResult, windowsDevice } from "../support/devices";

const pending: UnverifiedRequest = {
  token: "2026-Q4",
  sentAt: "2026-11-27T10:00:00.000Z",
  priorStart: "2026-11-01T08:00:00Z",
  clientRequestId: "c-1",
};

describe("plan: an unverified (lost-answer) rotation request", () => {
  it("is settled before rotating for the same token", () => {
    assert.equal(unverifiedFor(pending, "2026-Q4"), pending);
  });
  it("is not the one to settle for another token (a new token is a new rotation)", () => {
    assert.equal(unverifiedFor(pending, "2027-Q1"), undefined);
  });
  it("nothing to settle when none is pending", () => {
    assert.equal(unverifiedFor(undefined, "2026-Q4"), undefined);
  });
  it("was carried out when the device shows a rotation started after the prior one", () => {
    const d = windowsDevice({
      deviceActionResults: [rotationResult({ startDateTime: "2026-11-27T10:00:01Z" })],
    });
    assert.equal(wasCarriedOut(pending, d), true);
  });
  it("was not carried out when the device still shows only the prior rotation, or none", () => {
    const same = windowsDevice({
      deviceActionResults: [rotationResult({ startDateTime: pending.priorStart! })],
    });
    assert.equal(wasCarriedOut(pending, same), false);
    assert.equal(wasCarriedOut(pending, windowsDevice()), false);
  });
  it("with no prior rotation, any rotation on the device is the one sent", () => {
    const first = { ...pending, priorStart: undefined };
    const d = windowsDevice({ deviceActionResults: [rotationResult()] });
    assert.equal(wasCarriedOut(first, d), true);
    assert.equal(wasCarriedOut(first, windowsDevice()), false);
  });
});
