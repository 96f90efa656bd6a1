// The parts of the CLI's JSON output that tests read. Not exhaustive: the CLI prints more.

/** A resource in `pulumi stack export` (deployment version 3). */
export interface ResourceState {
  urn: string;
  type: string;
  id?: string;
  custom: boolean;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  parent?: string;
  provider?: string;
  dependencies?: string[];
  delete?: boolean;
  pendingReplacement?: boolean;
  initErrors?: string[];
  additionalSecretOutputs?: string[];
  [key: string]: unknown;
}

/** An operation the engine started but never saw finish (left by a crash). */
interface PendingOperation {
  resource: ResourceState;
  type: "creating" | "updating" | "deleting" | "reading" | "importing" | string;
}

export interface StackExport {
  version: number;
  deployment: {
    manifest: { time: string; magic: string; version: string };
    secrets_providers?: unknown;
    resources?: ResourceState[];
    pending_operations?: PendingOperation[];
  };
}

/** One step of `pulumi preview --json`. */
export interface PreviewStep {
  op:
    | "same"
    | "create"
    | "update"
    | "delete"
    | "replace"
    | "create-replacement"
    | "delete-replaced"
    | "read"
    | string;
  urn: string;
  /** Property names that differ (engine diff), when the provider reported them. */
  diffReasons?: string[];
  replaceReasons?: string[];
  detailedDiff?: Record<string, { kind: string; inputDiff?: boolean }> | null;
  oldState?: ResourceState;
  newState?: ResourceState;
  [key: string]: unknown;
}

export interface PreviewJson {
  config?: Record<string, string>;
  steps: PreviewStep[];
  duration?: number;
  /** Counts by op, e.g. { same: 2, update: 1 }. */
  changeSummary?: Record<string, number>;
  diagnostics?: { urn?: string; message: string; severity: string; [key: string]: unknown }[];
}
