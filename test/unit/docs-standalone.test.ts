// The repository's docs are read by people who have only the repository: nothing may point at
// the files the project was researched from, and every relative link must lead to a file here.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const SKIP = new Set([
  "node_modules",
  ".git",
  "dist",
  ".e2e-tmp",
  ".sim",
  ".pulumi-state",
  "results",
]);
const TEXT = /\.(ts|js|mjs|md|json|ya?ml|sh)$/;
const OUTSIDE = ["shared", "reference"].join("/"); // spelled so that this file does not match

function* files(dir: string): Generator<string> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(p);
    else if (TEXT.test(entry.name) && entry.name !== "package-lock.json") yield p;
  }
}

describe("docs stand on their own", () => {
  it(`nothing cites the research notes outside the repository (${OUTSIDE}/…)`, () => {
    const citing = [...files(ROOT)].filter((f) => fs.readFileSync(f, "utf8").includes(OUTSIDE));
    assert.deepEqual(
      citing.map((f) => path.relative(ROOT, f)),
      [],
      "bring what is needed into docs/ and point there",
    );
  });

  it("every relative link of README.md and docs/*.md leads to a file of the repository", () => {
    const docs = [
      path.join(ROOT, "README.md"),
      ...fs
        .readdirSync(path.join(ROOT, "docs"))
        .filter((f) => f.endsWith(".md"))
        .map((f) => path.join(ROOT, "docs", f)),
    ];
    const broken: string[] = [];
    for (const doc of docs) {
      for (const m of fs.readFileSync(doc, "utf8").matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!.split("#")[0]!;
        if (target === "" || /^[a-z]+:/i.test(target)) continue;
        if (!fs.existsSync(path.resolve(path.dirname(doc), target)))
          broken.push(`${path.relative(ROOT, doc)} → ${m[1]}`);
      }
    }
    assert.deepEqual(broken, []);
  });
});
