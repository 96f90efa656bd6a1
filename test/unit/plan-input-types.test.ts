// The program's Args types, compiled with tsc as a user's program would be: they list every
// documented input and refuse wrong ones. Apart from plan-inputs.test.ts because it type-checks
// the repository (slow, and meaningless on Stryker's instrumented copy, which ignores it).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { INPUT_NAMES } from "../../provider/plan/inputs";

const REPO = path.resolve(__dirname, "../..");
const FIXTURE = path.join(__dirname, "fixtures", "typed-args.ts");

describe("plan: inputs are defined once: the Args types (compiled with tsc, as a user's program)", function () {
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
