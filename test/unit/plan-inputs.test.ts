// The inputs are defined once (INPUTS in provider/plan/inputs.ts): the engine's check, the
// program's Args types and the docs' inputs table must all say the same.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
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
const FIXTURE = path.join(__dirname, "fixtures", "typed-args.ts");

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

  describe("the Args types (compiled with tsc, as a user's program)", function () {
    this.timeout(180_000);
    let options: ts.CompilerOptions;
    let host: ts.CompilerHost;
    let first: ts.Program;

    before(() => {
      const config = ts.readConfigFile(path.join(REPO, "tsconfig.json"), ts.sys.readFile);
      options = {
        ...ts.parseJsonConfigFileContent(config.config, ts.sys, REPO).options,
        noEmit: true,
      };
      host = ts.createCompilerHost(options);
    });

    const messages = (diagnostics: readonly ts.Diagnostic[]) =>
      diagnostics.map((d) => {
        const line = d.file?.getLineAndCharacterOfPosition(d.start ?? 0).line;
        return `${line === undefined ? "" : `line ${line + 1}: `}TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
      });

    it("every documented input compiles on its resource (Required<Args> lists them all)", () => {
      first = ts.createProgram([FIXTURE], options, host);
      assert.deepEqual(messages(ts.getPreEmitDiagnostics(first)), []);
      // The fixture names every documented input of each resource.
      const text = readFileSync(FIXTURE, "utf8");
      for (const name of INPUT_NAMES) assert.match(text, new RegExp(`\\b${name}:`), name);
    });

    it("an unknown input, a fleet-only input, a bad waitFor and a missing token are refused", () => {
      // The same program without its @ts-expect-error marks: each marked line is an error.
      const source = readFileSync(FIXTURE, "utf8");
      const marks = source.split("\n").filter((l) => /^\s*\/\/ @ts-expect-error/.test(l)).length;
      const unmarked = source.replace(/^(\s*)\/\/ @ts-expect-error[^\n]*/gm, "$1//");
      const virtual = path.join(path.dirname(FIXTURE), "typed-args.unmarked.ts");
      const virtualHost: ts.CompilerHost = {
        ...host,
        fileExists: (f) => f === virtual || host.fileExists(f),
        readFile: (f) => (f === virtual ? unmarked : host.readFile(f)),
        getSourceFile: (f, lang, onError, create) =>
          f === virtual
            ? ts.createSourceFile(f, unmarked, lang)
            : host.getSourceFile(f, lang, onError, create),
      };
      const program = ts.createProgram([virtual], options, virtualHost, first);
      const errors = messages(ts.getPreEmitDiagnostics(program));
      assert.equal(errors.length, marks, errors.join("\n"));
      assert.ok(
        errors.some((e) => /TS(2353|2561) .*recoveryKeyLimt/.test(e)),
        errors.join("\n"),
      );
      assert.ok(
        errors.some((e) => /TS2353 .*'label'/.test(e)),
        errors.join("\n"),
      );
      assert.ok(
        errors.some((e) => /TS2322 .*"soon"/.test(e)),
        errors.join("\n"),
      );
      assert.ok(
        errors.some((e) => /TS2345 .*rotationToken/.test(e)),
        errors.join("\n"),
      );
    });
  });
});
