// `User-Agent: pulumi-intune-bitlocker/<version> node/<version>`. Graph's recovery-key API
// requires a User-Agent; Microsoft asks callers to name themselves in it.

/** Read through the package's own `exports` so it works from source (ts-node) and from dist. */
const { version } = require("pulumi-intune-bitlocker/package.json") as { version: string };

export const PACKAGE_NAME = "pulumi-intune-bitlocker";
export const PACKAGE_VERSION = version;

export function userAgent(extra?: string): string {
  const base = `${PACKAGE_NAME}/${version} node/${process.versions.node}`;
  return extra ? `${base} ${extra}` : base;
}
