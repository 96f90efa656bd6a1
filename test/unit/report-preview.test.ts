// `bitlocker-report preview` over real `pulumi preview --json` output (Pulumi CLI v3.274.1
// against the simulated tenant; captured by scripts/capture-preview-fixtures.ts): the comment
// derives each resource's devices from the step's old outputs and new inputs through the
// engine's plan functions, so it must name exactly the devices the provider's own preview line
// names; and it stays within GitHub's comment limit for a fleet of 50,000.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { main, type ReportIo } from "../../provider/report/main";
import { parsePreview, readPreview, type PreviewReport } from "../../provider/report/preview";
import {
  GITHUB_COMMENT_LIMIT,
  renderPreviewMarkdown,
  renderPreviewText,
} from "../../provider/report/previewRender";
import { describeFleetPlan, detailFleetPlan } from "../../provider/plan/fleet/describe";
import { previewJsonLine } from "../../provider/plan/fleet/previewJson";
import { planFleet } from "../../provider/plan/fleet/plan";
import type { FleetInputs } from "../../provider/plan/fleet/inputs";

const DIR = path.join(__dirname, "fixtures", "preview");
const fixture = (name: string) => readFileSync(path.join(DIR, `${name}.json`), "utf8");
const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** The ids the provider's preview line names after "<what> N …:" (its lists hold ≤ 10). */
function named(line: string, what: "rotate" | "adopt" | "forget"): string[] {
  const m = new RegExp(`${what} \\d+[^:]*: ([^;]*)`).exec(line);
  return m ? (m[1]!.match(GUID) ?? []) : [];
}

async function run(argv: string[], text: string) {
  const out = { stdout: "", stderr: "" };
  const io: ReportIo = {
    readFile: async () => text,
    readStdin: async () => text,
    exportStack: async () => {
      throw new Error("not used");
    },
    stdout: { write: (s: string) => (out.stdout += s) },
    stderr: { write: (s: string) => (out.stderr += s) },
    now: () => new Date("2026-11-27T10:00:00Z"),
  };
  return { code: await main(argv, io), ...out };
}

const fleetOf = (r: PreviewReport) => r.resources.find((x) => x.kind === "fleet")!;
const singleOf = (r: PreviewReport) => r.resources.find((x) => x.kind === "single");

describe("report preview: real `pulumi preview --json` output", () => {
  it("create: a new fleet of 10 rotates the 10 its preview line names; the new device rotates", () => {
    const r = parsePreview(fixture("create"));
    assert.deepEqual([r.stack, r.project, r.failed], ["e2e", "previewfixtures", false]);
    const fleet = fleetOf(r);
    assert.equal(fleet.op, "create");
    assert.equal(fleet.notes.length, 1, "the provider's line is the fleet's");
    assert.match(fleet.notes[0]!, /^\[bitlocker\] fleet desktops: new fleet of 10: rotate 10/);
    assert.deepEqual(fleet.plan!.rotate, named(fleet.notes[0]!, "rotate"));
    assert.equal(fleet.plan!.rotate.length, 10);
    // The single device's token is a secret ("[secret]" in the preview): a create rotates anyway.
    assert.deepEqual(singleOf(r)!.plan!.rotate.length, 1);
  });

  it("update: 5 rotate (4 added, 1 deviceTokens edit), 2 forgotten, 7 unchanged, as the provider says", () => {
    const r = parsePreview(fixture("update"));
    const fleet = fleetOf(r);
    const line = fleet.notes[0]!;
    assert.deepEqual(fleet.plan!.rotate, named(line, "rotate"));
    assert.deepEqual(fleet.plan!.forget, named(line, "forget"));
    assert.deepEqual(
      [fleet.plan!.rotate.length, fleet.plan!.forget.length, fleet.plan!.unchanged],
      [5, 2, 7],
    );
    assert.match(line, /; 7 unchanged$/);
    // The secret token changed (update with every visible setting equal): it rotates.
    assert.equal(singleOf(r)!.op, "update");
    assert.equal(singleOf(r)!.plan!.rotate.length, 1);
  });

  it("a provider line naming a single device's id goes to that device; others to the general notes", () => {
    const doc = JSON.parse(fixture("update"));
    const id = doc.steps.find((x: { urn: string }) => x.urn.endsWith("::helpdesk")).newState.inputs
      .managedDeviceId as string;
    doc.diagnostics.push(
      {
        message: `[bitlocker] device ${id.toUpperCase()} (LAPTOP-9) is near the key cap\n`,
        severity: "info#err",
      },
      { message: "[bitlocker] something about no resource\n", severity: "info#err" },
    );
    const r = readPreview(doc);
    // Its own preview line ("will rotate device <id> (<name>)") and the one added here.
    const notes = singleOf(r)!.notes;
    assert.equal(notes.length, 2);
    assert.match(notes[0]!, new RegExp(`^\\[bitlocker\\] will rotate device ${id} \\(`));
    assert.equal(notes[1], `[bitlocker] device ${id.toUpperCase()} (LAPTOP-9) is near the key cap`);
    assert.deepEqual(r.notes, ["[bitlocker] something about no resource"]);
    assert.equal(fleetOf(r).notes.length, 1);
  });

  it("adopt: 4 newcomers adopted (rotateOnCreate: false), nothing rotates", () => {
    const fleet = fleetOf(parsePreview(fixture("adopt")));
    assert.deepEqual(fleet.plan!.adopt, named(fleet.notes[0]!, "adopt"));
    assert.deepEqual([fleet.plan!.rotate.length, fleet.plan!.adopt.length], [0, 4]);
  });

  it("guard refusal: the preview failed, the fleet shows the refusal and both provider lines, no stack trace", async () => {
    const r = parsePreview(fixture("guard-refusal"));
    assert.equal(r.failed, true);
    const fleet = fleetOf(r);
    assert.equal(fleet.op, "refused");
    assert.match(fleet.errors[0]!, /would rotate 14 device\(s\).*allows \(12\)/);
    assert.deepEqual(
      fleet.notes.map((n) => n.slice(0, 40)),
      [
        "[bitlocker] fleet desktops: rotate 14 (i",
        "[bitlocker] fleet desktops: rotate (if e", // the detail line: all 14 ids
        "[bitlocker] refused: fleet desktops woul",
      ],
    );
    assert.deepEqual(r.other, [], "no stack trace lines");
    const { code, stdout } = await run(
      ["preview", "-", "--format", "markdown"],
      fixture("guard-refusal"),
    );
    assert.equal(code, 0);
    assert.match(stdout, /^<!-- bitlocker-preview:e2e -->\n/);
    assert.match(
      stdout,
      /\*\*The preview failed: `pulumi up` would stop with the same error\.\*\*/,
    );
    assert.match(stdout, /\| fleet `desktops` \| refused ❌ \|/);
    assert.match(stdout, /pulumi config set bitlocker:maxRotationsPerUpdate 14/);
  });

  it("check failure: the preview failed with the input error", () => {
    const r = parsePreview(fixture("check-failure"));
    assert.equal(r.failed, true);
    assert.match(
      fleetOf(r).errors[0]!,
      /managedDeviceIds .* 1 id\(s\) are not GUIDs, e\.g\. "DESKTOP-42"/,
    );
  });

  it("check failure of a big fleet: the comment keeps the reason, not Pulumi's echo of every id", async () => {
    // Pulumi quotes the whole value before the reason ("value {<id>\n<id>…} has a problem: …");
    // 50,000 packed ids would push the reason past any line limit.
    const ids = Array.from(
      { length: 50_000 },
      (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    );
    const big = fixture("check-failure").replace(
      /value \{[^}]*\}/g,
      `value {${[...ids, "DESKTOP-42"].join("\\n")}}`,
    );
    const r = parsePreview(big);
    assert.match(
      fleetOf(r).errors[0]!,
      /^.*property managedDeviceIds has a problem: 1 id\(s\) are not GUIDs, e\.g\. "DESKTOP-42"$/,
    );
    const { code, stdout } = await run(["preview", "-", "--format", "markdown"], big);
    assert.equal(code, 0);
    assert.match(
      stdout,
      /> ❌ .*managedDeviceIds has a problem: 1 id\(s\) are not GUIDs, e\.g\. "DESKTOP-42"/,
    );
    assert.ok(!stdout.includes(ids[0]!), "no id of the echoed value");
  });

  it("markdown: counts in the table, each list in a <details>, the provider's line", async () => {
    const { code, stdout } = await run(
      ["preview", "-", "--format", "markdown", "--marker", "x"],
      fixture("update"),
    );
    assert.equal(code, 0);
    assert.match(stdout, /^<!-- x -->\n/);
    assert.match(stdout, /\*\*6 device\(s\) would rotate\*\*, 2 forgotten\./);
    assert.match(stdout, /\| fleet `desktops` \| update \| 5 \| 0 \| 0 \| 0 \| 2 \| 7 \|/);
    assert.match(stdout, /\| device `helpdesk` \| update \| 1 \| 0 \| 0 \| 0 \| 0 \| 0 \|/);
    assert.match(stdout, /<details><summary>5 device\(s\) would rotate \(if eligible\)<\/summary>/);
    assert.match(
      stdout,
      /<details><summary>2 device\(s\) would be forgotten \(nothing sent\)<\/summary>/,
    );
    assert.match(stdout, /```text\n\[bitlocker\] fleet desktops: rotate 5/);
    assert.equal(
      (stdout.match(/<details>/g) ?? []).length,
      (stdout.match(/<\/details>/g) ?? []).length,
    );
  });

  it("usage errors exit 2; stack export output is told apart", async () => {
    assert.equal((await run(["preview"], "")).code, 2);
    const wrong = await run(["preview", "-"], JSON.stringify({ version: 3, deployment: {} }));
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /not the output of `pulumi preview --json`/);
    assert.equal((await run(["preview", "-", "--max-chars", "10"], fixture("update"))).code, 2);
  });
});

describe("report preview: what the fleet's preview read (skips, rotations already made)", () => {
  // The update fixture, its fleet's provider lines replaced by what the engine writes after
  // preview reads found some devices not eligible and some rotated since their record: the
  // lines for people (describe.ts) and the line for the comment (previewJson.ts).
  function withReads(skipped: number, json = true) {
    const doc = JSON.parse(fixture("update"));
    const planned = fleetOf(readPreview(doc)).plan!;
    const extra = Array.from(
      { length: skipped },
      (_, i) => `0b7c5a2e-1111-4a2b-9c3d-${String(i + 1).padStart(12, "0")}`,
    );
    const all = [...planned.rotate, ...extra];
    const step = doc.steps.find((x: { urn: string }) => x.urn.endsWith("::desktops"));
    step.newState.inputs.managedDeviceIds = [
      ...String(step.newState.inputs.managedDeviceIds).split("\n"),
      ...extra,
    ].join("\n");
    // Past 10 of a kind, its ids are in the detail lines only.
    const kept = skipped ? 12 : 1;
    const [rotating, recorded] = [all.slice(0, 3), all.slice(3, 3 + kept)];
    const notWindows = all.slice(3 + kept);
    const plan = {
      rotate: all,
      settle: [],
      adopt: [],
      forget: planned.forget,
      unchanged: Array.from({ length: planned.unchanged }, () => "x"),
    };
    const preview = {
      rotate: rotating,
      skip: new Map([["notWindows", notWindows]]),
      recorded,
      unread: new Map<string, string[]>(),
      names: new Map([[notWindows[0]!, "MAC-1"]]),
    };
    const lines = [
      describeFleetPlan("desktops", plan as never, false, preview)!,
      ...detailFleetPlan("desktops", plan as never, preview),
      ...(json ? [previewJsonLine("desktops", plan as never, preview)] : []),
    ].map((l) => `[bitlocker] ${l}`);
    doc.diagnostics = [
      ...doc.diagnostics.filter((d: { message: string }) => !d.message.includes("fleet desktops")),
      { message: lines.join("\n") + "\n", severity: "info#err" },
    ];
    return { doc, rotating, recorded, notWindows };
  }

  for (const skipped of [0, 40]) {
    it(`the comment counts only what up sends: ${skipped ? "skips in detail lines" : "skips in the summary line"}`, () => {
      const { doc, rotating, recorded, notWindows } = withReads(skipped);
      const fleet = fleetOf(readPreview(doc));
      const sorted = (a: string[]) => [...a].sort();
      assert.deepEqual(sorted(fleet.plan!.rotate), sorted(rotating));
      assert.deepEqual(sorted(fleet.plan!.recorded), sorted(recorded));
      assert.deepEqual(
        sorted(fleet.plan!.skip),
        sorted(notWindows.map((id) => `${id} (notWindows)`)),
      );
      const md = renderPreviewMarkdown(readPreview(doc), {
        marker: "x",
        maxChars: GITHUB_COMMENT_LIMIT,
      });
      assert.match(md, /\*\*4 device\(s\) would rotate\*\*/); // 3 of the fleet, 1 single device
      assert.match(md, new RegExp(`, ${notWindows.length} skipped \\(read at preview\\)`));
      assert.match(md, new RegExp(`, ${recorded.length} already rotated \\(recorded, not sent\\)`));
      // The line for the comment is not shown; the lines for people are.
      assert.ok(!md.includes("preview-json"));
      assert.ok(!renderPreviewText(readPreview(doc)).includes("preview-json"));
      assert.ok(fleetOf(readPreview(doc)).notes.every((n) => !n.includes("preview-json")));
      assert.match(md, /\[bitlocker\] fleet desktops: rotate 3/);
    });
  }

  it("the lines for people are not parsed: without the JSON line, the lists stay as planned", () => {
    const { doc, rotating, recorded, notWindows } = withReads(40, false);
    const fleet = fleetOf(readPreview(doc));
    assert.equal(fleet.plan!.rotate.length, rotating.length + recorded.length + notWindows.length);
    assert.deepEqual([fleet.plan!.skip, fleet.plan!.recorded], [[], []]);
  });

  it("a JSON line of another fleet, or of an unknown version, moves nothing", () => {
    for (const edit of [
      (l: string) => l.replace('"fleet":"desktops"', '"fleet":"laptops"'),
      (l: string) => l.replace('"v":1', '"v":2'),
    ]) {
      const { doc } = withReads(40);
      for (const d of doc.diagnostics as { message: string }[])
        d.message = d.message.split("\n").map(edit).join("\n");
      const fleet = fleetOf(readPreview(doc));
      assert.deepEqual([fleet.plan!.skip, fleet.plan!.recorded], [[], []]);
    }
  });

  it("two fleets with one label (children of two components): each takes its own line, not the last", () => {
    const { doc, rotating, notWindows } = withReads(40);
    // A second fleet labelled "desktops" (another parent), its own devices, its own line.
    const step = doc.steps.find((x: { urn: string }) => x.urn.endsWith("::desktops"));
    const other = JSON.parse(JSON.stringify(step));
    other.urn = step.urn.replace(
      "BitLockerKeyRotationFleet::desktops",
      "BitLockerKeyRotationFleet::desktops-b",
    );
    other.newState.urn = other.urn;
    other.newState.inputs.label = "desktops";
    const ids = Array.from(
      { length: 4 },
      (_, i) => `0b7c5a2e-3333-4a2b-9c3d-${String(i).padStart(12, "0")}`,
    );
    other.newState.inputs.managedDeviceIds = ids.join("\n");
    other.oldState.outputs.devices = {};
    doc.steps.push(other);
    const plan = { rotate: ids, settle: [], adopt: [], forget: [], unchanged: [] };
    const preview = {
      rotate: ids.slice(0, 1),
      skip: new Map([["notFound", ids.slice(1)]]),
      recorded: [],
      unread: new Map<string, string[]>(),
      names: new Map<string, string>(),
    };
    // The second fleet's line comes last (Pulumi's order of diagnostics is not the steps').
    doc.diagnostics.push({
      message: `[bitlocker] ${previewJsonLine("desktops", plan as never, preview)}\n`,
      severity: "info#err",
    });
    const fleets = readPreview(doc).resources.filter((r) => r.kind === "fleet");
    assert.equal(fleets.length, 2);
    const a = fleets.find((r) => r.name === "desktops")!;
    const b = fleets.find((r) => r.name === "desktops-b")!;
    assert.deepEqual(b.plan!.rotate, ids.slice(0, 1));
    assert.equal(b.plan!.skip.length, 3);
    const sorted = (x: string[]) => [...x].sort();
    assert.deepEqual(sorted(a.plan!.rotate), sorted(rotating));
    assert.equal(a.plan!.skip.length, notWindows.length);
  });

  it("100,000 devices skipped or recorded: one line of JSON; the comment keeps under the limit", () => {
    const n = 100_000;
    const id = (i: number) => `0b7c5a2e-2222-4a2b-9c3d-${String(i).padStart(12, "0")}`;
    const all = Array.from({ length: n }, (_, i) => id(i));
    const doc = JSON.parse(fixture("update"));
    const step = doc.steps.find((x: { urn: string }) => x.urn.endsWith("::desktops"));
    step.newState.inputs.managedDeviceIds = all.join("\n");
    step.oldState.outputs.devices = {};
    const plan = { rotate: all, settle: [], adopt: [], forget: [], unchanged: [] };
    const preview = {
      rotate: all.slice(0, 10),
      skip: new Map([
        ["notWindows", all.slice(10, 60_000)],
        ["notFound", all.slice(60_000, 90_000)],
      ]),
      recorded: all.slice(90_000),
      unread: new Map<string, string[]>(),
      names: new Map<string, string>(),
    };
    const line = previewJsonLine("desktops", plan as never, preview);
    assert.ok(!line.includes("\n"), "one line");
    // ~39 characters an id: 3.9 MB for 100,000, in the job log once (the detail lines list them too).
    assert.ok(line.length < 45 * n, `${line.length} characters`);
    doc.diagnostics = [
      ...doc.diagnostics.filter((d: { message: string }) => !d.message.includes("desktops")),
      { message: `[bitlocker] ${line}\n`, severity: "info#err" },
    ];
    const report = readPreview(doc);
    const fleet = fleetOf(report);
    assert.deepEqual(
      [fleet.plan!.rotate.length, fleet.plan!.skip.length, fleet.plan!.recorded.length],
      [10, 89_990, 10_000],
    );
    const md = renderPreviewMarkdown(report, { marker: "m", maxChars: GITHUB_COMMENT_LIMIT });
    assert.ok(md.length <= GITHUB_COMMENT_LIMIT, `${md.length} characters`);
    assert.ok(!md.includes("preview-json"));
    assert.match(md, /\| fleet `desktops` \| update \| 10 \| 0 \| 89990 \|/);
  });
});

describe("report preview: a fleet of 50,000 devices within GitHub's comment limit", () => {
  const N = 50_000;
  const id = (n: number) => `0b7c5a2e-1111-4a2b-9c3d-${String(n).padStart(12, "0")}`;
  // The create fixture with its fleet's ids replaced by 50,000, and 300 removed by an update.
  function big(): PreviewReport {
    const doc = JSON.parse(fixture("create"));
    const step = doc.steps.find((s: { urn: string }) => s.urn.endsWith("::desktops"));
    step.newState.inputs.managedDeviceIds = Array.from({ length: N }, (_, i) => id(i));
    return readPreview(doc);
  }

  it("shortens the lists with '… N more, see the job log'; the text format keeps every id", () => {
    const report = big();
    assert.equal(fleetOf(report).plan!.rotate.length, N);
    const md = renderPreviewMarkdown(report, { marker: "m", maxChars: GITHUB_COMMENT_LIMIT });
    assert.ok(md.length <= GITHUB_COMMENT_LIMIT, `${md.length} characters`);
    assert.ok(md.length > GITHUB_COMMENT_LIMIT - 5_000, `uses the room: ${md.length}`);
    const more = /… (\d+) more, see the job log/.exec(md);
    assert.ok(more, "an explicit '… N more'");
    const shown = md.match(/^0b7c5a2e-1111-4a2b-9c3d-\d{12}$/gm) ?? [];
    assert.equal(shown.length + Number(more[1]), N, "shown + more = all");
    assert.deepEqual(shown.slice(0, 3), [id(0), id(1), id(2)], "the first ones, in order");
    assert.match(md, /\| fleet `desktops` \| create \| 50000 \|/);
    assert.match(md, /<details><summary>50000 device\(s\) would rotate \(if eligible\)<\/summary>/);
    // The small list (the single device) is shown whole.
    assert.ok(md.includes(singleOf(report)!.plan!.rotate[0]!));
    const text = renderPreviewText(report);
    assert.equal((text.match(/^ {2}rotate 0b7c5a2e/gm) ?? []).length, N);
  });

  it("with the provider's detail lines (every id, 100 a line) the comment keeps its shape", () => {
    // A new fleet of 5,000 prints 51 lines of up to ~5,000 characters at preview: cut to 2,000
    // each and 40 per resource, they alone exceed the limit. The comment must still close its
    // blocks, keep the device lists and fit, by showing fewer of those lines.
    const n = 5_000;
    const ids = Array.from({ length: n }, (_, i) => id(i));
    const doc = JSON.parse(fixture("create"));
    const step = doc.steps.find((s: { urn: string }) => s.urn.endsWith("::desktops"));
    step.newState.inputs.managedDeviceIds = ids.join("\n");
    const plan = planFleet(undefined, {
      managedDeviceIds: ids,
      rotationToken: "2026-Q4",
      rotateOnCreate: true,
    } as FleetInputs);
    const lines = [
      describeFleetPlan("desktops", plan, true)!,
      ...detailFleetPlan("desktops", plan),
    ];
    assert.ok(lines.length > 40);
    doc.diagnostics = [
      ...doc.diagnostics.filter((d: { message: string }) => !d.message.includes("fleet desktops")),
      ...lines.map((l) => ({ message: `[bitlocker] ${l}\n`, severity: "info#err" })),
    ];
    const md = renderPreviewMarkdown(readPreview(doc), {
      marker: "m",
      maxChars: GITHUB_COMMENT_LIMIT,
    });
    assert.ok(md.length <= GITHUB_COMMENT_LIMIT, `${md.length} characters`);
    assert.ok(!/comment cut at/.test(md), "not cut as raw text");
    assert.equal((md.match(/^`{3,}/gm) ?? []).length % 2, 0, "every code block closed");
    assert.equal(md.split("<details>").length, md.split("</details>").length);
    assert.match(md, /<details><summary>5000 device\(s\) would rotate \(if eligible\)<\/summary>/);
    assert.match(md, /\[bitlocker\] fleet desktops: new fleet of 5000: rotate 5000/);
    assert.match(md, /more line\(s\), see the job log/);
  });

  it("a smaller --max-chars is kept too", () => {
    const md = renderPreviewMarkdown(big(), { marker: "m", maxChars: 10_000 });
    assert.ok(md.length <= 10_000, `${md.length}`);
    assert.match(md, /… \d+ more, see the job log/);
  });
});
