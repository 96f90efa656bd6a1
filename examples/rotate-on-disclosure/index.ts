// Rotate what was disclosed: every device whose BitLocker recovery key someone read (in the
// Entra or Intune portal, or through Graph) rotates once, on the next scheduled run.
//
// The token of a device is the time of the latest read of its key. A new read changes it, so
// the device rotates once; runs without a new read change nothing. The audit log keeps events
// 30 days, so the program also keeps what it declared last time, the `disclosed` stack output
// that the pipeline hands back as a file: a device whose event aged out keeps its token (no
// rotation) and stays in the fleet (its record kept).
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import {
  BitLockerKeyRotationFleet,
  mergeDisclosures,
  selectDisclosedDevices,
  type DisclosureRecord,
} from "pulumi-intune-bitlocker";

const config = new pulumi.Config();
const withinDays = config.getNumber("withinDays") ?? 30;
const previousFile = config.get("previousFile") || "previous-disclosures.json";

function previousDisclosures(): Record<string, DisclosureRecord> {
  // Required: without it, a device whose read aged out would lose its token and record.
  if (!fs.existsSync(previousFile)) {
    throw new Error(
      `${previousFile} is missing: write the previous run's output first, ` +
        `\`pulumi stack output disclosed --json > ${previousFile} || echo '{}' > ${previousFile}\` ` +
        `(the pipelines in pipelines/ do)`,
    );
  }
  return JSON.parse(fs.readFileSync(previousFile, "utf8") || "{}") as Record<
    string,
    DisclosureRecord
  >;
}

export = async () => {
  const previous = previousDisclosures();
  const read = await selectDisclosedDevices({ withinDays });
  const disclosed = mergeDisclosures(previous, read);
  const ids = Object.keys(disclosed);

  let counts: pulumi.Output<Record<string, number>> | undefined;
  if (ids.length > 0) {
    const fleet = new BitLockerKeyRotationFleet("disclosed", {
      managedDeviceIds: ids,
      // Every device has its own token; this one is never used.
      rotationToken: "disclosed",
      deviceTokens: Object.fromEntries(ids.map((id) => [id, disclosed[id]!.token])),
      reason: "Recovery key read (Entra audit: Read BitLocker key)",
    });
    counts = fleet.counts;
  }

  return {
    // Handed back to the next run (see previousFile), and read by the report: who read which
    // device's key and when.
    disclosed,
    readInWindow: read.map((d) => d.deviceName),
    counts,
  };
};
