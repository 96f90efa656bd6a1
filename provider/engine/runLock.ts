// One update of a fleet at a time on this machine. With the file backend, `pulumi cancel` only
// deletes the stack's lock: the cancelled `pulumi up` goes on rotating, and a second `up`
// started meanwhile races it (measured: 20 and 180 of 240 devices rotated twice). Each device's
// read shows only what Graph recorded before it, so the evidence rule cannot close that gap;
// refusing the second run can. The lock is a file naming the running provider's pid, keyed by
// the fleet's resource id (unique per stack and resource); a lock whose process is gone (a
// killed run) is taken over. Runs on other machines are not seen: see docs/reliability.md.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

function runLockDir(): string {
  const user = typeof process.getuid === "function" ? String(process.getuid()) : "user";
  return path.join(os.tmpdir(), `pulumi-intune-bitlocker-runs-${user}`);
}

/** True while a process with this pid exists (EPERM: it exists, not ours to signal). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the lock of fleet `resourceId`, or throws (naming the process that holds it) when
 * another live process does. Returns the release function.
 */
export function acquireRunLock(resourceId: string, label: string, dir = runLockDir()): () => void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${lockKey(resourceId)}.pid`);
  const mine = String(process.pid);
  if (!create(file, mine)) {
    let holder = NaN;
    try {
      holder = Number(readFileSync(file, "utf8").trim());
    } catch {
      // released meanwhile
    }
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
      throw new Error(
        `fleet ${label}: another \`pulumi up\` on this machine (provider process ${holder}) is ` +
          "still rotating this fleet; `pulumi cancel` removes the stack's lock but does not stop " +
          "a running update. Nothing was sent. Wait for that run to end (or stop it), then run " +
          "`pulumi up` again.",
      );
    }
    writeFileSync(file, mine); // a killed run's lock
    // It ended by now, and requests it sent may still land: reads from before are void too.
    markEnded(dir, resourceId);
  }
  return () => {
    markEnded(dir, resourceId);
    try {
      if (readFileSync(file, "utf8").trim() === mine) unlinkSync(file);
    } catch {
      // gone already
    }
  };
}

/** When a run of this fleet last ended on this machine: reads from before it are void. */
function markEnded(dir: string, resourceId: string): void {
  try {
    writeFileSync(endedFile(dir, resourceId), String(Date.now()));
  } catch {
    // the lock directory is gone: nothing to tell
  }
}

const lockKey = (resourceId: string) =>
  createHash("sha256").update(resourceId).digest("hex").slice(0, 24);
const endedFile = (dir: string, resourceId: string) =>
  path.join(dir, `${lockKey(resourceId)}.ended`);

/**
 * When (Date.now()) a run of fleet `resourceId` last ended on this machine, in any process; 0 if
 * none is known. Its rotations are not this process's: a preview read from before it may miss them.
 */
export function lastRunEnded(resourceId: string, dir = runLockDir()): number {
  try {
    const at = Number(readFileSync(endedFile(dir, resourceId), "utf8").trim());
    return Number.isFinite(at) ? at : 0;
  } catch {
    return 0;
  }
}

/** Creates `file` holding `content`; false if it exists. */
function create(file: string, content: string): boolean {
  try {
    writeFileSync(file, content, { flag: "wx" });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  }
}
