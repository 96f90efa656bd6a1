// `bitlocker-report preview`: the output of `pulumi preview --json` as the pull-request comment
// (Markdown), the job log's full text, or JSON. See docs/reports.md and docs/gitops.md.
import { StateFormatError } from "./exported";
import { oneOf, parseCommandLine, positiveInt, UsageError } from "./options";
import { parsePreview, type PreviewReport } from "./preview";
import {
  defaultMarker,
  GITHUB_COMMENT_LIMIT,
  renderPreviewJson,
  renderPreviewMarkdown,
  renderPreviewText,
} from "./previewRender";

const PREVIEW_FORMATS = ["markdown", "text", "json"] as const;
type PreviewFormat = (typeof PREVIEW_FORMATS)[number];

export const PREVIEW_USAGE = `Usage:
  bitlocker-report preview [FILE | -] [options]   read \`pulumi preview --json\` output (- = stdin)

  pulumi preview --json > preview.json || true
  bitlocker-report preview preview.json --format text                 # the job log: every device
  bitlocker-report preview preview.json --format markdown > comment.md  # the pull-request comment

Options:
  --format markdown|text|json   default: text on a terminal, else markdown
  --max-chars N                 longest Markdown body (default ${GITHUB_COMMENT_LIMIT}, GitHub's limit);
                                longer device lists end in "… N more, see the job log"
  --marker TEXT                 the hidden first line <!-- TEXT --> a pipeline finds its
                                earlier comment by (default bitlocker-preview:<stack>)
  -h, --help

Exit status: 0 written (also for a failed preview: the comment says why); 2 usage or input error.`;

interface PreviewOptions {
  input: string;
  format?: PreviewFormat;
  maxChars: number;
  marker?: string;
  help: boolean;
}

function parsePreviewOptions(argv: readonly string[]): PreviewOptions {
  const parsed = parseCommandLine(argv, {
    format: { type: "string", short: "f" },
    "max-chars": { type: "string" },
    marker: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  const { values, positionals } = parsed;
  const options: PreviewOptions = {
    input: positionals[0] ?? "",
    maxChars: GITHUB_COMMENT_LIMIT,
    help: values.help === true,
  };
  if (options.help) return options;
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length === 0
        ? "no input: give the file of `pulumi preview --json` (- for stdin)"
        : `one input file at most, got ${positionals.length}`,
    );
  if (values.format !== undefined)
    options.format = oneOf("--format", values.format, PREVIEW_FORMATS);
  if (values["max-chars"] !== undefined)
    options.maxChars = positiveInt("--max-chars", values["max-chars"], 2_000);
  if (values.marker !== undefined) {
    if (!values.marker.trim() || values.marker.includes("-->") || /\n/.test(values.marker))
      throw new UsageError("--marker must be one line of text without -->");
    options.marker = values.marker;
  }
  return options;
}

export interface PreviewIo {
  readFile(path: string): Promise<string>;
  readStdin(): Promise<string>;
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown };
}

export async function previewMain(argv: readonly string[], io: PreviewIo): Promise<number> {
  let options: PreviewOptions;
  try {
    options = parsePreviewOptions(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`bitlocker-report preview: ${e.message}\n\n${PREVIEW_USAGE}\n`);
    return 2;
  }
  if (options.help) {
    io.stdout.write(`${PREVIEW_USAGE}\n`);
    return 0;
  }
  let report: PreviewReport;
  const what = options.input === "-" ? "stdin" : options.input;
  try {
    let text: string;
    try {
      text = options.input === "-" ? await io.readStdin() : await io.readFile(options.input);
    } catch (e) {
      throw new StateFormatError(`cannot read ${what}: ${(e as Error).message}`);
    }
    report = parsePreview(text);
  } catch (e) {
    if (!(e instanceof StateFormatError)) throw e;
    io.stderr.write(`bitlocker-report preview: ${e.message}\n`);
    return 2;
  }
  const format = options.format ?? (io.stdout.isTTY ? "text" : "markdown");
  io.stdout.write(
    format === "json"
      ? renderPreviewJson(report)
      : format === "text"
        ? renderPreviewText(report)
        : renderPreviewMarkdown(report, {
            marker: options.marker ?? defaultMarker(report),
            maxChars: options.maxChars,
          }),
  );
  return 0;
}
