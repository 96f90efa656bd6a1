// The per-machine fleet run lock (engine/runLock.ts), with real files and real processes.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { acquireRunLock, lastRunEnded } from "../../provider/engine/runLock";

describe("fleet run lock", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), "run-lock-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const locks = () => readdirSync(dir).filter((f) => f.endsWith(".pid"));
  const lockFile = () => path.join(dir, locks()[0]!);

  it("refuses while another live process holds the fleet, naming it; takes a dead one's over", async () => {
    const release = acquireRunLock("fleet-1", "laptops", dir);
    const other = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"]);
    try {
      writeFileSync(lockFile(), String(other.pid)); // as if that process had taken it
      assert.throws(
        () => acquireRunLock("fleet-1", "laptops", dir),
        new RegExp(
          `fleet laptops: another \`pulumi up\` on this machine \\(provider process ${other.pid}\\).*Nothing was sent`,
        ),
      );
      // Another fleet is not held.
      acquireRunLock("fleet-2", "desktops", dir)();
      // Releasing removes only a lock that is still ours.
      release();
      assert.equal(existsSync(lockFile()), true);
    } finally {
      other.kill("SIGKILL");
      await new Promise((r) => other.once("exit", r));
    }
    // Its process is gone (a killed run): the lock is taken over, and released by its new holder.
    // Taking it over counts as that run's end: its requests may still land after reads made before.
    const beforeTakeover = Date.now();
    const again = acquireRunLock("fleet-1", "laptops", dir);
    assert.equal(existsSync(lockFile()), true);
    assert.ok(lastRunEnded("fleet-1", dir) >= beforeTakeover, "a killed run counts as ended");
    again();
    assert.equal(locks().length, 0);
  });

  it("says when a run of the fleet last ended, in any process (0: none known)", () => {
    assert.equal(lastRunEnded("fleet-3", dir), 0);
    const before = Date.now();
    acquireRunLock("fleet-3", "laptops", dir)();
    assert.ok(lastRunEnded("fleet-3", dir) >= before);
    assert.equal(lastRunEnded("fleet-4", dir), 0, "another fleet's end is not this one's");
  });
});
