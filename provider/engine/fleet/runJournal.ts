// A fleet run's results live in memory until Pulumi saves them when the update returns. If
// `pulumi` is killed first, state keeps the old records and the next run would send every
// rotation again. The journal closes that gap on this machine: each accepted rotation is
// appended (synchronously) as its answer arrives, and the next run records journaled devices
// for the same token without sending. Only requests in flight at the kill may then repeat.
//
// It lives outside the project (no stray files in a repository), keyed by project directory
// and resource name (a killed first run gets a new resource id), and forgets entries after a
// day. On another machine (a CI re-run on a fresh runner) there is no journal, and the next
// run resends: a duplicate rotation only adds a recovery key, a skipped one would leave a
// disclosed key valid.
import { createHash } from "node:crypto";
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export interface JournalEntry {
  /** Device id. */
  d: string;
  /** tokenHash the rotation was for. */
  t: string;
  /** When it was requested (ISO 8601). */
  at: string;
}

const MAX_AGE_MS = 24 * 60 * 60 * 1000;

export function journalDir(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(cache, "pulumi-intune-bitlocker", "journal");
}

export class RunJournal {
  private constructor(readonly file: string) {}

  static for(label: string, projectDir = process.cwd(), dir = journalDir()): RunJournal {
    const key = createHash("sha256").update(`${projectDir}\0${label}`).digest("hex").slice(0, 24);
    return new RunJournal(path.join(dir, `${key}.jsonl`));
  }

  /** Entries younger than a day, by device (the latest wins). */
  read(now = Date.now()): Map<string, JournalEntry> {
    const entries = new Map<string, JournalEntry>();
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch {
      return entries;
    }
    for (const line of text.split("\n")) {
      if (!line) continue;
      try {
        const e = JSON.parse(line) as JournalEntry;
        if (now - Date.parse(e.at) < MAX_AGE_MS) entries.set(e.d, e);
      } catch {
        // A line cut short by the kill: ignore it.
      }
    }
    return entries;
  }

  append(entries: JournalEntry[]): void {
    if (entries.length === 0) return;
    try {
      mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      appendFileSync(this.file, entries.map((e) => JSON.stringify(e) + "\n").join(""), {
        mode: 0o600,
      });
    } catch {
      // The journal only saves repeats after a crash; a read-only home must not fail a run.
    }
  }

  /** Drops expired entries (called when a run ends, so the file stays small). */
  compact(now = Date.now()): void {
    const live = [...this.read(now).values()];
    try {
      writeFileSync(this.file, live.map((e) => JSON.stringify(e) + "\n").join(""), { mode: 0o600 });
    } catch {
      // as above
    }
  }
}
