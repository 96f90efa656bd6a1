// Prints bench/results/reliability.json (written by the reliability suite) as the Markdown
// tables of docs/reliability.md:
//   npx ts-node test/reliability/report.ts [results.json]
import * as fs from "node:fs";
import { RESULTS_FILE, type CaseResult } from "./support";

const file = process.argv[2] ?? RESULTS_FILE;
const { updated, cases } = JSON.parse(fs.readFileSync(file, "utf8")) as {
  updated: string;
  cases: CaseResult[];
};

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
/** One table cell: ids elided, at most `max` characters. */
const cell = (s: string, max = 220) => {
  const t = s.replace(GUID, "…").replace(/\|/g, "\\|").replace(/\n/g, " ");
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};
const seconds = (ms: number) =>
  !ms ? "–" : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;

console.log(`<!-- from ${file}, updated ${updated} -->`);
const suites = [...new Set(cases.map((c) => c.suite))];
for (const suite of suites) {
  console.log(`\n### ${suite}\n`);
  console.log(
    "| case | injected | what happened | state after the faulted run | each device rotated once, recorded | repeated rotations | rotation requests | time of the faulted run |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  for (const c of cases.filter((x) => x.suite === suite)) {
    const repeated = c.devices > 1 ? `${c.repeated} of ${c.devices}` : String(c.repeated);
    console.log(
      `| ${cell(c.case)} | ${cell(c.injected)} | ${cell(c.happened)}${c.notes ? ` (${cell(c.notes)})` : ""} | ${cell(c.state)} | ${c.converged ? "yes" : "**no**"} | ${c.repeated > 0 ? `**${repeated}**` : repeated} | ${c.attempts} | ${seconds(c.ms)} |`,
    );
  }
}
