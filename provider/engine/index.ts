// The engine side, for tests and tools. Pulumi loads the per-resource entry modules
// (engine/single-device, engine/fleet) by name; see resources/engineProvider.ts.
import "../nodeCheck"; // first: a too-old Node.js fails here with one line
export * as singleDevice from "./singleDeviceEntry";
export * as fleet from "./fleetEntry";
export { configure } from "./context";
