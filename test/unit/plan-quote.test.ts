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
  it("cuts only text longer than the limit: exactly the limit is kept whole", () => {
    assert.equal(quoteForMessage("x".repeat(10), 10), `"${"x".repeat(10)}"`);
    assert.equal(quoteForMessage("x".repeat(11), 10), `"${"x".repeat(10)}…"`);
  });
  it("a cut inside an escape drops the partial escape: a lone backslash or an unfinished \\uXXXX", () => {
    // 'ab"cd' is ab\"cd inside the quotes: a cut at 3 leaves a lone backslash.
    assert.equal(quoteForMessage('ab"cd', 3), '"ab…"');
    // U+202E is \u202e: a cut after 2 to 5 of its 6 characters leaves \u, \u2, \u20, \u202.
    for (const n of [2, 3, 4, 5]) assert.equal(quoteForMessage("a\u202e", n + 1), '"a…"', `${n}`);
    assert.equal(quoteForMessage("a\u202eb", 7), '"a\\u202e…"');
  });
  it("leaves ordinary text, including non-Latin letters, as it is", () => {
    assert.equal(quoteForMessage("LAPTOP-042 Ünïcødé 設備"), '"LAPTOP-042 Ünïcødé 設備"');
  });
});
