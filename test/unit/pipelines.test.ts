// The pipelines under pipelines/ cannot run here (they need GitHub or Azure DevOps and a
// tenant), so they are checked as files: the GitHub workflow against the GitHub Actions
// workflow JSON schema (SchemaStore's, via @action-validator/core), both for the structure
// docs/gitops.md promises (triggers, OIDC, no stored secret, one `up` per stack), and every
// shell script in them with `bash -n`. Azure Pipelines has no schema package on npm, so its
// file gets the structural checks only.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { parseDocument } from "yaml";

const ROOT = path.resolve(__dirname, "..", "..");

type Obj = Record<string, unknown>;

function load(rel: string): { text: string; doc: Obj } {
  const text = fs.readFileSync(path.join(ROOT, rel), "utf8");
  const parsed = parseDocument(text, { uniqueKeys: true });
  assert.deepEqual(
    parsed.errors.map((e) => e.message),
    [],
    `${rel} is valid YAML`,
  );
  return { text, doc: parsed.toJS() as Obj };
}

function obj(value: unknown, what: string): Obj {
  assert.ok(value && typeof value === "object" && !Array.isArray(value), `${what} is a mapping`);
  return value as Obj;
}

function list(value: unknown, what: string): Obj[] {
  assert.ok(Array.isArray(value), `${what} is a list`);
  return value as Obj[];
}

/** `bash -n` on a script: syntax only, nothing runs. */
function assertBashParses(script: string, what: string): void {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pipeline-")), "script.sh");
  fs.writeFileSync(file, script);
  const r = spawnSync("bash", ["-n", file], { encoding: "utf8" });
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  assert.equal(r.status, 0, `${what}: bash -n says:\n${r.stderr}`);
}

/** Secrets that this setup must never need: federation replaces each of them. */
const STORED_SECRETS =
  /AZURE_CLIENT_SECRET|clientSecret|client-secret|servicePrincipalKey|AZURE_STORAGE_KEY|PULUMI_ACCESS_TOKEN|PULUMI_CONFIG_PASSPHRASE|\bsecrets\./;

describe("pipelines/github/bitlocker-rotation.yml", () => {
  const { text, doc } = load("pipelines/github/bitlocker-rotation.yml");
  const on = obj(doc.on, "on");
  const jobs = obj(doc.jobs, "jobs");
  const preview = obj(jobs.preview, "jobs.preview");
  const up = obj(jobs.up, "jobs.up");
  const steps = (job: Obj) => list(job.steps, "steps");
  const runs = (job: Obj) =>
    steps(job)
      .map((s) => s.run)
      .filter((r): r is string => typeof r === "string");

  it("is a valid workflow by the GitHub Actions workflow schema (@action-validator/core)", () => {
    assert.deepEqual(validateWorkflow(text).errors, []);
  });

  it("(control: the validator refuses a misspelt key and a bad concurrency value)", () => {
    const broken = text
      .replace(
        "    permissions:\n      contents: read\n      id-token: write # the OIDC",
        "    permisions:\n      contents: read\n      id-token: write # the OIDC",
      )
      .replace("cancel-in-progress: false", "cancel-in-progress: maybe");
    assert.notEqual(broken, text);
    const errors = validateWorkflow(broken).errors;
    assert.ok(errors.length > 0, "a broken workflow must not validate");
  });

  it("previews pull requests to main and applies pushes to main (and the daily schedule)", () => {
    assert.deepEqual(obj(on.pull_request, "on.pull_request").branches, ["main"]);
    assert.deepEqual(obj(on.push, "on.push").branches, ["main"]);
    assert.ok(Array.isArray(on.schedule), "a schedule runs `up` for rotationWindow tokens");
    assert.match(String(preview.if), /github\.event_name == 'pull_request'/);
    assert.match(String(up.if), /github\.event_name != 'pull_request'/);
    assert.match(String(up.if), /github\.ref == 'refs\/heads\/main'/);
    assert.ok(
      runs(preview).some((r) => /pulumi preview --stack "\$PULUMI_STACK" --json/.test(r)),
      "preview runs `pulumi preview`",
    );
    assert.ok(!runs(preview).some((r) => /pulumi up\b/.test(r)), "a pull request never runs up");
    assert.ok(
      runs(up).some((r) => /pulumi up --stack "\$PULUMI_STACK" --yes/.test(r)),
      "main runs `pulumi up --yes`",
    );
  });

  it("authenticates by workload identity federation: id-token: write, a token file, no secret", () => {
    for (const [name, job] of [
      ["preview", preview],
      ["up", up],
    ] as const) {
      assert.equal(obj(job.permissions, `${name}.permissions`)["id-token"], "write", name);
      const token = runs(job).find((r) => r.includes("ACTIONS_ID_TOKEN_REQUEST_URL"));
      assert.ok(token, `${name} fetches the OIDC token`);
      assert.match(token, /audience=api:\/\/AzureADTokenExchange/);
      assert.match(token, /AZURE_FEDERATED_TOKEN_FILE=\$token_file" >> "\$GITHUB_ENV"/);
      assert.match(token, /while sleep 240/, `${name} refreshes the 5-minute token`);
    }
    assert.equal(obj(doc.env, "env").AZURE_TENANT_ID, "${{ vars.AZURE_TENANT_ID }}");
    // A read-only app for pull requests (their code runs); the rotating one only in `up`.
    assert.equal(
      obj(preview.env, "preview.env").AZURE_CLIENT_ID,
      "${{ vars.BITLOCKER_PREVIEW_CLIENT_ID }}",
    );
    assert.equal(obj(up.env, "up.env").AZURE_CLIENT_ID, "${{ vars.BITLOCKER_ROTATE_CLIENT_ID }}");
    assert.equal(up.environment, "bitlocker-prod", "the environment: approvals, federated subject");
    assert.doesNotMatch(text, STORED_SECRETS);
  });

  it("keeps state in Azure Blob Storage (azblob://, storage account, no key)", () => {
    const url = String(obj(doc.env, "env").PULUMI_BACKEND_URL);
    assert.match(
      url,
      /^azblob:\/\/\$\{\{ vars\.PULUMI_STATE_CONTAINER \|\| 'pulumi-state' \}\}\?storage_account=/,
    );
    for (const job of [preview, up]) {
      assert.ok(runs(job).some((r) => r.includes('pulumi login "$PULUMI_BACKEND_URL"')));
    }
  });

  it("runs one `up` per stack at a time and never cancels one", () => {
    const c = obj(up.concurrency, "up.concurrency");
    assert.equal(c.group, "pulumi-${{ vars.PULUMI_STACK || 'prod' }}");
    assert.equal(c["cancel-in-progress"], false);
    // Previews take no lock; a newer push to the same pull request replaces its preview.
    const p = obj(preview.concurrency, "preview.concurrency");
    assert.equal(p.group, "pulumi-preview-${{ github.event.pull_request.number }}");
    assert.equal(obj(doc.env, "env").PULUMI_STACK, "${{ vars.PULUMI_STACK || 'prod' }}");
  });

  it("comments the preview built by bitlocker-report preview, replacing its comment by marker", () => {
    const previewRun = runs(preview).find((r) => r.includes("pulumi preview"))!;
    assert.match(
      previewRun,
      /--json --non-interactive > "\$RUNNER_TEMP\/preview\.json" \|\| status=\$\?/,
    );
    assert.match(
      previewRun,
      /bitlocker-report preview "\$RUNNER_TEMP\/preview\.json" --format text/,
      "every device in the job log",
    );
    assert.match(previewRun, /exit "\$status"/, "the job fails when the preview does");
    const report = runs(preview).find((r) => r.includes("GITHUB_STEP_SUMMARY"));
    assert.ok(report, "a job summary");
    assert.match(
      report,
      /bitlocker-report preview "\$RUNNER_TEMP\/preview\.json" --format markdown \\\n\s+--marker "\$marker"/,
    );
    assert.match(report, /marker="bitlocker-preview:\$PULUMI_STACK"/);
    assert.match(
      report,
      /startswith\(\\"<!-- \$marker -->\\"\)/,
      "finds its comment by the marker",
    );
    assert.match(
      report,
      /npx --no-install bitlocker-report --stack "\$PULUMI_STACK" --format markdown/,
    );
    assert.match(report, /issues\/\$PR_NUMBER\/comments/, "comments on the pull request");
    assert.match(report, /-X PATCH/, "updates its comment instead of adding one per push");
    assert.equal(obj(preview.permissions, "preview.permissions")["pull-requests"], "write");
    const step = steps(preview).find((s) => s.run === report)!;
    assert.match(String(step.if), /always\(\)/, "also when the preview failed");
  });

  it("puts no ${{ }} expression inside a script, and every script parses", () => {
    for (const [name, job] of Object.entries(jobs)) {
      for (const script of runs(obj(job, name))) {
        assert.doesNotMatch(script, /\$\{\{/, `${name}: pass values through env, not into scripts`);
        assertBashParses(script, `${name}: ${script.split("\n")[0]}`);
      }
    }
  });
});

describe("pipelines/azure-devops/bitlocker-rotation.yml", () => {
  const { text, doc } = load("pipelines/azure-devops/bitlocker-rotation.yml");
  const stages = list(doc.stages, "stages");
  const stage = (name: string) => {
    const s = stages.find((x) => x.stage === name);
    assert.ok(s, `stage ${name}`);
    return s;
  };
  const allSteps = (node: unknown): Obj[] => {
    // Every mapping with a task or script key, wherever it is nested.
    const out: Obj[] = [];
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === "object") {
        const o = v as Obj;
        if ("task" in o || "bash" in o || "checkout" in o) out.push(o);
        Object.values(o).forEach(walk);
      }
    };
    walk(node);
    return out;
  };
  const cliTask = (name: string) => {
    const t = allSteps(stage(name)).find((s) => s.task === "AzureCLI@2");
    assert.ok(t, `${name} runs AzureCLI@2`);
    return { task: t, inputs: obj(t.inputs, "inputs") };
  };

  it("(structural checks: there is no Azure Pipelines schema package on npm)", () => {
    assert.ok(!("jobs" in doc) && !("steps" in doc), "stages only");
  });

  it("validates pull requests to main and applies main (and the daily schedule)", () => {
    assert.deepEqual(obj(obj(doc.trigger, "trigger").branches, "trigger.branches").include, [
      "main",
    ]);
    assert.deepEqual(obj(obj(doc.pr, "pr").branches, "pr.branches").include, ["main"]);
    assert.equal(list(doc.schedules, "schedules").length, 1);
    assert.equal(stage("preview").condition, "eq(variables['Build.Reason'], 'PullRequest')");
    assert.match(
      String(stage("up").condition),
      /ne\(variables\['Build\.Reason'\], 'PullRequest'\)/,
    );
    assert.match(String(stage("up").condition), /'refs\/heads\/main'/);
    assert.match(
      String(cliTask("preview").inputs.inlineScript),
      /pulumi preview --stack "\$\(pulumiStack\)" --json/,
    );
    assert.doesNotMatch(String(cliTask("preview").inputs.inlineScript), /pulumi up\b/);
    assert.match(
      String(cliTask("up").inputs.inlineScript),
      /pulumi up --stack "\$\(pulumiStack\)" --yes/,
    );
  });

  it("authenticates through workload identity federation service connections, no secret", () => {
    for (const name of ["preview", "up"]) {
      const { task, inputs } = cliTask(name);
      assert.equal(inputs.addSpnToEnvironment, true, name);
      const script = String(inputs.inlineScript);
      assert.match(
        script,
        /export AZURE_CLIENT_ID="\$servicePrincipalId" AZURE_TENANT_ID="\$tenantId"/,
      );
      assert.match(script, /printf '%s' "\$idToken" > "\$AZURE_FEDERATED_TOKEN_FILE"/);
      assert.match(
        script,
        /SYSTEM_OIDCREQUESTURI.*serviceConnectionId=/,
        `${name} refreshes the token`,
      );
      assert.equal(obj(task.env, "env").SYSTEM_ACCESSTOKEN, "$(System.AccessToken)");
      assert.match(
        script,
        /pulumi login "azblob:\/\/\$\(stateContainer\)\?storage_account=\$\(stateStorageAccount\)"/,
      );
    }
    assert.equal(cliTask("preview").inputs.azureSubscription, "bitlocker-preview");
    assert.equal(cliTask("up").inputs.azureSubscription, "bitlocker-rotate");
    assert.doesNotMatch(text, STORED_SECRETS);
  });

  it("runs one `up` at a time: an environment with approvals and an exclusive lock", () => {
    const up = stage("up");
    assert.equal(up.lockBehavior, "sequential");
    const [deployment] = list(up.jobs, "up.jobs");
    assert.equal(deployment?.deployment, "up");
    assert.equal(deployment?.environment, "bitlocker-prod");
    assert.ok(
      allSteps(up).some((s) => s.checkout === "self"),
      "a deployment job checks out explicitly",
    );
  });

  it("reports the preview in the run summary and on the pull request", () => {
    const script = String(cliTask("preview").inputs.inlineScript);
    assert.match(script, /##vso\[task\.uploadsummary\]/);
    assert.match(
      script,
      /bitlocker-report preview "\$\(Agent\.TempDirectory\)\/preview\.json" --format text/,
    );
    assert.match(script, /--format markdown --marker "\$marker" > "\$summary"/);
    assert.match(script, /bitlocker-report --stack "\$\(pulumiStack\)" --format markdown/);
    assert.match(script, /pullRequests\/\$\(System\.PullRequest\.PullRequestId\)\/threads/);
    // Replaces its thread's first comment (found by the marker) instead of a new thread per push.
    assert.match(script, /startswith\(\$m\)/);
    assert.match(script, /-X PATCH .*\n.*\$threads\/\$thread\/comments\/1/);
  });

  it("every script parses (bash -n)", () => {
    for (const s of allSteps(doc)) {
      const script =
        typeof s.bash === "string"
          ? s.bash
          : s.task === "AzureCLI@2"
            ? String(obj(s.inputs, "inputs").inlineScript)
            : undefined;
      if (script) assertBashParses(script, String(s.displayName ?? s.task));
    }
  });
});

describe("examples/rotate-on-disclosure/pipelines (scheduled)", () => {
  const handBack = /pulumi stack output disclosed --json > previous-disclosures\.json/;

  it("the GitHub workflow is valid, scheduled, federated, and hands the last output back before up", () => {
    const { text, doc } = load("examples/rotate-on-disclosure/pipelines/github-actions.yml");
    assert.deepEqual(validateWorkflow(text).errors, []);
    const on = obj(doc.on, "on");
    const cron = list(on.schedule, "on.schedule")[0]?.cron;
    assert.match(String(cron), /^\S+ \* \* \* \*$/, "hourly");
    assert.ok(!("pull_request" in on) && !("push" in on), "only the schedule (and by hand)");
    const up = obj(obj(doc.jobs, "jobs").up, "jobs.up");
    assert.equal(obj(up.permissions, "permissions")["id-token"], "write");
    assert.equal(obj(up.concurrency, "concurrency")["cancel-in-progress"], false);
    assert.doesNotMatch(text, STORED_SECRETS);
    const scripts = list(up.steps, "steps")
      .map((s) => s.run)
      .filter((r): r is string => typeof r === "string");
    const upScript = scripts.find((r) => /pulumi up/.test(r)) ?? "";
    assert.match(upScript, handBack);
    assert.ok(upScript.search(handBack) < upScript.indexOf("pulumi up"), "before `pulumi up`");
    for (const s of scripts) {
      assert.doesNotMatch(s, /\$\{\{/);
      assertBashParses(s, s.split("\n")[0] ?? "");
    }
  });

  it("the Azure Pipelines file is scheduled only, federated, locked, and hands the last output back", () => {
    const { text, doc } = load("examples/rotate-on-disclosure/pipelines/azure-pipelines.yml");
    assert.equal(doc.trigger, "none");
    assert.equal(doc.pr, "none");
    assert.match(String(list(doc.schedules, "schedules")[0]?.cron), /^\S+ \* \* \* \*$/);
    assert.doesNotMatch(text, /servicePrincipalKey|AZURE_CLIENT_SECRET/);
    const stage = list(doc.stages, "stages")[0]!;
    assert.equal(stage.lockBehavior, "sequential");
    const script = /inlineScript: \|\n([\s\S]*?)\n {18}env:/.exec(text)?.[1] ?? "";
    assert.match(script, handBack);
    assert.ok(script.search(handBack) < script.indexOf("pulumi up"));
    assertBashParses(
      script.replace(/^ {22}/gm, "").replace(/\$\((\w+(\.\w+)*)\)/g, "$$$1"),
      "azure up script",
    );
  });
});
