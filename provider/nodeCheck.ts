// Imported first by every entry point (the program's `pulumi-intune-bitlocker`, the provider
// process's `…/engine/*`, the report CLI), before any dependency: on a Node.js that is too old,
// fail at once with one line saying what to do, not with a TypeError deep inside undici.
import { nodeVersionProblem } from "./plan/nodeVersion";

const problem = nodeVersionProblem(process.versions.node, process.execPath);
if (problem) {
  const error = new Error(problem);
  error.name = "UnsupportedNodeVersion";
  // No stack: nothing in it would help. `__pulumiRunError` makes Pulumi's program runner print
  // the message alone (it duck-types RunError), without importing @pulumi/pulumi here.
  error.stack = `${error.name}: ${problem}`;
  Object.defineProperty(error, "__pulumiRunError", { value: true });
  throw error;
}
