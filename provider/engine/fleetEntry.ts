// Entry module for BitLockerKeyRotationFleet (the engine itself is fleetProvider.ts and fleet/),
// loaded by name from state:
//   require("pulumi-intune-bitlocker/engine/fleet")
// Its exports ARE the provider object Pulumi's host calls: add, never rename or remove.
//
// The program loads this module too (Pulumi serializes it as that require), and the provider
// host calls check and diff for every preview and no-op `up`: so it loads nothing itself. check
// and diff load fleetCheck.ts (plan/ only); create, update and read load the Graph engine.
import "../nodeCheck"; // first: a too-old Node.js fails here with one line
import { watchEngine } from "./engineWatchdog";
import { lazyEntry } from "./lazyEntry";
import type * as Checks from "./fleetCheck";
import type * as Engine from "./fleetProvider";

const checks = () => require("./fleetCheck") as typeof Checks;
const engine = () => require("./fleetProvider") as typeof Engine;

export const check = lazyEntry(checks, "check");
export const diff = lazyEntry(checks, "diff");
export const create = lazyEntry(engine, "create");
export const update = lazyEntry(engine, "update");
export const read = lazyEntry(engine, "read");
const deleteResource = lazyEntry(engine, "deleteResource");
export { deleteResource as delete };
export { configureProvider as configure } from "./context";

// In the provider process: stop when the Pulumi CLI is gone (see engineWatchdog.ts).
watchEngine();
