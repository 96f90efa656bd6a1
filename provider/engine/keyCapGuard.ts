// Reads how many recovery keys Entra ID holds for devices about to rotate (reads only; the
// key values are never read) and applies plan/keyCap.ts. A missing permission or an
// unreachable Graph only costs the guard, never the run: it says so and lets the rotation be
// decided by the rest of the checks.
import type { ManagedDevice } from "../graph/types";
import {
  keyCapMessage,
  keyCapVerdict,
  type KeyCapSettings,
  type KeyCapVerdict,
} from "../plan/keyCap";
import type { DeviceGraph } from "./deviceGraph";
import { listRecoveryKeysInBatches } from "./fleet/batchedRecoveryKeys";
import { isForbidden } from "./errorKinds";
import { log } from "./log";

export interface KeyCapFinding {
  verdict: KeyCapVerdict;
  keyCount: number;
  message: string;
}

/** The guard (and its read) runs unless recoveryKeyLimit is 0; its warning comes with it. */
export function guardEnabled(s: Partial<KeyCapSettings>): s is KeyCapSettings {
  return (s.recoveryKeyLimit ?? 0) > 0;
}

/** The guard's finding for one device, or undefined when it could not look. */
export async function checkKeyCap(
  graph: DeviceGraph,
  device: Pick<ManagedDevice, "id" | "azureADDeviceId">,
  s: KeyCapSettings,
): Promise<KeyCapFinding | undefined> {
  try {
    const keyCount = (await graph.listRecoveryKeys(device.azureADDeviceId)).length;
    const verdict = keyCapVerdict(keyCount, s);
    return { verdict, keyCount, message: keyCapMessage(device.id, keyCount, s) };
  } catch (e) {
    log(
      isForbidden(e)
        ? `recovery-key cap not checked: the app lacks BitlockerKey.ReadBasic.All (grant it, or set recoveryKeyLimit: 0 to turn the guard off)`
        : `recovery-key cap not checked for device ${device.id}: ${(e as Error).message}`,
    );
    return undefined;
  }
}

/** Whether the app may read recovery keys, learnt once per run: asked again it would only fail. */
export interface KeyCapAccess {
  denied: boolean;
}

/** Checks many devices with batched reads; devices it could not check are absent. */
export async function checkKeyCaps(
  graph: DeviceGraph,
  devices: Pick<ManagedDevice, "id" | "azureADDeviceId">[],
  s: KeyCapSettings,
  access: KeyCapAccess = { denied: false },
): Promise<Map<string, KeyCapFinding>> {
  const findings = new Map<string, KeyCapFinding>();
  if (access.denied || devices.length === 0) return findings;
  const listed = await listRecoveryKeysInBatches(
    graph,
    devices.map((d) => d.azureADDeviceId),
  );
  let unchecked = 0;
  let example: Error | undefined;
  for (const d of devices) {
    const keys = listed.get(d.azureADDeviceId);
    if (Array.isArray(keys)) {
      findings.set(d.id, {
        verdict: keyCapVerdict(keys.length, s),
        keyCount: keys.length,
        message: keyCapMessage(d.id, keys.length, s),
      });
    } else if (isForbidden(keys)) {
      access.denied = true; // the same for every device: stop asking
    } else {
      unchecked++;
      example ??= keys;
    }
  }
  if (access.denied) {
    log(
      `recovery-key cap not checked: the app lacks BitlockerKey.ReadBasic.All (grant it, or set recoveryKeyLimit: 0 to turn the guard off)`,
    );
    return new Map();
  }
  if (unchecked > 0)
    log(
      `recovery-key cap not checked for ${unchecked} device(s): ${example?.message ?? "no answer"}`,
    );
  return findings;
}
