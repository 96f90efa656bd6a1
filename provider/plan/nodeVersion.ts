// The oldest Node.js this package runs on, and the one-line message for an older one.
// Why 22.19: undici 8 (the Graph client) declares node >= 22.19.0 and fails on older ones in
// its interceptors with an unreadable TypeError; @pulumi/pulumi 3.2xx and @azure/identity 4.1x
// need >= 22. Equal to `engines.node` in package.json (a unit test holds them together).
// No imports: this runs before anything else of the package is loaded.

export const MIN_NODE_VERSION = "22.19.0";

function parse(version: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** `undefined` when `version` (e.g. process.versions.node) is new enough, else what to tell the user. */
export function nodeVersionProblem(version: string, execPath: string): string | undefined {
  const found = parse(version);
  const min = parse(MIN_NODE_VERSION)!;
  if (found) {
    for (let i = 0; i < 3; i++) {
      if (found[i]! > min[i]!) return undefined;
      if (found[i]! < min[i]!) break;
      if (i === 2) return undefined;
    }
  }
  const [major, minor] = MIN_NODE_VERSION.split(".");
  return (
    `pulumi-intune-bitlocker needs Node.js ≥ ${major}.${minor}, found ${version} (${execPath}): ` +
    `put a newer node first on PATH (Pulumi runs the \`node\` it finds there; e.g. Node 22 LTS or 24) ` +
    `and run the command again.`
  );
}
