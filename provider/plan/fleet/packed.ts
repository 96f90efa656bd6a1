// A fleet's id list and records as state keeps them (stateVersion 3). A 50,000-key map and a
// 50,000-element list cost more to pass through Pulumi's gRPC and JSON than the rest of a
// no-op `up` together (0.5 GiB in the provider process); a few long strings cost almost nothing.
//
//   inputs.managedDeviceIds   "<id>\n<id>\n…"   sorted; one id a line, so that a text diff
//                                               of it shows the ids added and removed
//   outputs.devices           { "<record line>": "<id> <id> …" }   the devices sharing a record
//                                               (status, time, token, detail: record.ts)
//
// Before (stateVersion 1 and 2), `devices` mapped each id to its line. Both forms are read: an id
// never holds a space and a record line always does, so the keys tell which form a map is.
// Pure.

/** The ids as the program sends them and state keeps them: one a line. */
export function packIds(ids: readonly string[]): string {
  return ids.join("\n");
}

export function unpackIds(packed: string): string[] {
  return packed === "" ? [] : packed.split("\n");
}

/** Groups id → line into line → "id id …", in the order the ids come. */
export function packDevices(lines: Iterable<readonly [string, string]>): Record<string, string> {
  const groups = new Map<string, string[]>();
  for (const [id, line] of lines) {
    const group = groups.get(line);
    if (group) group.push(id);
    else groups.set(line, [id]);
  }
  const out: Record<string, string> = {};
  for (const [line, ids] of groups) out[line] = ids.join(" ");
  return out;
}

/** True for the grouped form (record line → ids); false for id → line, or no devices. */
export function isPackedDevices(devices: Record<string, unknown>): boolean {
  for (const key in devices) return key.includes(" ");
  return false;
}

/**
 * Each device's record line, from either form. Values that are not strings are skipped and
 * named in `unreadable` (a hand-edited or damaged state).
 */
export function readDeviceLines(devices: unknown): {
  lines: Map<string, string>;
  unreadable: string[];
} {
  const lines = new Map<string, string>();
  const unreadable: string[] = [];
  if (typeof devices !== "object" || devices === null || Array.isArray(devices))
    return { lines, unreadable };
  const map = devices as Record<string, unknown>;
  if (isPackedDevices(map)) {
    for (const [line, ids] of Object.entries(map)) {
      if (typeof ids !== "string") unreadable.push(line);
      else for (const id of ids.split(" ")) if (id) lines.set(id, line);
    }
  } else {
    for (const [id, line] of Object.entries(map)) {
      if (typeof line !== "string") unreadable.push(id);
      else lines.set(id, line);
    }
  }
  return { lines, unreadable };
}

/** Each device's record line, from either form (see readDeviceLines). */
export function deviceLines(devices: unknown): Map<string, string> {
  return readDeviceLines(devices).lines;
}

/**
 * A fleet's `devices` output as device id → record line, from either form: for programs and
 * tools that read a fleet's records (`fleet.devices.apply(fleetDeviceRecords)`).
 */
export function fleetDeviceRecords(devices: Record<string, string>): Record<string, string> {
  return Object.fromEntries(deviceLines(devices));
}
