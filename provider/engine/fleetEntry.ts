// Entry module for BitLockerKeyRotationFleet (the engine itself is fleetProvider.ts and fleet/),
// loaded by name from state:
//   require("pulumi-intune-bitlocker/engine/fleet")
// Its exports ARE the provider object Pulumi's host calls: add, never rename or remove.
import "../nodeCheck"; // first: a too-old Node.js fails here with one line
import { watchEngine } from "./engineWatchdog";
export { check, diff, create, update, read, deleteResource as delete } from "./fleetProvider";
export { configureProvider as configure } from "./context";

// In the provider process: stop when the Pulumi CLI is gone (see engineWatchdog.ts).
watchEngine();
