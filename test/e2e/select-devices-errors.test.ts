// selectDevices failing during `pulumi preview` (the program process): Pulumi prints the
// reason as one line (a pulumi.RunError), with no stack trace, no "unhandled exception" and no
// dump of the error object's fields.
import * as assert from "node:assert/strict";
import type { SimulatedTenant } from "../../simulator/index";
import { PulumiProject, type CommandResult } from "./harness";
import { bareEnv, closeStack, startE2eTenant, tenantEnv, text, windowsDevice } from "./support";

const PROGRAM = `
import * as pulumi from "@pulumi/pulumi";
import { selectDevices } from "pulumi-intune-bitlocker";
const query = JSON.parse(new pulumi.Config("e2e").get("query") ?? "{}");
export const ids = selectDevices(query).then((ds) => ds.map((d) => d.id));
`;

function assertOneLine(result: CommandResult, reason: RegExp): void {
  const out = text(result);
  assert.notEqual(result.code, 0, out);
  assert.match(out, reason, out);
  assert.doesNotMatch(out, /^\s+at .*\(.*:\d+:\d+\)$/m, `a stack trace was printed:\n${out}`);
  assert.doesNotMatch(out, /unhandled exception/i, out);
  assert.doesNotMatch(out, /\[cause\]|errorCode:|aadstsCode:|azureErrorName/, out);
}

describe("e2e: selectDevices errors at preview (pulumi CLI)", function () {
  this.timeout(5 * 60_000);
  let tenant: SimulatedTenant;
  let project: PulumiProject;
  const preview = (env?: Record<string, string | undefined>) =>
    project.pulumiOk(["preview", "--stack", "e2e", "--non-interactive"], {
      allowFailure: true,
      ...(env ? { env } : {}),
    });

  before(async () => {
    tenant = await startE2eTenant();
    windowsDevice(tenant);
    project = await PulumiProject.create({
      name: "select-errors",
      program: PROGRAM,
      env: tenantEnv(tenant),
    });
  });
  after(() => closeStack(project, tenant));

  it("a bad query: the problem, one line", async () => {
    await project.configSet(
      "e2e:query",
      JSON.stringify({ namePattern: 5, joinTypes: "azureADJoined" }),
    );
    assertOneLine(
      await preview(),
      /selectDevices: namePattern must be text such as "LAPTOP-\*"; got 5; joinTypes must be a list/,
    );
  });

  it("no credentials: the missing settings, one line", async () => {
    await project.configSet("e2e:query", "{}");
    const result = await preview({
      ...bareEnv(tenantEnv(tenant)),
      AZURE_AUTHORITY_HOST: tenant.authorityHost,
      BITLOCKER_GRAPH_ENDPOINT: tenant.url,
    });
    assertOneLine(
      result,
      /no credential is configured\. Missing: the tenant id bitlocker:tenantId/,
    );
  });

  it("a refused credential: Entra's code and the hint, one line", async () => {
    const result = await preview({ AZURE_CLIENT_SECRET: "wrong-secret-value" });
    assertOneLine(
      result,
      /selectDevices could not list the tenant's devices: authentication failed .*AADSTS7000215/,
    );
    assert.ok(!text(result).includes("wrong-secret-value"));
  });
});
