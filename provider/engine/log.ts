// Progress and notes from the engine process. Pulumi passes a dynamic provider's stderr
// through to the CLI output; stdout is reserved for the host's port handshake.
export function log(line: string): void {
  process.stderr.write(`[bitlocker] ${line}\n`);
}
