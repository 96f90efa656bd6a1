// Prints which modules a program, or the provider host's check and diff, load from the BUILT
// package (by name, as Pulumi loads it): test/unit/lazy-loading.test.ts reads the list.
//   node print-loaded-modules.js program|fleet-preview|single-preview
const what = process.argv[2];
const started = process.hrtime.bigint();
const ID = "0b7c5a2e-1111-4a2b-9c3d-000000000001";
const config = { get: () => undefined };

async function main() {
  if (what === "program") {
    require("pulumi-intune-bitlocker");
  } else if (what === "fleet-preview") {
    const fleet = require("pulumi-intune-bitlocker/engine/fleet");
    fleet.configure({ config });
    // What every no-op `up` and a preview that rotates nothing call: check, a no-op diff, and a
    // diff that only forgets a device. (A change that would rotate reads Graph: previewReads.)
    const ID2 = "0b7c5a2e-1111-4a2b-9c3d-000000000002";
    const news = { managedDeviceIds: [ID], rotationToken: "A", label: "probe" };
    const checked = await fleet.check({ managedDeviceIds: [ID, ID2], rotationToken: "A" }, news);
    const record = "requested 2026-11-27T10:00:00Z 559aead08264";
    const olds = { stateVersion: 2, rotationToken: "A", devices: { [ID]: record } };
    await fleet.diff("fleet-1", olds, checked.inputs);
    const forget = { ...olds, devices: { [ID]: record, [ID2]: record } };
    await fleet.diff("fleet-1", forget, checked.inputs);
  } else if (what === "single-preview") {
    const single = require("pulumi-intune-bitlocker/engine/single-device");
    single.configure({ config });
    const news = { managedDeviceId: ID, rotationToken: "A" };
    const checked = await single.check(news, news); // a no-op: nothing to read
    await single.diff("x", { ...news, status: "requested" }, checked.inputs);
  } else throw new Error(`unknown: ${what}`);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(JSON.stringify({ ms, modules: Object.keys(require.cache) }));
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
