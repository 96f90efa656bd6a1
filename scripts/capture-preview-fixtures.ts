// Captures real `pulumi preview --json` output (the real CLI against the simulated tenant) into
// test/unit/fixtures/preview/, for the unit tests of `bitlocker-report preview`. Re-run after
// a Pulumi upgrade or a change to what the provider prints at preview:
//
//   npm run build && node -e 'require("./simulator/dist").ensureCa(".sim")' &&
//   NODE_EXTRA_CA_CERTS=$PWD/.sim/ca.pem npx ts-node scripts/capture-preview-fixtures.ts
//
// Device ids are random GUIDs of the tenant; stackTrace, sourcePosition and the serialized
// provider (`__provider`, machine paths) are dropped, as in report-real-export.json.
import * as fs from "node:fs";
import * as path from "node:path";
import { PulumiProject, REPO_DIR } from "../test/e2e/harness";
import { startE2eTenant, tenantEnv, windowsDevice } from "../test/e2e/support";

const OUT = path.join(REPO_DIR, "test", "unit", "fixtures", "preview");

/** A fleet (config `e2e:fleet`) and a single device with a secret token (`e2e:single`). */
const PROGRAM = `
import * as pulumi from "@pulumi/pulumi";
import { BitLockerKeyRotation, BitLockerKeyRotationFleet } from "pulumi-intune-bitlocker";

const config = new pulumi.Config("e2e");
new BitLockerKeyRotationFleet("desktops", JSON.parse(config.require("fleet")));
const single = config.getObject<{ managedDeviceId: string }>("single");
if (single)
  new BitLockerKeyRotation("helpdesk", {
    managedDeviceId: single.managedDeviceId,
    rotationToken: config.requireSecret("helpdeskToken"),
  });
`;

function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrub);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === "stackTrace" || k === "sourcePosition") continue;
      out[k] = k === "__provider" ? "<serialized provider>" : scrub(v);
    }
    return out;
  }
  // Diagnostic lines that quote a path of this machine (a stack trace) keep their shape.
  return typeof value === "string" ? value.split(REPO_DIR).join("/repo") : value;
}

async function main(): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  const tenant = await startE2eTenant({ timeScale: 0.1 });
  const fleet = Array.from({ length: 14 }, () => windowsDevice(tenant).id);
  const helpdesk = windowsDevice(tenant).id;
  const project = await PulumiProject.create({
    name: "previewfixtures",
    program: PROGRAM,
    env: {
      ...tenantEnv(tenant),
      BITLOCKER_THROTTLE_WINDOW_SECONDS: "2",
      BITLOCKER_MAX_ROTATIONS_PER_UPDATE: "12",
    },
  });
  const save = async (name: string, what: string) => {
    const { result } = await project.preview({ allowFailure: true });
    const doc = scrub(JSON.parse(result.stdout)) as Record<string, unknown>;
    doc["//"] =
      `${what} (pulumi preview --json, exit ${result.code}; scripts/capture-preview-fixtures.ts)`;
    fs.writeFileSync(path.join(OUT, `${name}.json`), JSON.stringify(doc, null, 2) + "\n");
    console.log(`${name}.json: exit ${result.code}`);
  };
  const setFleet = (args: object) => project.configSet("e2e:fleet", JSON.stringify(args));
  try {
    // 1. A new fleet of 10 that rotates on create, and a new single device: both rotate.
    await setFleet({ managedDeviceIds: fleet.slice(0, 10), rotationToken: "2026-Q4" });
    await project.configSet("e2e:single", JSON.stringify({ managedDeviceId: helpdesk }));
    await project.configSet("e2e:helpdeskToken", "INC-0042", { secret: true });
    await save("create", "a new fleet of 10 (rotateOnCreate) and a new single device");
    await project.up();

    // 2. An update: 4 devices added (they rotate), 2 removed,
    //    one deviceTokens edit; the single device's secret token changed.
    await setFleet({
      managedDeviceIds: [...fleet.slice(2, 14)],
      rotationToken: "2026-Q4",
      deviceTokens: { [fleet[5]!]: "INC-7" },
    });
    await project.configSet("e2e:helpdeskToken", "INC-0043", { secret: true });
    await save(
      "update",
      "4 added, 2 removed, a deviceTokens edit, a secret single-device token change",
    );

    // 3. New devices adopted without rotating (rotateOnCreate: false): nothing rotates.
    await setFleet({
      managedDeviceIds: fleet,
      rotationToken: "2026-Q4",
      rotateOnCreate: false,
    });
    await project.configSet("e2e:helpdeskToken", "INC-0042", { secret: true });
    await save("adopt", "4 devices new to the fleet adopted (rotateOnCreate: false)");

    // 4. A token change for all 14, above the limit of 12: refused at diff.
    await setFleet({ managedDeviceIds: fleet, rotationToken: "2027-Q1" });
    await save("guard-refusal", "a token change for 14 devices above maxRotationsPerUpdate 12");

    // 5. Inputs check refuses: an id that is not a GUID.
    await setFleet({ managedDeviceIds: [...fleet, "DESKTOP-42"], rotationToken: "2026-Q4" });
    await save("check-failure", "a managedDeviceIds entry that is not a GUID");
  } finally {
    await project.dispose();
    await tenant.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
