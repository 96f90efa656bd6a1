// Only a GUID is ever put into a request path or an OData literal, so no input can steer a
// request elsewhere (`../`, `%2F`, `?`, `#`) or widen a `$filter`.
import { isGuid } from "../plan/ids";
import type { DeviceCollection } from "./types";

/** Throws a TypeError naming what the id was for; the value is shown (ids are not secret). */
export function assertGuid(value: unknown, what: string): asserts value is string {
  if (!isGuid(value)) {
    const shown = typeof value === "string" ? JSON.stringify(value.slice(0, 60)) : typeof value;
    throw new TypeError(`${what} must be a GUID; got ${shown}`);
  }
}

const COLLECTIONS: readonly DeviceCollection[] = ["managedDevices", "comanagedDevices"];

export function assertCollection(value: unknown): asserts value is DeviceCollection {
  if (!COLLECTIONS.includes(value as DeviceCollection)) {
    throw new TypeError(
      `collection must be one of ${COLLECTIONS.join(", ")}; got ${String(value)}`,
    );
  }
}

/** `/deviceManagement/{collection}/{id}` (relative to the version root). */
export function devicePath(collection: DeviceCollection, id: string): string {
  assertCollection(collection);
  assertGuid(id, "managed device id");
  return `/deviceManagement/${collection}/${encodeURIComponent(id)}`;
}
