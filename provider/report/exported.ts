// Reads the BitLocker resources out of `pulumi stack export` output (a version 3 deployment)
// or a self-managed backend's checkpoint file. Pure: text in, resources out.
import type { ResourceKind } from "./types";

export const SINGLE_TYPE = "pulumi-nodejs:dynamic/bitlocker:BitLockerKeyRotation";
export const FLEET_TYPE = "pulumi-nodejs:dynamic/bitlocker:BitLockerKeyRotationFleet";

/** Pulumi's marker for a secret value in state: specialSigKey and specialSecretSig of @pulumi/pulumi/runtime/rpc. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** A secret exported without --show-secrets: present, but unreadable (and never printed). */
export const SECRET: unique symbol = Symbol("secret");

export interface StateResource {
  urn: string;
  /** The resource name: the last part of the URN. */
  name: string;
  kind: ResourceKind;
  /** When Pulumi created the resource (newer CLIs record it). */
  created?: string;
  /** Outputs with readable secrets decoded and unreadable ones replaced by SECRET. */
  outputs: Record<string, unknown>;
}

export interface ExportedState {
  stack?: string;
  project?: string;
  resources: StateResource[];
  /** The stack's own outputs (e.g. `disclosed`, the reads of recovery keys), secrets decoded. */
  stackOutputs?: Record<string, unknown>;
}

export class StateFormatError extends Error {
  override readonly name = "StateFormatError";
}

export function parseExport(text: string): ExportedState {
  const trimmed = text.replace(/^\uFEFF/, "").trim();
  if (!trimmed)
    throw new StateFormatError("the input is empty; expected the JSON of `pulumi stack export`");
  let doc: unknown;
  try {
    doc = JSON.parse(trimmed);
  } catch (e) {
    throw new StateFormatError(
      `the input is not JSON (${(e as Error).message}); expected the output of \`pulumi stack export\``,
    );
  }
  return readExport(doc);
}

export function readExport(doc: unknown): ExportedState {
  const resources = resourcesOf(doc);
  const out: ExportedState = { resources: [] };
  for (const r of resources) {
    if (!isObject(r) || typeof r.urn !== "string") continue;
    if (!out.stack) Object.assign(out, stackOf(r.urn));
    if (r.delete === true) continue; // an old resource awaiting deletion after a replacement
    if (r.type === "pulumi:pulumi:Stack") {
      const stackOutputs = decodeSecrets(r.outputs);
      if (isObject(stackOutputs)) out.stackOutputs = stackOutputs;
      continue;
    }
    const kind = r.type === SINGLE_TYPE ? "single" : r.type === FLEET_TYPE ? "fleet" : undefined;
    if (!kind) continue;
    const outputs = decodeSecrets(r.outputs);
    out.resources.push({
      urn: r.urn,
      name: urnName(r.urn),
      kind,
      ...(typeof r.created === "string" ? { created: r.created } : {}),
      outputs: isObject(outputs) ? outputs : {},
    });
  }
  return out;
}

function resourcesOf(doc: unknown): unknown[] {
  // `pulumi stack export`: {version, deployment: {manifest, resources}}.
  // A self-managed backend's file: {version, checkpoint: {stack, latest: {manifest, resources}}}.
  let deployment: unknown;
  if (isObject(doc) && "deployment" in doc) deployment = doc.deployment;
  else if (isObject(doc) && isObject(doc.checkpoint)) deployment = doc.checkpoint.latest;
  else throw notAnExport();
  if (deployment === undefined || deployment === null) return []; // a stack never deployed
  if (!isObject(deployment)) throw notAnExport();
  const resources = deployment.resources;
  if (resources === undefined || resources === null) return [];
  if (!Array.isArray(resources)) throw notAnExport();
  return resources;
}

function notAnExport(): StateFormatError {
  return new StateFormatError(
    "the input is not the output of `pulumi stack export` (no deployment.resources)",
  );
}

/** "urn:pulumi:prod::fleet-ops::pulumi-nodejs:dynamic/bitlocker:BitLockerKeyRotation::laptop" → "laptop". */
export function urnName(urn: string): string {
  const parts = urn.split("::");
  return parts.length >= 4 ? parts.slice(3).join("::") : urn;
}

function stackOf(urn: string): { stack?: string; project?: string } {
  const m = /^urn:pulumi:([^:]+)::([^:]+)::/.exec(urn);
  return m ? { stack: m[1]!, project: m[2]! } : {};
}

function decodeSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeSecrets);
  if (!isObject(value)) return value;
  if (value[SECRET_SIG_KEY] === SECRET_SIG_VALUE) {
    if (typeof value.plaintext !== "string") return SECRET;
    try {
      return decodeSecrets(JSON.parse(value.plaintext));
    } catch {
      return SECRET;
    }
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeSecrets(v)]));
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
