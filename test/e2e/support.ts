// Shared helpers of the e2e suites: the simulated tenant (in the mocha process), credentials
// handed to the `pulumi` process, the fixed Pulumi programs (their inputs come from stack
// config, so the source never changes between runs) and readers of the exported state.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { LogEntry, SimulatedTenant, SimulatedTenantOptions } from "../../simulator/index";
import { ROTATE, TOKEN_PATH as TOKEN, startTenant } from "../support/tenant";
import {
  type CommandResult,
  type RunningCommand,
  isRunning,
  providerHosts,
  PulumiProject,
  type ProjectOptions,
  REPO_DIR,
  type ResourceState,
  type StackExport,
  urnName,
} from "./harness";

// Rotation requests (top-level or inside a $batch), Entra's token endpoint, and a device that
// meets every prerequisite and reports success at its next check-in: shared with the other suites.
export { ROTATE, addEligibleDevice as windowsDevice } from "../support/tenant";

const SINGLE_TYPE = "pulumi-nodejs:dynamic/bitlocker:BitLockerKeyRotation";
const FLEET_TYPE = "pulumi-nodejs:dynamic/bitlocker:BitLockerKeyRotationFleet";

/** The CA the simulated tenant's certificate chains to; the mocha process trusts it too. */
export const CA_PEM = path.join(REPO_DIR, ".sim", "ca.pem");

/** Starts the simulated tenant in this process: no generated fleet, check-ins only on checkIn(). */
export async function startE2eTenant(
  options: SimulatedTenantOptions = {},
): Promise<SimulatedTenant> {
  if (path.resolve(process.env.NODE_EXTRA_CA_CERTS ?? "") !== CA_PEM) {
    throw new Error(
      `run the e2e suite with NODE_EXTRA_CA_CERTS=${CA_PEM} (create it with ` +
        `node -e 'require("./simulator/dist").ensureCa(".sim")')`,
    );
  }
  // The Pulumi program and the provider host load the package by name: its built dist/.
  if (!fs.existsSync(path.join(REPO_DIR, "provider", "dist", "engine", "singleDeviceEntry.js"))) {
    throw new Error("provider/dist is missing: run `npm run build` before the e2e suite");
  }
  return startTenant({ fleet: false, checkInDelayMs: null, ...options });
}

/** Accepted rotation requests (Graph answered 204), top-level and inside $batch. */
export function rotations(tenant: SimulatedTenant, filter: { since?: Date } = {}): number {
  return tenant.log.count({ method: "POST", pathMatches: ROTATE, status: 204, ...filter });
}

/** Accepted rotation requests per device id (from the request path). */
export function rotationsByDevice(tenant: SimulatedTenant): Map<string, LogEntry[]> {
  const by = new Map<string, LogEntry[]>();
  for (const e of tenant.log.entries({ method: "POST", pathMatches: ROTATE, status: 204 })) {
    const id = e.path.split("/").at(-2) ?? "";
    by.set(id, [...(by.get(id) ?? []), e]);
  }
  return by;
}

/**
 * Graph writes of any kind: every POST/PATCH/PUT/DELETE except Entra's token endpoint and
 * the `$batch` envelope itself (its inner requests are logged one by one, with their own
 * method: a batch of GETs is a read).
 */
export function graphWrites(tenant: SimulatedTenant): LogEntry[] {
  return tenant.log
    .entries()
    .filter(
      (e) =>
        e.method !== "GET" &&
        e.method !== "HEAD" &&
        !TOKEN.test(e.path) &&
        !(e.batchId === undefined && /\/\$batch$/.test(e.path)),
    );
}

export interface AppCredentialsUsed {
  clientId: string;
  clientSecret: string;
}

/**
 * Environment of the `pulumi` process: endpoints, trust and (unless `app` is null) a client
 * secret. NODE_PRESERVE_SYMLINKS=1 makes the workspace-linked package serialize as the
 * compact `require("pulumi-intune-bitlocker/engine/…")`, as an npm-installed one does.
 */
export function tenantEnv(
  tenant: SimulatedTenant,
  app: AppCredentialsUsed | null = tenant.defaultApp,
): Record<string, string | undefined> {
  return {
    AZURE_TENANT_ID: tenant.tenantId,
    AZURE_AUTHORITY_HOST: tenant.authorityHost,
    BITLOCKER_GRAPH_ENDPOINT: tenant.url,
    AZURE_CLIENT_ID: app?.clientId,
    AZURE_CLIENT_SECRET: app?.clientSecret,
    AZURE_CLIENT_CERTIFICATE_PATH: undefined,
    AZURE_FEDERATED_TOKEN_FILE: undefined,
    NODE_EXTRA_CA_CERTS: CA_PEM,
    NODE_PRESERVE_SYMLINKS: "1",
  };
}

/**
 * An environment that unsets every variable of `env` (e.g. tenantEnv's: no tenant, app,
 * secret or endpoint), keeping only the trust of the simulated tenant's CA and the compact
 * serialization of the package (NODE_EXTRA_CA_CERTS, NODE_PRESERVE_SYMLINKS).
 */
export function bareEnv(
  env: Record<string, string | undefined>,
): Record<string, string | undefined> {
  return {
    ...Object.fromEntries(Object.keys(env).map((k) => [k, undefined])),
    NODE_EXTRA_CA_CERTS: CA_PEM,
    NODE_PRESERVE_SYMLINKS: "1",
  };
}

/** One BitLockerKeyRotation of the single-device program (stack config `e2e:devices`). */
export interface DeviceSpec {
  /** Pulumi resource name. */
  name: string;
  managedDeviceId: string;
  rotationToken: string;
  rotateOnCreate?: boolean;
  waitFor?: string;
  waitTimeoutSeconds?: number;
  pollIntervalSeconds?: number;
  reason?: string;
}

/** The single-device program: one BitLockerKeyRotation per entry of `e2e:devices` (JSON). */
export const SINGLE_PROGRAM = `
import * as pulumi from "@pulumi/pulumi";
import { BitLockerKeyRotation } from "pulumi-intune-bitlocker";

const config = new pulumi.Config("e2e");
const specs: { name: string; [k: string]: unknown }[] = JSON.parse(config.get("devices") ?? "[]");
for (const { name, ...args } of specs) {
  new BitLockerKeyRotation(name, args as any);
}
export const count = specs.length;
`;

/** One fleet of `e2e:fleet` (JSON: BitLockerKeyRotationFleet args). */
export const FLEET_PROGRAM = `
import * as pulumi from "@pulumi/pulumi";
import { BitLockerKeyRotationFleet } from "pulumi-intune-bitlocker";

const config = new pulumi.Config("e2e");
const args = JSON.parse(config.require("fleet"));
const fleet = new BitLockerKeyRotationFleet("fleet", args);
export const counts = fleet.counts;
export const lastRun = fleet.lastRun;
`;

/** Sets `e2e:devices` for the single-device program. */
export async function setDevices(project: PulumiProject, specs: DeviceSpec[]): Promise<void> {
  await project.configSet("e2e:devices", JSON.stringify(specs));
}

/** One spec per entry of `ids` (resource name → device id), each with `rotationToken`. */
export function deviceSpecs(ids: Record<string, string>, rotationToken: string): DeviceSpec[] {
  return Object.entries(ids).map(([name, id]) => ({ name, managedDeviceId: id, rotationToken }));
}

/**
 * A project `name` of the single-device program with `specs` as `e2e:devices`. The `pulumi`
 * process gets the tenant's endpoints and default app in its environment (tenantEnv) unless
 * `options.env` replaces them; `options` go to PulumiProject.create.
 */
export async function singleDeviceProject(
  tenant: SimulatedTenant,
  name: string,
  specs: DeviceSpec[],
  options: Omit<ProjectOptions, "name" | "program"> = {},
): Promise<PulumiProject> {
  const project = await PulumiProject.create({
    name,
    program: SINGLE_PROGRAM,
    env: tenantEnv(tenant),
    ...options,
  });
  await setDevices(project, specs);
  return project;
}

/** Removes a suite's project, then stops its tenant (either is missing if `before` failed). */
export async function closeStack(
  project: PulumiProject | undefined,
  tenant: SimulatedTenant | undefined,
): Promise<void> {
  await project?.dispose();
  await tenant?.close();
}

/** The BitLockerKeyRotation resources of an export, by resource name. */
export function singles(state: StackExport): Map<string, ResourceState> {
  const m = new Map<string, ResourceState>();
  for (const r of state.deployment.resources ?? []) {
    if (r.type === SINGLE_TYPE) m.set(urnName(r.urn), r);
  }
  return m;
}

/** The only fleet resource of an export. */
export function fleetOf(state: StackExport): ResourceState {
  const fleets = (state.deployment.resources ?? []).filter((r) => r.type === FLEET_TYPE);
  assert.equal(fleets.length, 1, "exactly one fleet resource in state");
  return fleets[0]!;
}

/** Outputs of a resource, typed loosely for assertions. */
export function outs(r: ResourceState | undefined): Record<string, unknown> {
  assert.ok(r, "resource missing from state");
  return r.outputs ?? {};
}

/** The whole output of a command, for text assertions. */
export function text(result: CommandResult): string {
  return `${result.stdout}\n${result.stderr}`;
}

/** Asserts that no command of `results` printed any of `needles` (a secret, a key's lines). */
export function assertNotPrinted(results: CommandResult[], needles: string[], what: string): void {
  for (const r of results) {
    for (const needle of needles) {
      assert.ok(!text(r).includes(needle), `${what} printed by ${r.command}`);
    }
  }
}

/** Where `needle` occurs in an export: the URNs of the resources holding it, or "elsewhere". */
export function whereIn(state: StackExport, needle: string): string[] {
  const found = (state.deployment.resources ?? [])
    .filter((r) => JSON.stringify(r).includes(needle))
    .map((r) => r.urn);
  if (found.length === 0 && JSON.stringify(state).includes(needle)) found.push("elsewhere");
  return found;
}

/**
 * Installs a copy of the built package as <project>/node_modules/pulumi-intune-bitlocker,
 * as `npm install pulumi-intune-bitlocker@<version>` would, with `edit` applied to its files
 * (an upgrade: a new version with changed code). Node resolves the package from the
 * project dir first, so both the program and the dynamic-provider host load this copy.
 */
export function installPackageCopy(
  project: PulumiProject,
  version: string,
  edit: (dir: string) => void = () => {},
): string {
  const src = path.join(REPO_DIR, "provider");
  const dest = path.join(project.dir, "node_modules", "pulumi-intune-bitlocker");
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(dest, { recursive: true });
  fs.cpSync(path.join(src, "dist"), path.join(dest, "dist"), { recursive: true });
  const pkg = JSON.parse(fs.readFileSync(path.join(src, "package.json"), "utf8")) as {
    version: string;
  };
  pkg.version = version;
  fs.writeFileSync(path.join(dest, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
  edit(dest);
  return dest;
}

/** Waits until `predicate` holds (polling), or fails after `timeoutMs`. */
/** A `pulumi` process group SIGKILLed by the test. */
export interface Kill {
  /** Accepted rotations the tenant had logged at the kill (killAtRotation). */
  rotationsAtKill: number;
  /** The provider hosts (in groups of their own: they must exit by themselves). */
  hosts: number[];
}

/** SIGKILLs `running`'s process group now, as a CI runner kills a job. */
export function killNow(running: RunningCommand, rotationsAtKill = 0): Kill {
  const kill: Kill = { rotationsAtKill, hosts: providerHosts(running.child.pid!) };
  running.signalGroup("SIGKILL");
  return kill;
}

/**
 * SIGKILLs `running`'s process group in the same turn as the tenant logs the `n`th accepted
 * rotation: the kill is known to land mid-run (with rotations left to send), whatever the
 * machine's speed. Rejects if the run ends first.
 */
export function killAtRotation(
  tenant: SimulatedTenant,
  running: RunningCommand,
  n: number,
): Promise<Kill> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const stop = tenant.log.onEntry((e) => {
      if (e.method !== "POST" || !ROTATE.test(e.path) || e.status !== 204 || ++seen < n) return;
      stop();
      // Never throw into the tenant's logging: a failure here fails the test instead.
      try {
        resolve(killNow(running, seen));
      } catch (err) {
        reject(err as Error);
      }
    });
    void running.done.then((r) => {
      stop();
      reject(new Error(`the run ended after ${seen} of ${n} rotations:\n${text(r)}`));
    });
  });
}

/**
 * After a kill: the provider hosts exit (their watchdog, within `hostExitMs`), every client
 * connection to the tenant closes (the killed processes are gone: nothing more can be sent)
 * and the requests already inside the tenant finish. Events, not guessed sleeps: a count of
 * the tenant's log taken after this is final for the killed run.
 */
export async function settleAfterKill(
  tenant: SimulatedTenant,
  kill: Kill,
  hostExitMs = 1500,
): Promise<void> {
  await eventually(() => !kill.hosts.some(isRunning), "the provider host to exit", hostExitMs);
  await tenant.noConnections();
  await tenant.idle();
}

export async function eventually(
  predicate: () => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
