import assert from "node:assert/strict";
import { explainSkip } from "../../provider/report/explain";

describe("report: skip reasons", () => {
  it("explains every reason a fleet records, including the recovery-key cap", () => {
    for (const reason of [
      "notWindows",
      "osTooOld",
      "notJoined",
      "notEncrypted",
      "multiSession",
      "noEntraDevice",
      "notFound",
      "keyCap",
    ]) {
      const e = explainSkip(reason);
      assert.ok(e.meaning && !e.meaning.startsWith("Skipped:"), `no explanation for ${reason}`);
      assert.ok(e.hint && e.hint.length > 10);
    }
    assert.match(explainSkip("keyCap").hint!, /Delete old recovery keys/);
  });
});
