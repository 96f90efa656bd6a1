#!/usr/bin/env node
// bitlocker-report: a stack's BitLocker rotations as a terminal table, Markdown or JSON.
// See docs/reports.md.
import "../nodeCheck"; // first: a too-old Node.js fails here with one line
import { nodeIo } from "./io";
import { main } from "./main";

// The reader went away (`bitlocker-report … | head`): stop quietly, as other tools do.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code !== "EPIPE") throw e;
  process.exit(typeof process.exitCode === "number" ? process.exitCode : 0);
});

main(process.argv.slice(2), nodeIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(
      `bitlocker-report: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    process.exitCode = 2;
  },
);
