// A rotation token from the calendar: `rotationWindow({ every: "90d", anchor: "2026-01-01" })`
// is "window-2026-04-01" from 2026-04-01T00:00Z until 2026-06-30T00:00Z. A scheduled pipeline
// that runs `pulumi up` daily with it rotates once when a window begins and never otherwise.
//
// Everything is UTC: the anchor is a calendar date read as midnight UTC, and `now` must carry a
// zone ("Z", "+02:00") when it is a string, so that every runner, whatever its TZ, agrees on
// the window. Windows repeat both ways from the anchor (the anchor fixes their phase). Pure.

export interface RotationWindowOptions {
  /**
   * The window's length: "<n>d" days, "<n>w" weeks, "<n>mo" calendar months, "<n>y" years
   * (e.g. "90d", "2w", "3mo", "1y"). Months keep the anchor's day of month, or the month's
   * last day when it is shorter (anchor 2026-01-31, "1mo": Feb 28, Mar 31, Apr 30, …).
   */
  every: string;
  /** The start of one window: a calendar date "YYYY-MM-DD", read as midnight UTC. */
  anchor: string;
  /**
   * The moment to place in a window (default: the current time). A Date, epoch milliseconds,
   * or a string: "YYYY-MM-DD" (midnight UTC) or an ISO 8601 timestamp with a zone.
   */
  now?: Date | number | string;
  /** Put before the window's start date in the token. Default "window-". */
  prefix?: string;
}

export interface RotationWindow {
  /** `${prefix}YYYY-MM-DD`: the start date (UTC) of the window that holds `now`. */
  token: string;
  /** The window's first instant (inclusive). */
  start: Date;
  /** The next window's first instant (exclusive): when the token next changes. */
  end: Date;
  /** Windows from the anchor's: 0 for the anchor's own, negative before it. */
  index: number;
}

export class RotationWindowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RotationWindowError";
  }
}

type Period = { unit: "day"; days: number } | { unit: "month"; months: number };

const DAY_MS = 86_400_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP_RE =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/i;
/** Far enough for any schedule; keeps Date arithmetic exact and the year four digits. */
const MAX_DAYS = 36_600;
const MAX_MONTHS = 1_200;

/** The token of the window that holds `now`, e.g. "window-2026-04-01". */
export function rotationWindow(options: RotationWindowOptions): string {
  return rotationWindowBounds(options).token;
}

/** The window that holds `now`: its token, start, end and index. */
export function rotationWindowBounds(options: RotationWindowOptions): RotationWindow {
  if (typeof options !== "object" || options === null) {
    throw new RotationWindowError("rotationWindow needs { every, anchor }");
  }
  const period = parsePeriod(options.every);
  const anchor = parseAnchor(options.anchor);
  const now = parseNow(options.now ?? new Date());
  const prefix = options.prefix ?? "window-";
  if (typeof prefix !== "string") throw new RotationWindowError("prefix must be a string");

  let index: number;
  let start: Date;
  let end: Date;
  if (period.unit === "day") {
    const length = period.days * DAY_MS;
    index = Math.floor((now.getTime() - anchor.getTime()) / length);
    start = new Date(anchor.getTime() + index * length);
    end = new Date(start.getTime() + length);
  } else {
    const startOf = (k: number) => addMonths(anchor, k * period.months);
    const monthsApart =
      (now.getUTCFullYear() - anchor.getUTCFullYear()) * 12 +
      (now.getUTCMonth() - anchor.getUTCMonth());
    index = Math.floor(monthsApart / period.months);
    // The estimate is off by at most one window (day of month, clamping): settle it.
    while (startOf(index).getTime() > now.getTime()) index--;
    while (startOf(index + 1).getTime() <= now.getTime()) index++;
    start = startOf(index);
    end = startOf(index + 1);
  }
  return { token: `${prefix}${isoDate(start)}`, start, end, index };
}

function parsePeriod(every: unknown): Period {
  const forms = `"<n>d" (days), "<n>w" (weeks), "<n>mo" (months) or "<n>y" (years), e.g. "90d"`;
  if (typeof every !== "string") {
    throw new RotationWindowError(`every must be a string: ${forms}`);
  }
  const m = /^([1-9]\d*)(d|w|mo|y)$/.exec(every.trim().toLowerCase());
  if (!m) {
    const hint = /^\d+m$/i.test(every.trim())
      ? ` ("m" is ambiguous: write "${every.trim().slice(0, -1)}mo" for months)`
      : "";
    throw new RotationWindowError(`every: '${every}' is not ${forms}${hint}`);
  }
  const n = Number(m[1]);
  switch (m[2]) {
    case "d":
      return checkDays(n, every);
    case "w":
      return checkDays(n * 7, every);
    case "mo":
      return checkMonths(n, every);
    default:
      return checkMonths(n * 12, every);
  }
}

function checkDays(days: number, every: string): Period {
  if (days > MAX_DAYS) throw new RotationWindowError(`every: '${every}' is longer than 100 years`);
  return { unit: "day", days };
}

function checkMonths(months: number, every: string): Period {
  if (months > MAX_MONTHS) {
    throw new RotationWindowError(`every: '${every}' is longer than 100 years`);
  }
  return { unit: "month", months };
}

function parseAnchor(anchor: unknown): Date {
  if (typeof anchor !== "string" || !DATE_RE.test(anchor)) {
    throw new RotationWindowError(
      `anchor must be a calendar date "YYYY-MM-DD" (read as midnight UTC), not ${JSON.stringify(anchor)}`,
    );
  }
  return parseDate(anchor, "anchor");
}

/** "YYYY-MM-DD" → midnight UTC, rejecting dates that do not exist (2026-02-30). */
function parseDate(text: string, what: string): Date {
  const [, y, mo, d] = DATE_RE.exec(text) as RegExpExecArray;
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (isoDate(date) !== text) throw new RotationWindowError(`${what}: ${text} is not a date`);
  return date;
}

function parseNow(now: unknown): Date {
  let date: Date;
  if (now instanceof Date) {
    date = new Date(now.getTime());
  } else if (typeof now === "number") {
    date = new Date(now);
  } else if (typeof now === "string") {
    const text = now.trim();
    if (DATE_RE.test(text)) return parseDate(text, "now");
    const m = TIMESTAMP_RE.exec(text);
    if (!m) {
      throw new RotationWindowError(
        `now: '${now}' is not "YYYY-MM-DD" or an ISO 8601 timestamp such as 2026-04-01T00:00:00Z`,
      );
    }
    if (!m[1]) {
      throw new RotationWindowError(
        `now: '${now}' has no time zone; add "Z" (UTC) or an offset such as "+02:00" ` +
          `(without one it would be read in this machine's zone)`,
      );
    }
    // The calendar part must exist (Date.parse would roll 2026-02-30 over to March).
    parseDate(text.slice(0, 10), "now");
    date = new Date(Date.parse(text));
  } else {
    throw new RotationWindowError("now must be a Date, epoch milliseconds or an ISO 8601 string");
  }
  if (Number.isNaN(date.getTime()))
    throw new RotationWindowError(`now: ${String(now)} is not a time`);
  return date;
}

/** The anchor plus whole months, on the anchor's day or the month's last day if shorter. */
function addMonths(anchor: Date, months: number): Date {
  const total = anchor.getUTCFullYear() * 12 + anchor.getUTCMonth() + months;
  const year = Math.floor(total / 12);
  const month = total - year * 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(Date.UTC(year, month, Math.min(anchor.getUTCDate(), lastDay)));
}

function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}
