import assert from "node:assert/strict";
import {
  ROTATE_PERMISSION,
  forbiddenIsPerDevice,
  rolesOfAccessToken,
} from "../../provider/plan/permissions";

const jwt = (claims: object) =>
  ["e30", Buffer.from(JSON.stringify(claims)).toString("base64url"), "sig"].join(".");

describe("plan: what a 403 on one device's rotation means", () => {
  it("is that device's alone when the token carries the rotation permission", () => {
    assert.equal(forbiddenIsPerDevice([ROTATE_PERMISSION, "BitlockerKey.ReadBasic.All"]), true);
  });
  it("is the app's (stop the fleet) when the token lacks it or its roles are unknown", () => {
    assert.equal(forbiddenIsPerDevice(["DeviceManagementManagedDevices.Read.All"]), false);
    assert.equal(forbiddenIsPerDevice(["DeviceManagementConfiguration.ReadWrite.All"]), false);
    assert.equal(forbiddenIsPerDevice([]), false);
    assert.equal(forbiddenIsPerDevice(undefined), false);
  });
  it("reads the roles claim of a JWT access token", () => {
    assert.deepEqual(rolesOfAccessToken(jwt({ roles: [ROTATE_PERMISSION] })), [ROTATE_PERMISSION]);
    assert.deepEqual(rolesOfAccessToken(jwt({ appid: "x" })), []);
    assert.equal(rolesOfAccessToken("opaque-token"), undefined);
    assert.equal(rolesOfAccessToken("a.!!!.c"), undefined);
  });
  it("keeps only the text roles of the claim", () => {
    assert.deepEqual(rolesOfAccessToken(jwt({ roles: [ROTATE_PERMISSION, 5, null, "x"] })), [
      ROTATE_PERMISSION,
      "x",
    ]);
  });
  it("reads a token whose claims are not an object as not a JWT (unknown roles)", () => {
    const raw = (json: string) => ["e30", Buffer.from(json).toString("base64url"), "sig"].join(".");
    assert.equal(rolesOfAccessToken(raw("5")), undefined);
    assert.equal(rolesOfAccessToken(raw('"roles"')), undefined);
    assert.equal(rolesOfAccessToken(raw("null")), undefined);
    assert.equal(rolesOfAccessToken("e30..sig"), undefined);
  });
});
