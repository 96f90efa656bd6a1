// Intune and Entra ids are GUIDs. Only a GUID is ever put into a request path, so no input
// can steer a request to another path (`../`, `%2F`, `?`, `#`). The one GUID rule: the Graph
// client's paths (graph/ids.ts) and the settings' tenant and client ids use it too.
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: unknown): value is string {
  return typeof value === "string" && GUID.test(value);
}

/** Lower-cases a GUID so that `ABC…` and `abc…` are one device, not a replacement. */
export function normalizeGuid(value: string): string {
  return value.toLowerCase();
}

/** Entra reports "no device" as the all-zero GUID. */
export function isNilGuid(value: string | undefined): boolean {
  return !value || /^0{8}-0{4}-0{4}-0{4}-0{12}$/.test(value);
}
