// The inputs are defined once (INPUTS in provider/plan/inputs.ts): the engine's check, the
// program's Args types and the docs' inputs table must all say the same.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  checkInputs,
  defaultColumn,
  INPUT_NAMES,
  INPUTS,
  inputsOf,
  resourceColumn,
  type InputSpec,
} from "../../provider/plan/inputs";

const REPO = path.resolve(__dirname, "../..");

/** The rows of the table under "## Inputs" in docs/concepts.md, cells trimmed. */
function docsInputsTable(): string[][] {
  const md = readFileSync(path.join(REPO, "docs/concepts.md"), "utf8");
  const section = md.slice(md.indexOf("\n## Inputs\n"));
  const lines = section.split("\n").filter((l) => l.startsWith("|"));
  return lines
    .slice(2) // header and separator
    .map((l) =>
      l
        .slice(1, -1)
        .split("|")
        .map((c) => c.trim()),
    );
}

/** A value of the wrong type for an input's kind. */
function wrongValue(spec: InputSpec): unknown {
  switch (spec.kind.type) {
    case "guid":
    case "token":
    case "guidList":
      return { not: "this" };
    case "tokenMap":
      return ["a list"];
    case "boolean":
      return "yes";
    case "oneOf":
      return "none-of-these";
    case "integer":
      return 1.5;
    case "text":
      return 5;
  }
}

const VALID: Record<string, unknown> = {
  managedDeviceId: "0b7c5a2e-0000-4000-8000-000000000001",
  managedDeviceIds: ["0b7c5a2e-0000-4000-8000-000000000001"],
  rotationToken: "2026-Q4",
};

describe("plan: inputs are defined once", () => {
  it("the docs' inputs table lists every input, with its resource, default and description", () => {
    const expected = INPUT_NAMES.map((n) => [
      `\`${n}\``,
      resourceColumn(INPUTS[n]),
      defaultColumn(INPUTS[n]),
      INPUTS[n].doc,
    ]);
    assert.deepEqual(docsInputsTable(), expected);
  });

  for (const resource of ["single", "fleet"] as const) {
    it(`${resource}: every input of the table is validated by check, naming the property`, () => {
      const names = inputsOf(resource);
      assert.ok(names.includes("recoveryKeyLimit") && names.includes("recoveryKeyWarnAt"));
      for (const name of names) {
        const news = { ...VALID, [name]: wrongValue(INPUTS[name]) };
        const { failures } = checkInputs(resource, news);
        assert.deepEqual(
          failures.map((f) => f.property),
          [name],
          `${name}: ${JSON.stringify(failures)}`,
        );
      }
    });
  }

  it("defaults come from the table", () => {
    const { inputs, failures } = checkInputs("single", VALID);
    assert.deepEqual(failures, []);
    for (const name of inputsOf("single")) {
      const k = INPUTS[name].kind;
      if ("default" in k) assert.equal(inputs[name], k.default, name);
    }
  });
});
