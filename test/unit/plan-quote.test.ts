import assert from "node:assert/strict";
import { quoteForMessage } from "../../provider/plan/quote";

describe("plan: quoting values in messages", () => {
  it("escapes invisible and direction-changing characters that JSON.stringify leaves raw", () => {
    for (const c of ["\u202e", "\u200b", "\u009b", "\u0085", "\u2028", "\u2029", "\ufeff"]) {
      const q = quoteForMessage(`a${c}b`);
      assert.ok(!q.includes(c), `raw U+${c.codePointAt(0)!.toString(16)}`);
      assert.match(q, /\\u[0-9a-f]{4}/);
    }
  });
  it("bounds the length after escaping, never cutting an escape in half", () => {
    const q = quoteForMessage("\u202e".repeat(500), 60);
    assert.ok(q.length <= 63, `${q.length} characters`);
    assert.match(q, /^"(\\u202e)+…"$/);
    assert.equal(quoteForMessage("x".repeat(100), 10), `"${"x".repeat(10)}…"`);
  });
  it("leaves ordinary text, including non-Latin letters, as it is", () => {
    assert.equal(quoteForMessage("LAPTOP-042 Ünïcødé 設備"), '"LAPTOP-042 Ünïcødé 設備"');
  });
});
