// The engine side, for tests and tools. Pulumi loads the per-resource entry modules
// (engine/single-device, …) by name; see resources/engineProvider.ts.
export * as singleDevice from "./singleDevice";
export { configure } from "./context";
