// Entry module for BitLockerKeyRotation (the engine itself is singleDeviceProvider.ts, its
// decisions plan/singleDevicePlan.ts), loaded by name from state:
//   require("pulumi-intune-bitlocker/engine/single-device")
// Its exports ARE the provider object Pulumi's host calls. They are a contract with every
// state ever written: add, never rename or remove.
import "../nodeCheck"; // first: a too-old Node.js fails here with one line
import { watchEngine } from "./engineWatchdog";
export {
  check,
  diff,
  create,
  update,
  read,
  deleteResource as delete,
} from "./singleDeviceProvider";
export { configureProvider as configure } from "./context";

// In the provider process: stop when the Pulumi CLI is gone (see engineWatchdog.ts).
watchEngine();
