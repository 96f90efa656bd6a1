import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { MIN_NODE_VERSION, nodeVersionProblem } from "../../provider/plan/nodeVersion";

describe("the Node.js version check (provider/plan/nodeVersion)", () => {
  it("accepts the minimum and anything newer", () => {
    for (const v of ["22.19.0", "22.19.1", "22.20.0", "23.0.0", "24.21.0", "v24.1.0", "100.0.0"])
      assert.equal(nodeVersionProblem(v, "/x/node"), undefined, v);
  });

  it("refuses anything older with one line: what is needed, what was found, where, what to do", () => {
    for (const v of ["22.18.9", "22.0.0", "21.9.0", "20.20.2", "18.0.0", "garbage"]) {
      const m = nodeVersionProblem(v, "/usr/bin/node");
      assert.ok(m, v);
      assert.ok(!m.includes("\n"), "one line");
      assert.ok(
        m.startsWith(`pulumi-intune-bitlocker needs Node.js ≥ 22.19, found ${v} (/usr/bin/node): `),
        m,
      );
      assert.match(m, /newer node first on PATH/);
      assert.ok(m.endsWith("and run the command again."), m);
    }
  });

  it("reads only a version that starts the text (a v, then digits), refuses one found later in it", () => {
    assert.equal(nodeVersionProblem("v22.19.0-nightly", "/x/node"), undefined);
    for (const v of ["x24.0.0", "node 24.0.0", "-24.0.0"])
      assert.ok(nodeVersionProblem(v, "/x/node"), v);
  });

  it("is the package's engines.node", () => {
    const pkg = JSON.parse(
      readFileSync(path.join(__dirname, "..", "..", "provider", "package.json"), "utf8"),
    ) as { engines: { node: string } };
    assert.equal(pkg.engines.node, `>=${MIN_NODE_VERSION}`);
  });
});
