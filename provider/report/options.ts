// Command-line options of bitlocker-report, and the parsing both its commands share (preview:
// previewMain.ts). Pure: argv in, options (or a UsageError) out.
import { parseArgs } from "node:util";
import { STATUS_ORDER } from "./summary";

const FORMATS = ["table", "markdown", "json"] as const;
export type Format = (typeof FORMATS)[number];

export const DEFAULT_LIMIT = 50;

export const USAGE = `Usage:
  bitlocker-report [FILE | -] [options]      read \`pulumi stack export\` output (- = stdin)
  bitlocker-report --stack NAME [options]    run \`pulumi stack export --stack NAME\`
  bitlocker-report preview [FILE | -] [...]  the pull-request comment from \`pulumi preview --json\`
                                             (see bitlocker-report preview --help)

Options:
  --format table|markdown|json   default: table on a terminal, else markdown
  --overdue-days N               list devices whose last rotation request (or adoption)
                                 is N days or more old
  --now ISO-8601                 the time to compute ages against (default: now)
  --fail-on STATUS[,STATUS…]     exit 1 when a device has one of these statuses
                                 (escrowed, done, requested, pending, adopted, failed,
                                 notSupported, canceled, unverified, error, skipped,
                                 missing; overdue: any overdue device)
  --limit N                      rows per list in table and markdown (default ${DEFAULT_LIMIT}, 0 = all)
  -h, --help

Exit status: 0 report written; 1 a --fail-on status was found; 2 usage or input error.`;

export interface CliOptions {
  /** A file path, or "-" for stdin. */
  input?: string;
  stack?: string;
  /** Undefined: table on a TTY, else markdown. */
  format?: Format;
  overdueDays?: number;
  now?: Date;
  failOn: string[];
  limit: number;
  help: boolean;
}

export class UsageError extends Error {
  override readonly name = "UsageError";
}

type OptionSpec = Record<string, { type: "string" | "boolean"; short?: string }>;

/**
 * node:util's parseArgs as both commands use it (positionals allowed, unknown options refused),
 * its errors as UsageError.
 */
export function parseCommandLine<T extends OptionSpec>(argv: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** `value` if it is one of `allowed`, else a UsageError naming them. */
export function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`${flag} must be one of ${allowed.join(", ")}, not "${value}"`);
  return value as T;
}

export function parseOptions(argv: readonly string[]): CliOptions {
  const parsed = parseCommandLine(argv, {
    stack: { type: "string", short: "s" },
    format: { type: "string", short: "f" },
    "overdue-days": { type: "string" },
    now: { type: "string" },
    "fail-on": { type: "string" },
    limit: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  const { values, positionals } = parsed;
  const options: CliOptions = { failOn: [], limit: DEFAULT_LIMIT, help: values.help === true };
  if (options.help) return options;
  if (positionals.length > 1)
    throw new UsageError(`one input file at most, got ${positionals.length}`);
  if (positionals[0] !== undefined) options.input = positionals[0];
  if (values.stack !== undefined) {
    if (!values.stack.trim()) throw new UsageError("--stack needs a stack name");
    options.stack = values.stack;
  }
  if (options.input !== undefined && options.stack !== undefined) {
    throw new UsageError("give either a file (or -) or --stack, not both");
  }
  if (options.input === undefined && options.stack === undefined) {
    throw new UsageError(
      "no input: give the file of `pulumi stack export` (- for stdin) or --stack NAME",
    );
  }
  if (values.format !== undefined) options.format = oneOf("--format", values.format, FORMATS);
  if (values["overdue-days"] !== undefined)
    options.overdueDays = positiveInt("--overdue-days", values["overdue-days"], 1);
  if (values.limit !== undefined) options.limit = positiveInt("--limit", values.limit, 0);
  if (values.now !== undefined) {
    const t = Date.parse(values.now);
    if (!/^\d{4}-\d{2}-\d{2}/.test(values.now) || Number.isNaN(t)) {
      throw new UsageError(
        `--now must be an ISO 8601 time such as 2026-11-27T10:00:00Z, not "${values.now}"`,
      );
    }
    options.now = new Date(t);
  }
  if (values["fail-on"] !== undefined) {
    const words = values["fail-on"]
      .split(",")
      .map((w) => w.trim())
      .filter(Boolean);
    const known = [...STATUS_ORDER, "overdue"];
    const unknown = words.filter((w) => !known.includes(w));
    if (words.length === 0 || unknown.length > 0) {
      throw new UsageError(
        `--fail-on takes statuses from: ${known.join(", ")}${unknown.length ? ` (unknown: ${unknown.join(", ")})` : ""}`,
      );
    }
    if (words.includes("overdue") && options.overdueDays === undefined) {
      throw new UsageError("--fail-on overdue needs --overdue-days N");
    }
    options.failOn = [...new Set(words)];
  }
  return options;
}

/** A whole number of at least `min`, else a UsageError. */
export function positiveInt(flag: string, value: string, min: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(
      `${flag} must be a whole number${min > 0 ? ` of at least ${min}` : ""}, not "${value}"`,
    );
  }
  return Number(value);
}
