import assert from "node:assert/strict";
import { DEFAULT_KEY_CAP, keyCapMessage, keyCapVerdict } from "../../provider/plan/keyCap";

describe("plan: the 200-recovery-keys cap", () => {
  it("is ok below the warning, warns from 180, refuses from 195 by default", () => {
    assert.equal(keyCapVerdict(179, DEFAULT_KEY_CAP), "ok");
    assert.equal(keyCapVerdict(180, DEFAULT_KEY_CAP), "warn");
    assert.equal(keyCapVerdict(194, DEFAULT_KEY_CAP), "warn");
    assert.equal(keyCapVerdict(195, DEFAULT_KEY_CAP), "refuse");
  });
  it("can be turned off or tightened", () => {
    assert.equal(keyCapVerdict(199, { recoveryKeyWarnAt: 0, recoveryKeyLimit: 0 }), "ok");
    assert.equal(keyCapVerdict(10, { recoveryKeyWarnAt: 5, recoveryKeyLimit: 10 }), "refuse");
  });
  it("says what to do", () => {
    assert.match(
      keyCapMessage("d1", 196, DEFAULT_KEY_CAP),
      /196 recovery keys.*at most 200.*Delete old recovery keys.*recoveryKeyLimit/,
    );
    assert.match(keyCapMessage("d1", 185, DEFAULT_KEY_CAP), /15 rotation\(s\) left/);
  });
});
