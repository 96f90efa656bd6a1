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
import type * as Engine from "./singleDeviceProvider";

const engine = () => require("./singleDeviceProvider") as typeof Engine;

export const check: typeof Engine.check = (olds, news) => engine().check(olds, news);
export const diff: typeof Engine.diff = (id, olds, news) => engine().diff(id, olds, news);
export const create: typeof Engine.create = (inputs) => engine().create(inputs);
export const update: typeof Engine.update = (id, olds, news) => engine().update(id, olds, news);
export const read: typeof Engine.read = (id, props) => engine().read(id, props);
const deleteResource: typeof Engine.deleteResource = (id, props) =>
  engine().deleteResource(id, props);
export { deleteResource as delete };
export { configureProvider as configure } from "./context";

// In the provider process: stop when the Pulumi CLI is gone (see engineWatchdog.ts).
watchEngine();
