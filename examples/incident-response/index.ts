// Incident response: rotate the recovery keys of these devices now, under this ticket, and
// follow each rotation to the device (waitFor: "applied"). The devices come from stack config
// and/or a file in the project (devices.txt), as ids or names. Every entry is checked against
// the tenant before anything is sent: a typo or an ambiguous name stops the run (in the pull
// request's preview already), so an incident never rotates "most of" the list by accident.
//
// The ticket is the rotation token: each device rotates once per ticket, and re-running (or a
// pipeline re-try) never rotates it again. The next incident's ticket rotates its list anew.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
  BitLockerKeyRotationFleet,
  fleetDeviceRecords,
  selectDevices,
} from "pulumi-intune-bitlocker";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const config = new pulumi.Config();
const ticket = config.require("ticket").trim();
const reason = config.get("reason")?.trim();

/** One requested device: an id or a name, and where it was written (for error messages). */
interface Entry {
  value: string;
  where: string;
}

function configEntries(): Entry[] {
  const list = config.getObject<unknown>("devices") ?? [];
  if (!Array.isArray(list) || list.some((v) => typeof v !== "string")) {
    throw new Error(`${pulumi.getProject()}:devices must be a list of device ids or names`);
  }
  return (list as string[]).map((value, i) => ({ value: value.trim(), where: `devices[${i}]` }));
}

/** devicesFile: one id or name per line; blank lines and `#` comments are ignored. */
function fileEntries(): Entry[] {
  const name = config.get("devicesFile") ?? "devices.txt";
  const file = path.resolve(__dirname, name);
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split(/\r?\n/)
    .map((line, i) => ({ value: line.replace(/#.*/, "").trim(), where: `${name}:${i + 1}` }))
    .filter((e) => e.value !== "");
}

export = async () => {
  if (ticket === "") throw new Error(`${pulumi.getProject()}:ticket is empty`);
  const entries = [...configEntries(), ...fileEntries()];
  if (entries.length === 0) {
    throw new Error(
      `incident ${ticket}: no devices; list them in devices (stack config) or devicesFile`,
    );
  }

  // Every managed device (any OS), to check ids and resolve names.
  const all = await selectDevices({ operatingSystem: "*" });
  const byId = new Map(all.map((d) => [d.id.toLowerCase(), d]));
  const byName = new Map<string, typeof all>();
  for (const d of all) {
    const key = d.deviceName.toLowerCase();
    byName.set(key, [...(byName.get(key) ?? []), d]);
  }

  const problems: string[] = [];
  const chosen = new Map<string, string>(); // id → name
  for (const { value, where } of entries) {
    if (GUID.test(value)) {
      const d = byId.get(value.toLowerCase());
      if (d) chosen.set(d.id, d.deviceName);
      else problems.push(`${where}: no managed device has the id ${value}`);
      continue;
    }
    const named = byName.get(value.toLowerCase()) ?? [];
    if (named.length === 1) chosen.set(named[0]!.id, named[0]!.deviceName);
    else if (named.length === 0) problems.push(`${where}: no managed device is named ${value}`);
    else {
      problems.push(
        `${where}: ${named.length} devices are named ${value} (${named.map((d) => d.id).join(", ")}); list the id instead`,
      );
    }
  }
  if (problems.length > 0) {
    throw new Error(`incident ${ticket}: nothing was rotated:\n  ${problems.join("\n  ")}`);
  }

  const fleet = new BitLockerKeyRotationFleet("incident", {
    managedDeviceIds: [...chosen.keys()],
    rotationToken: ticket,
    reason: reason ? `${ticket}: ${reason}` : ticket,
    // Follow each rotation until the device has applied it (or report it pending).
    waitFor: "applied",
    waitTimeoutSeconds: config.getNumber("waitTimeoutSeconds") ?? 900,
    pollIntervalSeconds: config.getNumber("pollIntervalSeconds") ?? 30,
  });

  return {
    ticket,
    devices: Object.fromEntries(chosen),
    // Per device: "<status> <time> <tokenHash> [detail]"; done = applied by the device.
    statuses: fleet.devices.apply(fleetDeviceRecords),
    counts: fleet.counts,
  };
};
