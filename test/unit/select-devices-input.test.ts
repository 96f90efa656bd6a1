// selectDevices refuses a bad query, and fails without credentials, with a pulumi.RunError:
// the error Pulumi prints as its message alone (cmd/run/run.js: "Always hide the stack for
// RunErrors"), never a stack trace or a dump of the error's fields. No I/O is reached.
// What makes a query bad (plan/deviceQuery.ts, pure) is tested in plan-device-query.test.ts,
// which the mutation run uses; this file needs the process's environment (it clears the
// credential settings) and loads @pulumi/pulumi and the Graph client, so it stays out of it.
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { selectDevices } from "../../provider/query/selectDevices";

describe("selectDevices: its query is validated", () => {
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
