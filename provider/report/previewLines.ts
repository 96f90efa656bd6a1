// What a fleet's preview lines (plan/fleet/describe.ts) say the preview READ: the devices it
// found would be skipped (by reason) or already rotated since their record (recorded, not sent).
// The comment's lists come from the pure plan, which cannot know those device facts; without
// this, a fleet with a mistyped id and a macOS device would be announced as 3 rotations where
// `up` sends 1. Pure; parses the summary line and the detail lines describe.ts writes.

export interface ReadAtPreview {
  /** Device id → the reason it would be skipped. */
  skip: Map<string, string>;
  /** Devices already rotated since their record: `up` records them without sending. */
  recorded: Set<string>;
}

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const RECORDED_PART = "record without sending (rotated since) ";
const RECORDED_DETAIL = "already rotated since their record, recorded without sending";

const ids = (text: string) => (text.match(GUID) ?? []).map((id) => id.toLowerCase());

/** Splits at `sep` outside parentheses (device names and reasons sit inside them). */
function splitTop(text: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(") depth++;
    else if (c === ")") depth = Math.max(0, depth - 1);
    else if (depth === 0 && text.startsWith(sep, i)) {
      out.push(text.slice(start, i));
      start = i + sep.length;
      i += sep.length - 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

/** The devices the fleet `label`'s lines (without the `[bitlocker] ` prefix or with it) name as read. */
export function readAtPreview(label: string, lines: readonly string[]): ReadAtPreview {
  const found: ReadAtPreview = { skip: new Map(), recorded: new Set() };
  const head = `fleet ${label}: `;
  for (const raw of lines) {
    const line = raw.replace(/^\[bitlocker\] /, "");
    if (!line.startsWith(head)) continue;
    const body = line.slice(head.length);
    // A detail line: "<title>, all N [a-b]: ids".
    const detail = /^(.*), all \d+ \[\d+-\d+\]: ([\s\S]*)$/.exec(body);
    if (detail) {
      const title = detail[1]!;
      if (title.startsWith("skip "))
        for (const id of ids(detail[2]!)) found.skip.set(id, title.slice(5));
      else if (title === RECORDED_DETAIL) for (const id of ids(detail[2]!)) found.recorded.add(id);
      continue;
    }
    // The summary line: parts joined by "; ", skips grouped as "skip M (reason n: ids; …)".
    for (const part of splitTop(body.replace(/^new fleet of \d+: /, ""), "; ")) {
      const skip = /^skip \d+ \(([\s\S]*)\)$/.exec(part);
      if (skip) {
        for (const group of splitTop(skip[1]!, "; ")) {
          const m = /^(.+?) \d+: ([\s\S]*)$/.exec(group);
          if (m) for (const id of ids(m[2]!)) found.skip.set(id, m[1]!);
        }
      } else if (part.startsWith(RECORDED_PART)) {
        for (const id of ids(part.slice(RECORDED_PART.length))) found.recorded.add(id);
      }
    }
  }
  return found;
}
