// `bitlocker-report preview`: the output of `pulumi preview --json` as the pull-request comment
// (Markdown), the job log's full text, or JSON. See docs/reports.md and docs/gitops.md.
import { parseArgs } from "node:util";
import { StateFormatError } from "./exported";
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

class PreviewUsageError extends Error {
  override readonly name = "PreviewUsageError";
}

function parsePreviewOptions(argv: readonly string[]): PreviewOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        format: { type: "string", short: "f" },
        "max-chars": { type: "string" },
        marker: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    throw new PreviewUsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  const options: PreviewOptions = {
    input: positionals[0] ?? "",
    maxChars: GITHUB_COMMENT_LIMIT,
    help: values.help === true,
  };
  if (options.help) return options;
  if (positionals.length !== 1)
    throw new PreviewUsageError(
      positionals.length === 0
        ? "no input: give the file of `pulumi preview --json` (- for stdin)"
        : `one input file at most, got ${positionals.length}`,
    );
  if (values.format !== undefined) {
    if (!(PREVIEW_FORMATS as readonly string[]).includes(values.format))
      throw new PreviewUsageError(
        `--format must be one of ${PREVIEW_FORMATS.join(", ")}, not "${values.format}"`,
      );
    options.format = values.format as PreviewFormat;
  }
  if (values["max-chars"] !== undefined) {
    const v = values["max-chars"];
    if (!/^\d+$/.test(v) || Number(v) < 2_000 || !Number.isSafeInteger(Number(v)))
      throw new PreviewUsageError(
        `--max-chars must be a whole number of at least 2000, not "${v}"`,
      );
    options.maxChars = Number(v);
  }
  if (values.marker !== undefined) {
    if (!values.marker.trim() || values.marker.includes("-->") || /\n/.test(values.marker))
      throw new PreviewUsageError("--marker must be one line of text without -->");
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
    if (!(e instanceof PreviewUsageError)) throw e;
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
