// Validation of BitLockerKeyRotationFleet inputs at preview time. Pure.
import { isGuid, normalizeGuid } from "../ids";
import {
  InputChecker,
  isUnknown,
  preview,
  tokenProblem,
  type CheckFailure,
  type RotationSettings,
} from "../inputs";

export interface FleetInputs extends RotationSettings {
  /** Lower-cased, de-duplicated and sorted, so that order never causes a diff. */
  managedDeviceIds: string[];
  rotationToken: string;
  /** Per-device tokens that override the fleet's; keys lower-cased. */
  deviceTokens?: Record<string, string>;
}

export const MAX_FLEET_SIZE = 100_000;

export function checkFleet(news: Record<string, unknown>): {
  inputs: Record<string, unknown>;
  failures: CheckFailure[];
} {
  const c = new InputChecker(news);
  c.token("rotationToken", true);
  c.settings();
  const ids = news.managedDeviceIds;
  if (isUnknown(ids)) {
    c.values.managedDeviceIds = ids;
  } else if (!Array.isArray(ids)) {
    c.fail("managedDeviceIds", "managedDeviceIds must be a list of Intune managed device ids");
  } else if (ids.length > MAX_FLEET_SIZE) {
    c.fail(
      "managedDeviceIds",
      `at most ${MAX_FLEET_SIZE} devices per fleet resource; split the fleet`,
    );
  } else {
    const bad = ids.filter((id) => !isUnknown(id) && !isGuid(id));
    if (bad.length > 0) {
      c.fail(
        "managedDeviceIds",
        `${bad.length} id(s) are not GUIDs, e.g. ${bad.slice(0, 3).map(preview).join(", ")}`,
      );
    } else if (ids.some(isUnknown)) {
      c.values.managedDeviceIds = ids;
    } else {
      c.values.managedDeviceIds = [...new Set((ids as string[]).map(normalizeGuid))].sort();
    }
  }
  const dt = news.deviceTokens;
  if (dt !== undefined && dt !== null && !isUnknown(dt)) {
    if (typeof dt !== "object" || Array.isArray(dt)) {
      c.fail("deviceTokens", "deviceTokens must map device ids to tokens");
    } else {
      const normalized: Record<string, string> = {};
      for (const [id, token] of Object.entries(dt as Record<string, unknown>)) {
        if (!isGuid(id)) {
          c.fail("deviceTokens", `deviceTokens key ${preview(id)} is not a GUID`);
          continue;
        }
        const problem = isUnknown(token) ? undefined : tokenProblem(token);
        if (problem) c.fail("deviceTokens", `deviceTokens[${id}]: ${problem}`);
        else normalized[normalizeGuid(id)] = token as string;
      }
      c.values.deviceTokens = normalized;
    }
  }
  return { inputs: { ...news, ...c.values }, failures: c.failures };
}

export function desiredToken(inputs: FleetInputs, id: string): string {
  return inputs.deviceTokens?.[id] ?? inputs.rotationToken;
}
