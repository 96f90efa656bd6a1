// The inputs are defined once (INPUTS in provider/plan/inputs.ts): the engine's check, the
// program's Args types and the docs' inputs table must all say the same.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import {
  checkInputs,
  defaultColumn,
  INPUT_NAMES,
  INPUTS,
  inputsOf,
  preview,
  resourceColumn,
  UNKNOWN,
  type InputSpec,
} from "../../provider/plan/inputs";

const REPO = path.resolve(__dirname, "../..");

/** The rows of the table under "## Inputs" in docs/concepts.md, cells trimmed. */
function docsInputsTable(): string[][] {
  const md = readFileSync(path.join(REPO, "docs/concepts.md"), "utf8");
  const section = md.slice(md.indexOf("\n## Inputs\n"));
  const lines = section.split("\n").filter((l) => l.startsWith("|"));
  return lines
    .slice(2) // header and separator
    .map((l) =>
      l
        .slice(1, -1)
        .split("|")
        .map((c) => c.trim()),
    );
}

/** A value of the wrong type for an input's kind. */
function wrongValue(spec: InputSpec): unknown {
  switch (spec.kind.type) {
    case "guid":
    case "token":
    case "guidList":
      return { not: "this" };
    case "tokenMap":
      return ["a list"];
    case "boolean":
      return "yes";
    case "oneOf":
      return "none-of-these";
    case "integer":
      return 1.5;
    case "text":
      return 5;
  }
}

const VALID: Record<string, unknown> = {
  managedDeviceId: "0b7c5a2e-0000-4000-8000-000000000001",
  managedDeviceIds: ["0b7c5a2e-0000-4000-8000-000000000001"],
  rotationToken: "2026-Q4",
};

describe("plan: inputs are defined once", () => {
  it("the docs' inputs table lists every input, with its resource, default and description", () => {
    const expected = INPUT_NAMES.map((n) => [
      `\`${n}\``,
      resourceColumn(INPUTS[n]),
      defaultColumn(INPUTS[n]),
      INPUTS[n].doc,
    ]);
    assert.deepEqual(docsInputsTable(), expected);
  });

  for (const resource of ["single", "fleet"] as const) {
    it(`${resource}: every input of the table is validated by check, naming the property`, () => {
      const names = inputsOf(resource);
      assert.ok(names.includes("recoveryKeyLimit") && names.includes("recoveryKeyWarnAt"));
      for (const name of names) {
        const news = { ...VALID, [name]: wrongValue(INPUTS[name]) };
        const { failures } = checkInputs(resource, news);
        assert.deepEqual(
          failures.map((f) => f.property),
          [name],
          `${name}: ${JSON.stringify(failures)}`,
        );
      }
    });
  }

  it("defaults come from the table", () => {
    const { inputs, failures } = checkInputs("single", VALID);
    assert.deepEqual(failures, []);
    for (const name of inputsOf("single")) {
      const k = INPUTS[name].kind;
      if ("default" in k) assert.equal(inputs[name], k.default, name);
    }
  });
});

const ID = "0b7c5a2e-0000-4000-8000-000000000001";
const ID2 = "0b7c5a2e-0000-4000-8000-000000000002";

/** check's failures of one resource for VALID plus `news`, as "property: reason". */
function failures(resource: "single" | "fleet", news: Record<string, unknown>): string[] {
  return checkInputs(resource, { ...VALID, ...news }).failures.map(
    (f) => `${f.property}: ${f.reason}`,
  );
}

/** The one failure check reports, asserting there is exactly one on `property`. */
function onlyFailure(
  resource: "single" | "fleet",
  property: string,
  news: Record<string, unknown>,
): string {
  const { failures: fs } = checkInputs(resource, { ...VALID, ...news });
  assert.deepEqual(
    fs.map((f) => f.property),
    [property],
    JSON.stringify(fs),
  );
  return fs[0]!.reason;
}

describe("plan: what check says about each input (name, limit, bad value)", () => {
  it("a missing, null or empty device id is 'required', not 'not a GUID'", () => {
    for (const v of [undefined, null, ""]) {
      assert.match(
        onlyFailure("single", "managedDeviceId", { managedDeviceId: v }),
        /^managedDeviceId \(the Intune managed device id\) is required$/,
        String(v),
      );
    }
  });
  it("a device id that is not a GUID: the input, an example and the bad value", () => {
    const reason = onlyFailure("single", "managedDeviceId", { managedDeviceId: "LAPTOP-1" });
    assert.match(reason, /^managedDeviceId .* must be a GUID like 0b7c5a2e-/);
    assert.match(reason, /got "LAPTOP-1"$/);
  });
  it("a missing or null token says it is required and what it is for (both resources)", () => {
    for (const resource of ["single", "fleet"] as const) {
      for (const v of [undefined, null]) {
        assert.equal(
          onlyFailure(resource, "rotationToken", { rotationToken: v }),
          "rotationToken is required: change it to rotate",
        );
      }
    }
  });
  it("a token that is not text, blank, too long or has control characters says which", () => {
    assert.match(
      onlyFailure("single", "rotationToken", { rotationToken: 5 }),
      /must be text; got 5$/,
    );
    assert.match(
      onlyFailure("single", "rotationToken", { rotationToken: " \t" }),
      /must not be empty or blank/,
    );
    assert.match(
      onlyFailure("single", "rotationToken", { rotationToken: "x".repeat(257) }),
      /at most 256 characters/,
    );
    assert.match(
      onlyFailure("single", "rotationToken", { rotationToken: "2026\nQ4" }),
      /must not contain control characters/,
    );
    assert.match(
      onlyFailure("single", "rotationToken", { rotationToken: "2026\u007fQ4" }),
      /must not contain control characters/,
    );
  });
  it("a token of exactly 256 characters is accepted", () => {
    assert.deepEqual(failures("single", { rotationToken: "x".repeat(256) }), []);
  });
  it("managedDeviceIds must be a list: the input is named", () => {
    assert.match(
      onlyFailure("fleet", "managedDeviceIds", { managedDeviceIds: ID }),
      /^managedDeviceIds must be a list of Intune managed device ids$/,
    );
  });
  it("a fleet holds at most 100,000 devices: 100,000 pass, one more is refused with the limit", () => {
    const ids = (n: number) =>
      Array.from(
        { length: n },
        (_, i) => `0b7c5a2e-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
      );
    assert.deepEqual(failures("fleet", { managedDeviceIds: ids(100_000) }), []);
    assert.match(
      onlyFailure("fleet", "managedDeviceIds", { managedDeviceIds: ids(100_001) }),
      /at most 100000 devices per fleet resource; split the fleet/,
    );
  });
  it("ids that are not GUIDs: how many, and the first three of them", () => {
    const reason = onlyFailure("fleet", "managedDeviceIds", {
      managedDeviceIds: [ID, "a", "b", "c", "d"],
    });
    assert.equal(reason, '4 id(s) are not GUIDs, e.g. "a", "b", "c"');
  });
  it("a device id list not known until apply passes through as it is", () => {
    const { inputs, failures: fs } = checkInputs("fleet", { ...VALID, managedDeviceIds: UNKNOWN });
    assert.deepEqual(fs, []);
    assert.equal(inputs.managedDeviceIds, UNKNOWN);
  });
  it("a list with an id not known until apply is kept as given (not normalized or sorted yet)", () => {
    const given = [ID2.toUpperCase(), UNKNOWN, ID];
    const { inputs, failures: fs } = checkInputs("fleet", { ...VALID, managedDeviceIds: given });
    assert.deepEqual(fs, []);
    assert.deepEqual(inputs.managedDeviceIds, given);
  });
  it("a known id list is lower-cased, de-duplicated and sorted", () => {
    const { inputs } = checkInputs("fleet", {
      ...VALID,
      managedDeviceIds: [ID2.toUpperCase(), ID, ID2],
    });
    assert.deepEqual(inputs.managedDeviceIds, [ID, ID2]);
  });
  it("deviceTokens: none (undefined or null) is no override and no failure", () => {
    for (const v of [undefined, null]) {
      const { inputs, failures: fs } = checkInputs("fleet", { ...VALID, deviceTokens: v });
      assert.deepEqual(fs, []);
      assert.equal(inputs.deviceTokens, v);
    }
  });
  it("deviceTokens must be a map (not text, not a list): the input is named", () => {
    for (const v of ["2026-Q4", ["2026-Q4"], 5]) {
      assert.equal(
        onlyFailure("fleet", "deviceTokens", { deviceTokens: v }),
        "deviceTokens must map device ids to tokens",
      );
    }
  });
  it("deviceTokens: a key that is not a GUID is named; the other keys are still read", () => {
    const { inputs, failures: fs } = checkInputs("fleet", {
      ...VALID,
      deviceTokens: { "LAPTOP-1": "A", [ID.toUpperCase()]: "B" },
    });
    assert.deepEqual(
      fs.map((f) => `${f.property}: ${f.reason}`),
      ['deviceTokens: deviceTokens key "LAPTOP-1" is not a GUID'],
    );
    assert.deepEqual(inputs.deviceTokens, { [ID]: "B" });
  });
  it("deviceTokens: a bad token names the device and the problem", () => {
    assert.equal(
      onlyFailure("fleet", "deviceTokens", { deviceTokens: { [ID]: "" } }),
      `deviceTokens[${ID}]: a rotation token must not be empty or blank`,
    );
  });
  it("a boolean, a choice or a number left null takes its default", () => {
    const { inputs, failures: fs } = checkInputs("single", {
      ...VALID,
      rotateOnCreate: null,
      endpoint: null,
      waitFor: null,
      waitTimeoutSeconds: null,
      pollIntervalSeconds: null,
    });
    assert.deepEqual(fs, []);
    assert.deepEqual(
      [
        inputs.rotateOnCreate,
        inputs.endpoint,
        inputs.waitFor,
        inputs.waitTimeoutSeconds,
        inputs.pollIntervalSeconds,
      ],
      [true, "auto", "requested", 900, 30],
    );
  });
  it("rotateOnCreate: the input and the bad value", () => {
    assert.equal(
      onlyFailure("single", "rotateOnCreate", { rotateOnCreate: "no" }),
      'rotateOnCreate must be true or false; got "no"',
    );
  });
  it("endpoint and waitFor: the input, the values allowed and the bad value", () => {
    assert.equal(
      onlyFailure("single", "waitFor", { waitFor: "forever" }),
      'waitFor must be one of requested, applied, escrowed; got "forever"',
    );
    assert.equal(
      onlyFailure("fleet", "endpoint", { endpoint: "devices" }),
      'endpoint must be one of auto, managedDevices, comanagedDevices; got "devices"',
    );
  });
  it("every whole-number input accepts its limits and refuses one past each, naming both limits", () => {
    const limits: [string, number, number][] = [
      ["waitTimeoutSeconds", 0, 86400],
      ["pollIntervalSeconds", 1, 3600],
      ["recoveryKeyWarnAt", 0, 200],
      ["recoveryKeyLimit", 0, 200],
    ];
    for (const [name, min, max] of limits) {
      for (const ok of [min, max]) {
        const { inputs, failures: fs } = checkInputs("single", { ...VALID, [name]: ok });
        assert.deepEqual(fs, [], `${name}=${ok}`);
        assert.equal(inputs[name], ok);
      }
      for (const bad of [min - 1, max + 1]) {
        assert.equal(
          onlyFailure("single", name, { [name]: bad }),
          `${name} must be a whole number from ${min} to ${max}; got ${bad}`,
        );
      }
    }
    assert.match(
      onlyFailure("single", "waitTimeoutSeconds", { waitTimeoutSeconds: "60" }),
      /got "60"$/,
    );
  });
  it("a number not known until apply passes through", () => {
    const { inputs, failures: fs } = checkInputs("single", {
      ...VALID,
      waitTimeoutSeconds: UNKNOWN,
    });
    assert.deepEqual(fs, []);
    assert.equal(inputs.waitTimeoutSeconds, UNKNOWN);
  });
  it("reason and label: text up to their length; the input and the limit when longer", () => {
    assert.deepEqual(failures("single", { reason: "r".repeat(1024) }), []);
    assert.equal(
      onlyFailure("single", "reason", { reason: "r".repeat(1025) }),
      "reason must be text of at most 1024 characters",
    );
    assert.deepEqual(failures("fleet", { label: "l".repeat(256) }), []);
    assert.equal(
      onlyFailure("fleet", "label", { label: "l".repeat(257) }),
      "label must be text of at most 256 characters",
    );
    const { inputs, failures: fs } = checkInputs("fleet", { ...VALID, reason: null, label: null });
    assert.deepEqual(fs, []);
    assert.deepEqual([inputs.reason, inputs.label], [null, null]);
  });
  it("preview: text quoted, numbers and the like as they are, objects and lists named", () => {
    assert.equal(preview("LAPTOP-1"), '"LAPTOP-1"');
    assert.equal(preview(5), "5");
    assert.equal(preview(true), "true");
    assert.equal(preview(undefined), "undefined");
    assert.equal(preview(null), "null");
    assert.equal(preview({ a: 1 }), "an object");
    assert.equal(preview([1]), "a list");
  });
});
