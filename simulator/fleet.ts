// A deterministic fleet: the same seed and options give the same devices and GUIDs.
// Each unusual device has exactly one reason to be unusual, so tests can pick it by profile.
import type { DeviceActionResult } from "./graphTypes";
import { ROTATE_ACTION_ODATA_TYPE } from "./graphTypes";
import {
  ERROR_CODES,
  NIL_GUID,
  impliedOutcome,
  type DeviceInput,
  type SimDevice,
  type WireManagedDevice,
} from "./devices";
import { SeededRandom } from "./random";

export interface FleetOptions {
  /** Number of generated devices (default 20). */
  size?: number;
  /** Relative weights of operating systems (default Windows 85, macOS 5, iOS 5, Android 5). */
  osMix?: Partial<Record<"Windows" | "macOS" | "iOS" | "Android", number>>;
  /** Fractions of the Windows devices with one unusual trait each (exclusive, rounded). */
  oldBuild?: number;
  registered?: number;
  notEncrypted?: number;
  coManaged?: number;
  multiSession?: number;
  noEntraDevice?: number;
  /** Devices whose rotation fails at check-in with failErrorCode. */
  failing?: number;
  /** Devices that never check in. */
  offline?: number;
  /** Healthy devices that already show a rotation done 30 days ago. */
  priorRotation?: number;
  /** errorCode (signed Int32 HRESULT) of the failing devices; default 0x803100E1. */
  failErrorCode?: number;
  /** Recovery keys already escrowed per device that has an Entra object (default 1). */
  recoveryKeysPerDevice?: number;
}

const FLEET_DEFAULTS: Required<Omit<FleetOptions, "osMix">> & {
  osMix: Record<"Windows" | "macOS" | "iOS" | "Android", number>;
} = {
  size: 20,
  osMix: { Windows: 85, macOS: 5, iOS: 5, Android: 5 },
  oldBuild: 0.05,
  registered: 0.05,
  notEncrypted: 0.05,
  coManaged: 0.1,
  multiSession: 0.03,
  noEntraDevice: 0.02,
  failing: 0.05,
  offline: 0.05,
  priorRotation: 0.1,
  failErrorCode: ERROR_CODES.backupBusy,
  recoveryKeysPerDevice: 1,
};

const TRAITS = [
  "oldBuild",
  "registered",
  "notEncrypted",
  "coManaged",
  "multiSession",
  "noEntraDevice",
  "failing",
  "offline",
  "priorRotation",
] as const;

const WINDOWS_VERSIONS = [
  "10.0.19045.4651",
  "10.0.22631.3880",
  "10.0.26100.1742",
  "10.0.19044.4529",
];
const OLD_WINDOWS_VERSIONS = ["10.0.17763.5936", "10.0.18362.1256", "10.0.17134.1304"];
const MODELS: Record<string, [string, string][]> = {
  Windows: [
    ["Dell Inc.", "Latitude 7440"],
    ["LENOVO", "ThinkPad T14 Gen 4"],
    ["HP", "EliteBook 840 G10"],
    ["Microsoft Corporation", "Surface Laptop 5"],
  ],
  macOS: [["Apple", "MacBook Pro (14-inch, 2023)"]],
  iOS: [["Apple", "iPhone 15"]],
  Android: [["samsung", "SM-S918B"]],
};
const OS_VERSIONS: Record<string, string[]> = {
  macOS: ["14.5", "13.6.7"],
  iOS: ["17.5.1", "16.7.8"],
  Android: ["14", "13"],
};

export interface GeneratedDevice {
  sim: SimDevice;
  recoveryKeys: number;
}

/** Generates the fleet. Identity GUIDs come from `random`, so call order matters. */
export function generateFleet(
  options: FleetOptions,
  random: SeededRandom,
  now: number,
): GeneratedDevice[] {
  const o = { ...FLEET_DEFAULTS, ...options, osMix: { ...FLEET_DEFAULTS.osMix, ...options.osMix } };
  const osList = assignOperatingSystems(o.size, o.osMix, random);
  const windowsIndexes = osList.flatMap((os, i) => (os === "Windows" ? [i] : []));
  random.shuffle(windowsIndexes);
  const traitOf = new Map<number, (typeof TRAITS)[number]>();
  let next = 0;
  for (const trait of TRAITS) {
    const count = Math.round(o[trait] * windowsIndexes.length);
    for (let k = 0; k < count && next < windowsIndexes.length; k++) {
      traitOf.set(windowsIndexes[next++] as number, trait);
    }
  }
  return osList.map((os, i) => {
    const trait = traitOf.get(i);
    const input = os === "Windows" ? windowsDevice(trait, o, random, now) : otherDevice(os, random);
    const sim = completeDevice(input, random, now);
    const recoveryKeys =
      sim.device.azureADDeviceId !== NIL_GUID && os === "Windows" && sim.device.isEncrypted
        ? o.recoveryKeysPerDevice
        : 0;
    return { sim, recoveryKeys };
  });
}

function assignOperatingSystems(
  size: number,
  mix: Record<string, number>,
  random: SeededRandom,
): string[] {
  const total = Object.values(mix).reduce((a, b) => a + Math.max(0, b), 0) || 1;
  const list: string[] = [];
  for (const [os, weight] of Object.entries(mix)) {
    if (os === "Windows") continue;
    const count = Math.round((Math.max(0, weight) / total) * size);
    for (let k = 0; k < count && list.length < size; k++) list.push(os);
  }
  while (list.length < size) list.push("Windows");
  return random.shuffle(list);
}

function windowsDevice(
  trait: (typeof TRAITS)[number] | undefined,
  o: typeof FLEET_DEFAULTS,
  random: SeededRandom,
  now: number,
): DeviceInput {
  const input: DeviceInput = {
    operatingSystem: "Windows",
    osVersion: random.pick(WINDOWS_VERSIONS),
    joinType: random.chance(0.7) ? "azureADJoined" : "hybridAzureADJoined",
    profile: trait ?? "healthy",
  };
  switch (trait) {
    case "oldBuild":
      input.osVersion = random.pick(OLD_WINDOWS_VERSIONS);
      break;
    case "registered":
      input.joinType = "azureADRegistered";
      break;
    case "notEncrypted":
      input.isEncrypted = false;
      break;
    case "coManaged":
      input.managementAgent = "configurationManagerClientMdm";
      input.joinType = "hybridAzureADJoined";
      break;
    case "multiSession":
      input.skuFamily = "EnterpriseMultiSession";
      input.osVersion = "10.0.22631.3880";
      break;
    case "noEntraDevice":
      input.azureADDeviceId = NIL_GUID;
      input.joinType = "unknown";
      break;
    case "failing":
      input.outcome = { state: "failed", errorCode: o.failErrorCode };
      break;
    case "offline":
      input.outcome = { state: "offline" };
      input.lastSyncDateTime = new Date(now - (20 + random.int(40)) * 86400_000).toISOString();
      break;
    case "priorRotation": {
      const start = new Date(now - 30 * 86400_000);
      input.deviceActionResults = [
        rotateResult(
          "done",
          start.toISOString(),
          new Date(start.getTime() + 3600_000).toISOString(),
          0,
        ),
      ];
      break;
    }
  }
  return input;
}

function otherDevice(os: string, random: SeededRandom): DeviceInput {
  return {
    operatingSystem: os,
    osVersion: random.pick(OS_VERSIONS[os] ?? ["1.0"]),
    joinType: "azureADRegistered",
    skuFamily: "",
    profile: "notWindows",
  };
}

export function rotateResult(
  actionState: DeviceActionResult["actionState"],
  startDateTime: string,
  lastUpdatedDateTime: string,
  errorCode: number,
): DeviceActionResult {
  return {
    "@odata.type": ROTATE_ACTION_ODATA_TYPE,
    // Graph does not document the literal actionName; clients must match on @odata.type.
    actionName: "rotateBitLockerKeys",
    actionState,
    startDateTime,
    lastUpdatedDateTime,
    errorCode,
  };
}

/** Fills every missing wire field; identity GUIDs and names come from `random`. */
export function completeDevice(input: DeviceInput, random: SeededRandom, now: number): SimDevice {
  const os = input.operatingSystem ?? "Windows";
  const [manufacturer, model] = random.pick(MODELS[os] ?? MODELS.Windows ?? [["", ""]]);
  const user = `user${random.int(100000).toString().padStart(5, "0")}`;
  const enrolled = now - (30 + random.int(700)) * 86400_000;
  const serial = random.alnum(10);
  const name =
    os === "Windows"
      ? `DESKTOP-${random.alnum(7)}`
      : os === "macOS"
        ? `MAC-${serial.slice(0, 8)}`
        : `${user}_${os}_${serial.slice(0, 4)}`;
  const id = random.guid();
  const azureADDeviceId = random.guid();
  const userId = random.guid();
  const lastSync = now - random.int(8 * 3600_000);
  const device: WireManagedDevice = {
    id: input.id ?? id,
    userId: input.userId ?? userId,
    deviceName: input.deviceName ?? name,
    managedDeviceOwnerType: input.managedDeviceOwnerType ?? "company",
    enrolledDateTime: input.enrolledDateTime ?? new Date(enrolled).toISOString(),
    lastSyncDateTime: input.lastSyncDateTime ?? new Date(lastSync).toISOString(),
    operatingSystem: os,
    complianceState: input.complianceState ?? "compliant",
    managementAgent: input.managementAgent ?? "mdm",
    osVersion: input.osVersion ?? (os === "Windows" ? "10.0.22631.3880" : "1.0"),
    azureADRegistered: input.azureADRegistered ?? true,
    deviceEnrollmentType: input.deviceEnrollmentType ?? "windowsAzureADJoin",
    emailAddress: input.emailAddress ?? `${user}@contoso.example`,
    azureADDeviceId: input.azureADDeviceId ?? azureADDeviceId,
    deviceRegistrationState: input.deviceRegistrationState ?? "registered",
    isEncrypted: input.isEncrypted ?? true,
    userPrincipalName: input.userPrincipalName ?? `${user}@contoso.example`,
    userDisplayName: input.userDisplayName ?? user,
    model: input.model ?? model,
    manufacturer: input.manufacturer ?? manufacturer,
    serialNumber: input.serialNumber ?? serial,
    joinType: input.joinType ?? (os === "Windows" ? "azureADJoined" : "azureADRegistered"),
    skuFamily: input.skuFamily ?? (os === "Windows" ? "Enterprise" : ""),
    managementState: input.managementState ?? "managed",
    deviceActionResults: input.deviceActionResults ?? [
      {
        actionName: "syncDevice",
        actionState: "done",
        startDateTime: new Date(lastSync - 600_000).toISOString(),
        lastUpdatedDateTime: new Date(lastSync).toISOString(),
      },
    ],
  };
  const sim: SimDevice = {
    device,
    outcome: input.outcome ?? impliedOutcome(device),
    profile: input.profile ?? "explicit",
  };
  if (input.checkInDelayMs !== undefined) sim.checkInDelayMs = input.checkInDelayMs;
  return sim;
}
