// A rotation schedule without a scheduler's state: the token is the calendar window that
// holds "now" (rotationWindow, a pure function of the package). A pipeline that runs
// `pulumi up` every day rotates each device once when a new window begins; every other run
// finds the same token and rotates nothing. A missed day only delays the window's rotation.
import * as pulumi from "@pulumi/pulumi";
import {
  BitLockerKeyRotationFleet,
  rotationWindowBounds,
  selectDevices,
} from "pulumi-intune-bitlocker";

const config = new pulumi.Config();
const every = config.get("every") || "90d";
const anchor = config.get("anchor") || "2026-01-01";
// Normally empty; a time ("2026-04-01T00:00:00Z") previews or backfills that window.
const now = config.get("now") || undefined;

export = async () => {
  const window = rotationWindowBounds({ every, anchor, now });
  const devices = await selectDevices({
    namePattern: config.get("namePattern") || "*",
    eligibleOnly: true,
  });

  const fleet = new BitLockerKeyRotationFleet("scheduled", {
    managedDeviceIds: devices.map((d) => d.id),
    rotationToken: window.token,
    reason: `Scheduled rotation: every ${every} from ${anchor}`,
    // Devices enrolled mid-window rotate on their first run. To leave them until the next
    // window instead (their key was escrowed at enrollment), set rotateOnCreate: false.
  });

  return {
    token: window.token,
    windowStart: window.start.toISOString(),
    nextRotation: window.end.toISOString(),
    devices: devices.length,
    counts: fleet.counts,
  };
};
