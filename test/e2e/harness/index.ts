// End-to-end harness: the real `pulumi` CLI against temporary projects. See project.ts.
export { E2E_TMP_DIR, REPO_DIR, pulumiBinDir } from "./env";
export {
  RunningCommand,
  cmdline,
  descendants,
  isRunning,
  parentOf,
  providerHosts,
  type CommandResult,
} from "./process";
export { PulumiProject, type ProjectOptions } from "./project";
export type { PreviewJson, PreviewStep, ResourceState, StackExport } from "./types";
import type { PreviewJson, PreviewStep } from "./types";

/** The resource name in a URN (its last `::` part). */
export function urnName(urn: string): string {
  return urn.split("::").pop() ?? "";
}

/** Steps of a preview that change something (every op except "same"). */
export function changes(preview: PreviewJson): PreviewStep[] {
  return preview.steps.filter((s) => s.op !== "same");
}
