// Proves the toolchain the other e2e tests stand on: the real `pulumi` CLI (provisioned by
// scripts/provision-pulumi.sh), the `nodejs` language host, the `pulumi-nodejs` dynamic
// provider plugin, the offline environment and the harness itself. No network, no package
// code: the provider is an inline object. Fails (never skips) when the CLI is missing.
import * as assert from "node:assert/strict";
import { PulumiProject, changes, pulumiBinDir, urnName } from "./harness";

const DYNAMIC = "pulumi-nodejs:dynamic:Resource";

/** A program with one dynamic resource whose provider is defined inline. */
function program(message: string, opts: { slowUpdate?: boolean } = {}): string {
  return `
import * as pulumi from "@pulumi/pulumi";

const provider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: any) {
        return { id: "greeting-" + inputs.name, outs: { ...inputs, created: true } };
    },
    async diff(_id: string, olds: any, news: any) {
        return { changes: olds.message !== news.message };
    },
    async update(_id: string, _olds: any, news: any) {
        if (${Boolean(opts.slowUpdate)}) {
            console.log("SMOKE-SLOW-UPDATE-STARTED");
            await new Promise((resolve) => setTimeout(resolve, 10 * 60_000));
        }
        return { outs: { ...news, created: true } };
    },
    async delete() {},
};

class Greeting extends pulumi.dynamic.Resource {
    declare readonly message: pulumi.Output<string>;
    constructor(name: string, props: { name: string; message: string }) {
        super(provider, name, props, {});
    }
}

const config = new pulumi.Config();
const greeting = new Greeting("hello", { name: "world", message: ${JSON.stringify(message)} });
export const id = greeting.id;
export const message = greeting.message;
export const token = config.requireSecret("token");
`;
}

describe("e2e: the Pulumi CLI toolchain (smoke)", function () {
  this.timeout(10 * 60_000);
  let project: PulumiProject;

  before(async function () {
    // Throws with the provisioning script's output if there is no CLI: a loud failure.
    pulumiBinDir();
    project = await PulumiProject.create({
      name: "cli-smoke",
      program: program("hi"),
      config: { "cli-smoke:token": { value: "tok-123", secret: true } },
    });
  });

  after(async function () {
    await project?.dispose({ destroy: true });
  });

  it("pulumi up creates the dynamic resource", async function () {
    await project.up();
    const [res, ...more] = await project.resources(DYNAMIC);
    assert.ok(res, "no dynamic resource in the exported state");
    assert.equal(more.length, 0);
    assert.equal(urnName(res.urn), "hello");
    assert.equal(res.id, "greeting-world");
    assert.equal(res.outputs?.message, "hi");
    assert.equal(res.outputs?.created, true);
    assert.equal(
      typeof res.outputs?.__provider,
      "string",
      "the serialized provider is kept in state",
    );
  });

  it("passes config, secrets included, to the program", async function () {
    const outputs = await project.outputs();
    assert.equal(outputs.token, "tok-123");
    assert.equal(outputs.message, "hi");
    const hidden = await project.outputs({ showSecrets: false });
    assert.equal(hidden.token, "[secret]");
  });

  it("pulumi preview shows no changes after up", async function () {
    const { json } = await project.preview();
    assert.deepEqual(
      changes(json).map((s) => `${s.op} ${s.urn}`),
      [],
    );
    // --json lists only the stack's step; the summary counts the resource too.
    assert.deepEqual(json.changeSummary, { same: 2 });
  });

  it("a changed program shows as an update, and up applies it", async function () {
    project.setProgram(program("hello again"));
    const { json } = await project.preview();
    assert.deepEqual(
      changes(json).map((s) => `${s.op} ${urnName(s.urn)}`),
      ["update hello"],
    );
    await project.up();
    const [res] = await project.resources(DYNAMIC);
    assert.equal(res?.outputs?.message, "hello again");
  });

  it("a killed update leaves a pending operation in state", async function () {
    project.setProgram(program("interrupted", { slowUpdate: true }));
    const killed = await project.runUntil(
      ["up", "--stack", project.stack, "--yes", "--skip-preview", "--non-interactive"],
      "SMOKE-SLOW-UPDATE-STARTED",
    );
    assert.equal(killed.killed, true);
    assert.equal(killed.signal, "SIGKILL");

    // The killed CLI left its lock (file backend); an operator runs `pulumi cancel`.
    await assert.rejects(project.refresh(), /currently locked/);
    await project.cancel();
    const state = await project.exportStack();
    const pending = state.deployment.pending_operations ?? [];
    assert.deepEqual(
      pending.map((p) => `${p.type} ${urnName(p.resource.urn)}`),
      ["updating hello"],
    );
    // Clear it the way an operator would (export, edit, import) so the suite can go on.
    delete state.deployment.pending_operations;
    await project.importStack(state);
    project.setProgram(program("hello again"));
    const { json } = await project.preview();
    assert.deepEqual(changes(json), []);
  });

  it("pulumi destroy removes everything", async function () {
    await project.destroy();
    assert.deepEqual(await project.resources(), []);
  });
});
