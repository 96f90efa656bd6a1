// Entry module for BitLockerKeyRotation (the engine itself is singleDeviceProvider.ts, its
// decisions plan/singleDevicePlan.ts), loaded by name from state:
//   require("pulumi-intune-bitlocker/engine/single-device")
// Its exports ARE the provider object Pulumi's host calls. They are a contract with every
// state ever written: add, never rename or remove.
//
// The program loads this module too (Pulumi serializes it as that require): so it loads the
// engine only when the host first calls it. The engine's own imports stay clear of undici and
// @azure/identity, which load with the Graph client at the first read (engine/context.ts).
import "../nodeCheck"; // first: a too-old Node.js fails here with one line
import { watchEngine } from "./engineWatchdog";
import { lazyEntry } from "./lazyEntry";
import type * as Engine from "./singleDeviceProvider";

const engine = () => require("./singleDeviceProvider") as typeof Engine;

export const check = lazyEntry(engine, "check");
export const diff = lazyEntry(engine, "diff");
export const create = lazyEntry(engine, "create");
export const update = lazyEntry(engine, "update");
export const read = lazyEntry(engine, "read");
const deleteResource = lazyEntry(engine, "deleteResource");
export { deleteResource as delete };
export { configureProvider as configure } from "./context";

// In the provider process: stop when the Pulumi CLI is gone (see engineWatchdog.ts).
watchEngine();
