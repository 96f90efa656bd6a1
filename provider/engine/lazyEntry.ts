// The entry modules' exports (fleetEntry.ts, singleDeviceEntry.ts): each a plain function that
// loads its module at the first call, so loading an entry (the program does, to serialize the
// provider) loads no engine. Node caches the require: the cost is one lookup a call.
type Fn = (...args: never[]) => unknown;
type AnyArgs = (...args: unknown[]) => unknown;

/** `load()[name]`, loaded when first called. */
export function lazyEntry<M extends { [P in K]: Fn }, K extends keyof M>(
  load: () => M,
  name: K,
): M[K] {
  const call: AnyArgs = (...args) => (load()[name] as unknown as AnyArgs)(...args);
  return call as unknown as M[K];
}
