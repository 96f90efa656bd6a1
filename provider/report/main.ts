// bitlocker-report's main function: options → state text → report → output and exit code.
// All I/O goes through `io`, so tests drive it with strings.
import { parseExport, StateFormatError } from "./exported";
import { renderJson } from "./json";
import { renderMarkdown } from "./markdown";
import { parseOptions, USAGE, UsageError, type CliOptions, type Format } from "./options";
import { buildReport, failingRows } from "./summary";
import { previewMain } from "./previewMain";
import { renderTable } from "./table";
import type { Report } from "./types";

export interface ReportIo {
  readFile(path: string): Promise<string>;
  readStdin(): Promise<string>;
  /** The stdout of `pulumi stack export --stack NAME`. */
  exportStack(stack: string): Promise<string>;
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown };
  now(): Date;
}

const EXIT_OK = 0;
const EXIT_FAIL_ON = 1;
const EXIT_USAGE = 2;

export async function main(argv: readonly string[], io: ReportIo): Promise<number> {
  if (argv[0] === "preview") return previewMain(argv.slice(1), io);
  let options: CliOptions;
  try {
    options = parseOptions(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`bitlocker-report: ${e.message}\n\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  if (options.help) {
    io.stdout.write(`${USAGE}\n`);
    return EXIT_OK;
  }
  let report: Report;
  try {
    const text = await readInput(options, io);
    const state = parseExport(text);
    report = buildReport(state, {
      now: options.now ?? io.now(),
      ...(options.overdueDays !== undefined ? { overdueDays: options.overdueDays } : {}),
    });
  } catch (e) {
    if (!(e instanceof StateFormatError || e instanceof InputError)) throw e;
    io.stderr.write(`bitlocker-report: ${e.message}\n`);
    return EXIT_USAGE;
  }
  const format = options.format ?? (io.stdout.isTTY ? "table" : "markdown");
  io.stdout.write(render(report, format, options.limit));
  for (const w of report.warnings) io.stderr.write(`bitlocker-report: warning: ${w}\n`);
  const failing = failingRows(report, options.failOn);
  if (failing.length > 0) {
    const found = options.failOn.filter(
      (s) => s === "overdue" || failing.some((r) => r.status === s),
    );
    io.stderr.write(
      `bitlocker-report: ${failing.length} device(s) ${found.join(" or ")} (--fail-on ${options.failOn.join(",")})\n`,
    );
    return EXIT_FAIL_ON;
  }
  return EXIT_OK;
}

function render(report: Report, format: Format, limit: number): string {
  switch (format) {
    case "json":
      return renderJson(report);
    case "markdown":
      return renderMarkdown(report, { limit });
    case "table":
      return renderTable(report, { limit });
  }
}

/** A failure to read the input (a file, stdin, the pulumi CLI): a message for a person. */
export class InputError extends Error {
  override readonly name = "InputError";
}

async function readInput(options: CliOptions, io: ReportIo): Promise<string> {
  const what =
    options.stack !== undefined
      ? `stack ${options.stack}`
      : options.input === "-"
        ? "stdin"
        : options.input!;
  try {
    if (options.stack !== undefined) return await io.exportStack(options.stack);
    if (options.input === "-") return await io.readStdin();
    return await io.readFile(options.input!);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot read ${what}: ${(e as Error).message}`);
  }
}
