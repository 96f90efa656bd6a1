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
import type * as Checks from "./fleetCheck";
import type * as Engine from "./fleetProvider";

const checks = () => require("./fleetCheck") as typeof Checks;
const engine = () => require("./fleetProvider") as typeof Engine;

export const check: typeof Checks.check = (olds, news) => checks().check(olds, news);
export const diff: typeof Checks.diff = (id, olds, news) => checks().diff(id, olds, news);
export const create: typeof Engine.create = (inputs) => engine().create(inputs);
export const update: typeof Engine.update = (id, olds, news) => engine().update(id, olds, news);
export const read: typeof Engine.read = (id, props) => engine().read(id, props);
const deleteResource: typeof Engine.deleteResource = (id, props) =>
  engine().deleteResource(id, props);
export { deleteResource as delete };
export { configureProvider as configure } from "./context";

// In the provider process: stop when the Pulumi CLI is gone (see engineWatchdog.ts).
watchEngine();
