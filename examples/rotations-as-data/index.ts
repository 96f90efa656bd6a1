// Rotation requests as data: rotations.yaml lists entries (devices or a device query, and a
// token); each entry becomes one BitLockerKeyRotationFleet named after it. The file is
// validated before anything runs (see rotations.ts): a mistake fails the pull request's
// preview with the line and entry to fix, and nothing rotates.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { BitLockerKeyRotationFleet, selectDevices } from "pulumi-intune-bitlocker";
import { parseRotations } from "./rotations";

const config = new pulumi.Config();

export = async () => {
  const file = config.get("file") ?? "rotations.yaml";
  const requests = parseRotations(fs.readFileSync(path.resolve(__dirname, file), "utf8"), file);

  const entryOf = new Map<string, string>(); // device id → the first entry that selects it
  const counts: Record<string, pulumi.Output<Record<string, number>>> = {};
  for (const request of requests) {
    const ids = request.devices ?? (await selectDevices(request.query)).map((d) => d.id);
    if (ids.length === 0) pulumi.log.warn(`${request.location}: ${request.name} selects no device`);
    for (const id of ids) {
      const other = entryOf.get(id.toLowerCase());
      if (other) {
        pulumi.log.warn(
          `device ${id} is selected by ${other} and ${request.name}: it rotates for each`,
        );
      } else {
        entryOf.set(id.toLowerCase(), request.name);
      }
    }

    const fleet = new BitLockerKeyRotationFleet(
      request.name,
      {
        managedDeviceIds: ids,
        rotationToken: request.token,
        reason: request.reason,
        waitFor: request.waitFor,
        rotateOnCreate: request.rotateOnCreate,
      },
      { aliases: request.formerNames.map((name) => ({ name })) },
    );
    counts[request.name] = fleet.counts;
  }
  return { entries: requests.map((r) => r.name), counts };
};
