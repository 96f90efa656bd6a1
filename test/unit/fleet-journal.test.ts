import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { RunJournal } from "../../provider/engine/fleet/runJournal";

describe("fleet: run journal", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), "journal-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("reads back what was appended, the latest entry per device winning", () => {
    const j = RunJournal.for("laptops", "/project", dir);
    j.append([{ d: "a", t: "h1", at: new Date().toISOString() }]);
    j.append([
      { d: "a", t: "h2", at: new Date().toISOString() },
      { d: "b", t: "h1", at: new Date().toISOString() },
    ]);
    const read = RunJournal.for("laptops", "/project", dir).read();
    assert.deepEqual([read.get("a")?.t, read.get("b")?.t], ["h2", "h1"]);
  });

  it("is separate per project directory and resource name", () => {
    RunJournal.for("laptops", "/project", dir).append([
      { d: "a", t: "h", at: new Date().toISOString() },
    ]);
    assert.equal(RunJournal.for("desktops", "/project", dir).read().size, 0);
    assert.equal(RunJournal.for("laptops", "/other", dir).read().size, 0);
  });

  it("forgets entries after a day and survives a line cut short by a kill", () => {
    const j = RunJournal.for("laptops", "/project", dir);
    const old = new Date(Date.now() - 25 * 3600_000).toISOString();
    j.append([
      { d: "old", t: "h", at: old },
      { d: "new", t: "h", at: new Date().toISOString() },
    ]);
    appendFileSync(j.file, '{"d":"cut","t":');
    assert.deepEqual([...j.read().keys()], ["new"]);
    j.compact();
    assert.deepEqual([...j.read().keys()], ["new"]);
  });

  it("reads nothing (and does not throw) when there is no journal", () => {
    assert.equal(RunJournal.for("none", "/project", path.join(dir, "missing")).read().size, 0);
  });
});
