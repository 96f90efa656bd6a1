// The real I/O of bitlocker-report: files, stdin, and `pulumi stack export` run on PATH.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { InputError, type ReportIo } from "./main";

/** Stack exports of large fleets run to tens of megabytes. */
const MAX_EXPORT_BYTES = 512 * 1024 * 1024;

export function nodeIo(): ReportIo {
  return {
    readFile: (path) => readFile(path, "utf8"),
    readStdin,
    exportStack,
    stdout: process.stdout,
    stderr: process.stderr,
    now: () => new Date(),
  };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString("utf8");
}

/** Runs `pulumi stack export --stack NAME` (never --show-secrets) and returns its stdout. */
function exportStack(stack: string, command = "pulumi"): Promise<string> {
  const args = ["stack", "export", "--stack", stack];
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { maxBuffer: MAX_EXPORT_BYTES, encoding: "utf8", windowsHide: true },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const e = error as NodeJS.ErrnoException & { code?: string | number };
        if (e.code === "ENOENT") {
          return reject(
            new InputError(
              "the pulumi CLI is not on PATH (needed for --stack); pass the file of `pulumi stack export` instead",
            ),
          );
        }
        const said = stderr.trim().split("\n").slice(-5).join("\n").slice(0, 2000);
        reject(
          new InputError(
            `\`pulumi ${args.join(" ")}\` failed${typeof e.code === "number" ? ` (exit ${e.code})` : ""}${said ? `:\n${said}` : ""}`,
          ),
        );
      },
    );
  });
}
