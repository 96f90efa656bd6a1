import assert from "node:assert/strict";
import { isGuid, isNilGuid, normalizeGuid } from "../../provider/plan/ids";

const G = "0f8fad5b-d9cb-469f-a165-70867728950e";

describe("plan: ids (only a GUID reaches a request path)", () => {
  it("a GUID is a string of that exact form, in either case", () => {
    assert.equal(isGuid(G), true);
    assert.equal(isGuid(G.toUpperCase()), true);
    for (const bad of [`${G}/../x`, `x${G}`, G.slice(1), `${G}%2F`, ""]) {
      assert.equal(isGuid(bad), false, bad);
    }
  });

  it("only a string is a GUID, not a value that prints as one (an array, an object)", () => {
    assert.equal(isGuid([G]), false);
    assert.equal(isGuid({ toString: () => G }), false);
    assert.equal(isGuid(undefined), false);
  });

  it("normalizes to lower case so that two spellings are one device", () => {
    assert.equal(normalizeGuid(G.toUpperCase()), G);
  });

  it("nil: missing, empty or exactly the all-zero GUID; a longer run of zeros is not", () => {
    assert.equal(isNilGuid(undefined), true);
    assert.equal(isNilGuid(""), true);
    assert.equal(isNilGuid("00000000-0000-0000-0000-000000000000"), true);
    assert.equal(isNilGuid("100000000-0000-0000-0000-000000000000"), false);
    assert.equal(isNilGuid("00000000-0000-0000-0000-0000000000001"), false);
    assert.equal(isNilGuid(G), false);
  });
});
