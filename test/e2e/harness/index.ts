// End-to-end harness: the real `pulumi` CLI against temporary projects. See project.ts.
export {
  DEFAULT_TIMEOUT_MS,
  E2E_TMP_DIR,
  REPO_DIR,
  pulumiBinDir,
  pulumiEnv,
  type PulumiEnvOptions,
} from "./env";
export {
  RunningCommand,
  cmdline,
  descendants,
  isRunning,
  parentOf,
  providerHosts,
  type CommandResult,
  type OutputCondition,
} from "./process";
export {
  CommandError,
  PulumiProject,
  type ConfigValue,
  type PreviewResult,
  type ProjectOptions,
  type RunOptions,
} from "./project";
export type {
  PendingOperation,
  PreviewJson,
  PreviewStep,
  ResourceState,
  StackExport,
} from "./types";
import type { PreviewJson, PreviewStep } from "./types";

/** The resource type in a URN: `urn:pulumi:stack::project::a$b::name` → `b`. */
export function urnType(urn: string): string {
  const qualified = urn.split("::")[2] ?? "";
  return qualified.split("$").pop() ?? "";
}

/** The resource name in a URN (its last `::` part). */
export function urnName(urn: string): string {
  return urn.split("::").pop() ?? "";
}

/** Steps of a preview that change something (every op except "same"). */
export function changes(preview: PreviewJson): PreviewStep[] {
  return preview.steps.filter((s) => s.op !== "same");
}
