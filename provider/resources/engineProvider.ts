// The provider object handed to pulumi.dynamic.Resource, which Pulumi serializes into every
// resource's state. It must be small, hold no code of ours and no credential, and be the same
// in every version of this package, or upgrades would churn (and could rotate) state.
//
// Pulumi's closure serializer turns a module that lives under node_modules into
// `require("<package>/<export>")`: ~270 bytes. A linked package (npm link, a workspace) is
// not under node_modules by its real path and would be inlined by value, so there we fall
// back to methods that each require the engine by name (~2 KB, still no code of ours).
// Set NODE_PRESERVE_SYMLINKS=1 to get the compact form from a linked package.
import type * as pulumi from "@pulumi/pulumi";
import path from "node:path";

export function engineProvider(
  entry: "single-device" | "fleet",
  linked: pulumi.dynamic.ResourceProvider,
): pulumi.dynamic.ResourceProvider {
  const resolved = require.resolve(`pulumi-intune-bitlocker/engine/${entry}`);
  if (resolved.split(path.sep).includes("node_modules")) {
    return require(resolved) as pulumi.dynamic.ResourceProvider;
  }
  return linked;
}
