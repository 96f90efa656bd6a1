// A PreviewReport as the pull-request comment (Markdown: counts in view, every device list in a
// collapsible <details>, within GitHub's 65,536-character limit), as plain text for the job log
// (every id, no limit), or as JSON. Pure.
import { mayRotate, type DevicePlan, type PreviewReport, type PreviewResource } from "./preview";

/** GitHub refuses a comment body longer than this (characters). */
export const GITHUB_COMMENT_LIMIT = 65_536;

export interface PreviewMarkdownOptions {
  /** The hidden first line by which a pipeline finds (and replaces) its earlier comment. */
  marker: string;
  /** Largest body to produce. */
  maxChars: number;
}

export function defaultMarker(report: Pick<PreviewReport, "stack">): string {
  return `bitlocker-preview:${report.stack ?? "stack"}`;
}

type ListKind = "rotate" | "settle" | "skip" | "recorded" | "adopt" | "forget";
const LISTS: { kind: ListKind; title: (n: number) => string }[] = [
  { kind: "rotate", title: (n) => `${n} device(s) would rotate (if eligible)` },
  {
    kind: "settle",
    title: (n) => `${n} device(s) with a lost answer: read first, rotated only if it did not land`,
  },
  {
    kind: "skip",
    title: (n) => `${n} device(s) would be skipped, as the preview read them (reason after each)`,
  },
  {
    kind: "recorded",
    title: (n) => `${n} device(s) already rotated since their record: recorded, not sent`,
  },
  { kind: "adopt", title: (n) => `${n} device(s) would be adopted without rotating` },
  { kind: "forget", title: (n) => `${n} device(s) would be forgotten (nothing sent)` },
];

/** A provider line or error longer than this is cut in the comment (the job log has it whole). */
const MAX_LINE = 2_000;
/** Lines per resource in the comment. */
const MAX_LINES = 40;
/** Lines per resource tried in turn when the comment would be too long. */
const NOTE_LINES = [MAX_LINES, 10, 3, 1];

export function renderPreviewMarkdown(
  report: PreviewReport,
  options: PreviewMarkdownOptions,
): string {
  // Every list whole, if it fits; otherwise each list gets a share of the room left.
  const full = markdown(report, options.marker, () => Infinity);
  if (full.length <= options.maxChars) return full;
  // A big fleet's provider lines (its first line, then every id, 100 a line) can fill the
  // comment alone: fewer of them per resource before any raw cut (the job log has them all).
  let none = "";
  for (const lines of NOTE_LINES) {
    none = markdown(report, options.marker, () => 0, lines);
    const shown = shares(report, options.maxChars - none.length - 200);
    const cut = markdown(report, options.marker, (r, k) => shown.get(`${r.urn} ${k}`) ?? 0, lines);
    if (cut.length <= options.maxChars) return cut;
  }
  // Only a great many resources get here: the text itself is cut, which may leave a block
  // open; the job log has everything.
  const note = `\n\n… comment cut at ${options.maxChars} characters; see the job log for the whole preview\n`;
  return none.slice(0, Math.max(0, options.maxChars - note.length)) + note;
}

/** Ids shown per (resource, list): water-filling `room` characters, smallest lists first. */
function shares(report: PreviewReport, room: number): Map<string, number> {
  const lists: { key: string; ids: string[] }[] = [];
  for (const r of report.resources)
    for (const { kind } of LISTS)
      if (r.plan && r.plan[kind].length) lists.push({ key: `${r.urn} ${kind}`, ids: r.plan[kind] });
  lists.sort((a, b) => a.ids.length - b.ids.length);
  const out = new Map<string, number>();
  let left = Math.max(0, room);
  lists.forEach((l, i) => {
    const fair = left / (lists.length - i);
    let n = 0;
    let used = 0;
    while (n < l.ids.length && used + l.ids[n]!.length + 1 <= fair) used += l.ids[n++]!.length + 1;
    out.set(l.key, n);
    left -= used;
  });
  return out;
}

function markdown(
  report: PreviewReport,
  marker: string,
  shown: (r: PreviewResource, kind: ListKind) => number,
  noteLines = MAX_LINES,
): string {
  const out: string[] = [`<!-- ${marker.replace(/--/g, "—")} -->`];
  const where = [report.project, report.stack].filter(Boolean).join("/");
  out.push(`### BitLocker key rotations: preview${where ? ` of \`${md(where)}\`` : ""}`, "");
  const withPlan = report.resources.filter((r) => r.plan);
  const total = (k: ListKind) => withPlan.reduce((n, r) => n + r.plan![k].length, 0);
  const rotating = withPlan.reduce((n, r) => n + mayRotate(r.plan!), 0);
  const unknown = report.resources.filter((r) => !r.plan).length;
  if (report.failed)
    out.push(
      "**The preview failed: `pulumi up` would stop with the same error.** The errors are " +
        "below; the counts are what the resources the preview reached would do once it passes.",
      "",
    );
  if (report.resources.length === 0) {
    out.push("No BitLocker rotation resource in this preview.", "");
  } else {
    out.push(
      `${report.failed ? "" : "**"}${rotating} device(s) would rotate${report.failed ? "" : "**"}` +
        (total("skip") ? `, ${total("skip")} skipped (read at preview)` : "") +
        (total("recorded") ? `, ${total("recorded")} already rotated (recorded, not sent)` : "") +
        (total("adopt") ? `, ${total("adopt")} adopted without rotating` : "") +
        (total("forget") ? `, ${total("forget")} forgotten` : "") +
        (unknown ? `; ${unknown} resource(s) not known at preview` : "") +
        ". Devices that cannot rotate (gone, not eligible, at the key cap) are skipped with the reason, as the provider's lines say.",
      "",
      "| Resource | Change | Rotate | Settle first | Skip | Adopt | Forget | Unchanged |",
      "|---|---|--:|--:|--:|--:|--:|--:|",
    );
    for (const r of report.resources) {
      const p = r.plan;
      const cells = p
        ? [
            p.rotate.length,
            p.settle.length,
            p.skip.length,
            p.adopt.length,
            p.forget.length,
            p.unchanged + p.recorded.length,
          ]
        : ["?", "?", "?", "?", "?", "?"];
      out.push(`| ${title(r)} | ${r.op}${r.errors.length ? " ❌" : ""} | ${cells.join(" | ")} |`);
    }
    out.push("");
  }
  if (report.errors.length) out.push("**Errors:**", "", ...quote(report.errors), "");
  for (const r of report.resources) {
    const lists = r.plan ? LISTS.filter(({ kind }) => r.plan![kind].length) : [];
    if (!lists.length && !r.errors.length && !r.notes.length && !r.unknown) continue;
    out.push(`#### ${title(r)}: ${r.op}`, "");
    if (r.errors.length) out.push(...quote(r.errors.map((e) => `❌ ${e}`)), "");
    if (r.unknown) out.push(`Not known at preview: ${r.unknown}.`, "");
    if (r.notes.length)
      out.push("What the provider said at preview:", "", ...block(r.notes, true, noteLines), "");
    for (const { kind, title: t } of lists) {
      const ids = r.plan![kind];
      const n = Math.min(ids.length, shown(r, kind));
      const more = ids.length - n;
      out.push(
        `<details><summary>${t(ids.length)}</summary>`,
        "",
        ...block([...ids.slice(0, n), ...(more ? [`… ${more} more, see the job log`] : [])], false),
        "",
        "</details>",
        "",
      );
    }
  }
  if (report.notes.length) out.push("Other lines of the provider:", "", ...block(report.notes), "");
  if (report.other.length)
    out.push(
      "<details><summary>Other output of the provider</summary>",
      "",
      ...block(report.other),
      "",
      "</details>",
      "",
    );
  return out.join("\n");
}

function title(r: PreviewResource): string {
  return `${r.kind === "fleet" ? "fleet" : "device"} \`${md(r.name)}\``;
}

/** Backticks would end the code span; the name is shown as text. */
function md(s: string): string {
  return s.replace(/`/g, "'");
}

function cutLines(lines: readonly string[], max = MAX_LINES): string[] {
  const kept = lines
    .slice(0, max)
    .map((l) => (l.length > MAX_LINE ? `${l.slice(0, MAX_LINE)} … (cut, see the job log)` : l));
  if (lines.length > max) kept.push(`… ${lines.length - max} more line(s), see the job log`);
  return kept;
}

/** A fenced block longer than any run of backticks inside it; `cut`: provider text, not ids. */
function block(lines: readonly string[], cut = true, max = MAX_LINES): string[] {
  const kept = cut ? cutLines(lines, max) : [...lines];
  const longest = Math.max(
    2,
    ...kept.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((m) => m.length))),
  );
  const fence = "`".repeat(longest + 1);
  return [`${fence}text`, ...kept, fence];
}

function quote(lines: readonly string[]): string[] {
  return cutLines(lines).map(
    (l) => `> ${l.replace(/[<>]/g, (c) => (c === "<" ? "&lt;" : "&gt;"))}`,
  );
}

/** The job log's version: every id of every list, no limit. */
export function renderPreviewText(report: PreviewReport): string {
  const out: string[] = [];
  const where = [report.project, report.stack].filter(Boolean).join("/");
  out.push(
    `BitLocker key rotations: preview${where ? ` of ${where}` : ""}${report.failed ? " (FAILED)" : ""}`,
  );
  for (const e of report.errors) out.push(`error: ${e}`);
  for (const r of report.resources) {
    const p: DevicePlan | undefined = r.plan;
    out.push(
      "",
      `${r.kind === "fleet" ? "fleet" : "device"} ${r.name}: ${r.op}` +
        (p
          ? `: rotate ${p.rotate.length}, settle first ${p.settle.length}, skip ${p.skip.length}, recorded ${p.recorded.length}, adopt ${p.adopt.length}, forget ${p.forget.length}, unchanged ${p.unchanged}`
          : `: not known at preview (${r.unknown})`),
    );
    for (const e of r.errors) out.push(`  error: ${e}`);
    for (const n of r.notes) out.push(`  ${n}`);
    if (p) for (const { kind } of LISTS) for (const id of p[kind]) out.push(`  ${kind} ${id}`);
  }
  if (report.notes.length) out.push("", ...report.notes);
  if (report.other.length) out.push("", ...report.other);
  return out.join("\n") + "\n";
}

export function renderPreviewJson(report: PreviewReport): string {
  return JSON.stringify(report, null, 2) + "\n";
}
