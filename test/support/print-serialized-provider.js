// Prints the __provider string that pulumi.dynamic.Resource serializes for each resource
// class, loading the BUILT package by name as a user's program does. Pulumi's mocks never call
// the provider, so nothing here talks to Graph.
const pulumi = require("@pulumi/pulumi");

const captured = {};
pulumi.runtime.setMocks(
  {
    newResource(args) {
      captured[args.type] = args.inputs.__provider;
      return { id: "mock", state: args.inputs };
    },
    call: () => ({}),
  },
  "project",
  "stack",
  true,
);

const { BitLockerKeyRotation, BitLockerKeyRotationFleet } = require("pulumi-intune-bitlocker");
const single = new BitLockerKeyRotation("probe", {
  managedDeviceId: "0b7c5a2e-1111-4a2b-9c3d-000000000001",
  rotationToken: "A",
});
const fleet = new BitLockerKeyRotationFleet("probe-fleet", {
  managedDeviceIds: ["0b7c5a2e-1111-4a2b-9c3d-000000000001"],
  rotationToken: "A",
});
pulumi.all([single.urn, fleet.urn]).apply(() => {
  setImmediate(() => process.stdout.write(JSON.stringify(captured)));
});
