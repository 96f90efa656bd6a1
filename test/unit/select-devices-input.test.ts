// selectDevices refuses a bad query, and fails without credentials, with a pulumi.RunError:
// the error Pulumi prints as its message alone (cmd/run/run.js: "Always hide the stack for
// RunErrors"), never a stack trace or a dump of the error's fields. No I/O is reached.
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { deviceQueryProblems, matchesQuery } from "../../provider/plan/deviceQuery";
import { selectDevices } from "../../provider/query/selectDevices";
import { windowsDevice } from "../support/devices";

const NOW = new Date("2026-11-27T12:00:00Z");

describe("selectDevices: its query is validated", () => {
  it("namePattern must be text", () => {
    assert.deepEqual(deviceQueryProblems({ namePattern: 5 }), [
      'namePattern must be text such as "LAPTOP-*"; got 5',
    ]);
  });
  it("joinTypes must be a list of known join types; a string is refused, not matched by substring", () => {
    assert.match(
      deviceQueryProblems({ joinTypes: "azureADJoined" })[0]!,
      /joinTypes must be a list/,
    );
    assert.match(
      deviceQueryProblems({ joinTypes: ["azureAdJoined"] })[0]!,
      /"azureAdJoined" is not a join type; use azureADJoined, hybridAzureADJoined/,
    );
    assert.deepEqual(deviceQueryProblems({ joinTypes: ["hybridAzureADJoined"] }), []);
    // A list matches whole values only.
    const hybrid = windowsDevice({ joinType: "hybridAzureADJoined" });
    assert.equal(matchesQuery(hybrid, { joinTypes: ["azureADJoined"] }, NOW), false);
  });
  it("other options: types, unknown keys, a non-object", () => {
    assert.deepEqual(
      deviceQueryProblems({ encrypted: "yes", checkedInWithinDays: -1, nameFilter: "x" }),
      [
        'unknown query option "nameFilter"; known: operatingSystem, joinTypes, encrypted, namePattern, coManaged, checkedInWithinDays, eligibleOnly',
        'encrypted must be true or false; got "yes"',
        "checkedInWithinDays must be a number of days, 0 or more; got -1",
      ],
    );
    assert.match(deviceQueryProblems("LAPTOP-*")[0]!, /the query must be an object/);
    assert.deepEqual(deviceQueryProblems({}), []);
    assert.deepEqual(deviceQueryProblems(undefined), []);
  });

  it("a bad query is a one-line pulumi.RunError, before any I/O", async () => {
    await assert.rejects(
      selectDevices({ namePattern: 5 } as unknown as { namePattern: string }),
      (err: Error) => {
        assert.ok(pulumi.RunError.isInstance(err), `not a RunError: ${err.name}`);
        assert.equal(
          err.message,
          'selectDevices: namePattern must be text such as "LAPTOP-*"; got 5',
        );
        return true;
      },
    );
  });

  it("no credentials: a RunError naming the missing settings, at once", async () => {
    const saved = { ...process.env };
    for (const k of Object.keys(process.env)) {
      if (/^(AZURE_|BITLOCKER_|PULUMI_CONFIG)/.test(k)) delete process.env[k];
    }
    try {
      // Load (compile) the modules selectDevices loads on first use, so only the run is timed.
      require("../../provider/graph/client");
      require("../../provider/auth/settings");
      const started = Date.now();
      await assert.rejects(selectDevices({ operatingSystem: "*" }), (err: Error) => {
        assert.ok(pulumi.RunError.isInstance(err), `not a RunError: ${err.name}`);
        assert.match(
          err.message,
          /^selectDevices could not list the tenant's devices: no credential is configured\. Missing: the tenant id bitlocker:tenantId \(AZURE_TENANT_ID\); the application \(client\) id bitlocker:clientId \(AZURE_CLIENT_ID\); one of bitlocker:clientSecret/,
        );
        assert.match(err.message, /managedIdentity .* azureCli/);
        assert.ok(!err.message.includes("\n"), "one line");
        return true;
      });
      const ms = Date.now() - started;
      assert.ok(ms < 500, `no credential chain was tried (${ms} ms)`);
    } finally {
      Object.assign(process.env, saved);
    }
  });
});
