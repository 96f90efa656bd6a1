// The serialized provider is what every resource carries in state. It is captured through
// the real path (pulumi.dynamic.Resource → Pulumi's closure serializer) from the built
// package, in a child process so that the module layout is the one a user's program has.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const GOLDEN = path.join(__dirname, "fixtures", "serialized-provider.js.txt");
const SECRET = "s3cr3t-from-env-7f1c";

function serialized(env: Record<string, string>): Record<string, string> {
  const out = execFileSync(
    process.execPath,
    [path.join(ROOT, "test/support/print-serialized-provider.js")],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        AZURE_CLIENT_SECRET: SECRET,
        PULUMI_CONFIG: JSON.stringify({ "bitlocker:clientSecret": SECRET }),
        ...env,
      },
      encoding: "utf8",
    },
  );
  return JSON.parse(out) as Record<string, string>;
}

const TYPES = [
  "pulumi-nodejs:dynamic/bitlocker:BitLockerKeyRotation",
  "pulumi-nodejs:dynamic/bitlocker:BitLockerKeyRotationFleet",
];
const OUR_CODE = [
  "unmetPrerequisites",
  "GraphClient",
  "rotateBitLockerKeys",
  "undici",
  "clientSecret",
  SECRET,
];

describe("serialized provider", () => {
  describe("installed under node_modules (as users install it)", () => {
    let texts: Record<string, string>;
    before(() => (texts = serialized({ NODE_PRESERVE_SYMLINKS: "1" })));

    for (const type of TYPES) {
      it(`${type}: under 1 KB, a require of the engine by package name, nothing else`, () => {
        const text = texts[type]!;
        assert.ok(Buffer.byteLength(text) < 1024, `${Buffer.byteLength(text)} bytes`);
        assert.match(text, /require\("pulumi-intune-bitlocker\/engine\/[a-z-]+"\)/);
        for (const word of OUR_CODE) assert.ok(!text.includes(word), `contains ${word}`);
      });
    }

    it("is byte-for-byte the recorded one, so upgrades of this package change no state", () => {
      // If this fails, the serialized provider changed and so would every user's state.
      // Change the fixture only deliberately, with a note on the upgrade path.
      assert.equal(JSON.stringify(texts, null, 2) + "\n", readFileSync(GOLDEN, "utf8"));
    });
  });

  describe("linked (a workspace or npm link)", () => {
    it("falls back to methods that require the engine by name: no inlined code, no credential", () => {
      const text = serialized({})[TYPES[0]!]!;
      assert.ok(Buffer.byteLength(text) < 3072, `${Buffer.byteLength(text)} bytes`);
      for (const op of ["configure", "check", "diff", "create", "update", "read", "delete"]) {
        assert.match(
          text,
          new RegExp(`require\\("pulumi-intune-bitlocker/engine/single-device"\\)\\.${op}\\(`),
        );
      }
      for (const word of OUR_CODE) assert.ok(!text.includes(word), `contains ${word}`);
    });
  });
});
