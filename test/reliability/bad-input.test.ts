// Bad input, property-based (fast-check): the check functions of both resources and the
// settings resolver refuse every bad value with a failure that names the property and shows
// the value safely (escaped, bounded), never throw, and let through only values that cannot
// steer a request. Then the real engine is driven with a sample of such inputs against the
// simulated tenant: every request it makes goes to the tenant and to an allowed path.
import assert from "node:assert/strict";
import * as dc from "node:diagnostics_channel";
import { inspect } from "node:util";
import fc from "fast-check";
import { clearCredentialCache } from "../../provider/auth/credential";
import { SettingsError, resolveSettings } from "../../provider/auth/settings";
import * as fleetEngine from "../../provider/engine/fleetEntry";
import * as singleEngine from "../../provider/engine/singleDeviceEntry";
import { devicePath } from "../../provider/graph/ids";
import { checkFleet } from "../../provider/plan/fleet/inputs";
import { unpackIds } from "../../provider/plan/fleet/packed";
import { checkSingleDevice } from "../../provider/plan/singleDevicePlan";
import type { SimulatedTenant } from "../../simulator/index";
import { configureEngine, engineConfig, startTenant } from "../support/tenant";
import {
  allowedPaths,
  flushResults,
  isolateCache,
  record,
  unexpectedPaths,
  windowsDevice,
} from "./support";

const RUNS = Number(process.env.FC_RUNS ?? 300);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SAMPLE_GUID = "0b7c5a2e-1111-4a2b-9c3d-000000000001";
/** C0 controls and DEL: a newline or an escape sequence written into a message as it is. */
// eslint-disable-next-line no-control-regex
const C0 = /[\u0000-\u001f\u007f]/;
/**
 * Characters a terminal or a log viewer acts on instead of showing: every control (C0 and C1,
 * e.g. U+009B, the 8-bit CSI), format characters (bidi overrides, zero-width spaces) and the
 * Unicode line separators.
 */
const UNSAFE_CHARS = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
/** One of each: what a failure message must show escaped, not as it is. */
const UNSAFE_SAMPLES = [
  "\u202e", // right-to-left override: reorders what follows
  "\u200b", // zero-width space: invisible
  "\u009b", // C1 CSI: starts an escape sequence on 8-bit terminals
  "\u0085", // next line
  "\u2028", // line separator
];

// ---- arbitraries ------------------------------------------------------------------------------

/** Strings built to steer a request path, a query or an OData literal. */
const pathTricks = fc.constantFrom(
  `${SAMPLE_GUID}/../../users`,
  `../${SAMPLE_GUID}`,
  `${SAMPLE_GUID}%2F..%2F..%2Fusers`,
  `${SAMPLE_GUID}%2f..%2fusers`,
  `${SAMPLE_GUID}?$select=key`,
  `${SAMPLE_GUID}#fragment`,
  `${SAMPLE_GUID}/`,
  `${SAMPLE_GUID}\n`,
  ` ${SAMPLE_GUID}`,
  `${SAMPLE_GUID}\u0000`,
  `${SAMPLE_GUID}%00`,
  `${SAMPLE_GUID}' or 1 eq 1 or id eq '`,
  `..%2F..%2Fusers`,
  "%2e%2e%2f%2e%2e%2fusers",
  "..\\..\\users",
  "/beta/users",
  "https://evil.example/x",
  "0b7c5a2e-1111-4a2b-9c3d-00000000000１", // fullwidth digit
  "0b7c5a2e-1111-4a2b-9с3d-000000000001", // Cyrillic с
  "0b7c5a2e-1111-4a2b-9c3d-0000\u200b00000001", // zero-width space
  "\u202e100000000000-d3c9-b2a4-1111-e2a5c7b0", // right-to-left override
  "0b7c5a2e-1111-4a2b-9c3d-000000000001\u0301", // combining accent
  "０b7c5a2e-1111-4a2b-9c3d-000000000001",
);

const unicodeText = fc.string({ unit: "grapheme", maxLength: 80 });
const binaryText = fc.string({ unit: "binary", maxLength: 80 });
const longText = fc
  .tuple(fc.integer({ min: 300, max: 200_000 }), fc.constantFrom("a", "/", "%2F", "é", "\u202e"))
  .map(([n, c]) => c.repeat(Math.ceil(n / c.length)));
const wrongType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
);
/** Anything that is not a GUID string. */
const notAGuid = fc
  .oneof(pathTricks, unicodeText, binaryText, longText, wrongType, fc.constant(""))
  .filter((v) => !(typeof v === "string" && GUID.test(v.toLowerCase())));
/** GUIDs in any letter case. */
const anyCaseGuid = fc
  .tuple(fc.uuid(), fc.array(fc.boolean(), { minLength: 36, maxLength: 36 }))
  .map(([g, up]) => [...g].map((ch, i) => (up[i] ? ch.toUpperCase() : ch)).join(""));

// ---- what "a clear failure" means ---------------------------------------------------------------

/** The failure for `property`: exactly one, naming it, bounded, nothing a terminal acts on. */
function assertClearFailure(
  failures: { property: string; reason: string }[],
  property: string,
  value: unknown,
): void {
  // Pulumi prints `property <name> ...: <reason>`: the property is named by the failure.
  const mine = failures.filter((f) => f.property === property);
  assert.ok(mine.length >= 1, `no failure for ${property}: ${JSON.stringify(failures)}`);
  for (const f of mine) {
    assert.ok(f.reason.length <= 400, `a bounded reason (${f.reason.length} chars)`);
    assert.doesNotMatch(f.reason, C0, `a control character in ${JSON.stringify(f.reason)}`);
    assert.doesNotMatch(f.reason, /\[object Object\]/);
  }
  // A short printable value is shown as it is, so the user sees what they wrote.
  if (typeof value === "string" && /^[\x20-\x7e]{1,40}$/.test(value)) {
    assert.ok(
      mine.some((f) => f.reason.includes(JSON.stringify(value).slice(1, -1))),
      `the value is shown: ${JSON.stringify(mine)}`,
    );
  }
}

const single = (props: Record<string, unknown>) =>
  checkSingleDevice({ managedDeviceId: SAMPLE_GUID, rotationToken: "A", ...props });
const fleet = (props: Record<string, unknown>) =>
  checkFleet({ managedDeviceIds: [SAMPLE_GUID], rotationToken: "A", ...props });

describe("reliability: bad input (property-based)", function () {
  this.timeout(120_000);

  describe("BitLockerKeyRotation check", () => {
    it("refuses every managedDeviceId that is not a GUID, naming it and showing the value safely", () => {
      fc.assert(
        fc.property(notAGuid, (id) => {
          const { failures } = single({ managedDeviceId: id });
          assertClearFailure(failures, "managedDeviceId", id);
        }),
        { numRuns: RUNS },
      );
    });

    it("accepts a GUID in any letter case and keeps it lower-cased: a safe path segment", () => {
      fc.assert(
        fc.property(anyCaseGuid, (id) => {
          const { inputs, failures } = single({ managedDeviceId: id });
          assert.deepEqual(failures, []);
          assert.equal(inputs.managedDeviceId, id.toLowerCase());
          const p = devicePath("managedDevices", inputs.managedDeviceId as string);
          assert.match(p, /^\/deviceManagement\/managedDevices\/[0-9a-f-]{36}$/);
        }),
        { numRuns: RUNS },
      );
    });

    it("accepts a rotation token exactly when it is 1–256 characters of non-blank text without controls", () => {
      fc.assert(
        fc.property(fc.oneof(unicodeText, binaryText, longText, wrongType), (token) => {
          const { failures } = single({ rotationToken: token });
          const ok =
            typeof token === "string" &&
            token.trim() !== "" &&
            token.length <= 256 &&
            // eslint-disable-next-line no-control-regex
            !/[\u0000-\u001f\u007f]/.test(token);
          if (ok) assert.deepEqual(failures, []);
          else assertClearFailure(failures, "rotationToken", undefined);
        }),
        { numRuns: RUNS },
      );
    });

    it("refuses unknown endpoint and waitFor values and wrong types for every setting", () => {
      const setting = fc.oneof(
        fc.record({ k: fc.constant("endpoint"), v: fc.oneof(unicodeText, pathTricks, wrongType) }),
        fc.record({ k: fc.constant("waitFor"), v: fc.oneof(unicodeText, pathTricks, wrongType) }),
        fc.record({ k: fc.constant("rotateOnCreate"), v: fc.oneof(unicodeText, fc.integer()) }),
        fc.record({
          k: fc.constantFrom("waitTimeoutSeconds", "pollIntervalSeconds"),
          v: fc.oneof(fc.double(), fc.integer({ min: 100_000 }), unicodeText),
        }),
        fc.record({ k: fc.constant("reason"), v: fc.oneof(longText, wrongType) }),
      );
      const allowed: Record<string, (v: unknown) => boolean> = {
        endpoint: (v) => ["auto", "managedDevices", "comanagedDevices"].includes(v as string),
        waitFor: (v) => ["requested", "applied", "escrowed"].includes(v as string),
        rotateOnCreate: (v) => typeof v === "boolean",
        waitTimeoutSeconds: (v) =>
          Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 86400,
        pollIntervalSeconds: (v) =>
          Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 3600,
        reason: (v) => typeof v === "string" && v.length <= 1024,
      };
      fc.assert(
        fc.property(setting, ({ k, v }) => {
          for (const check of [single, fleet]) {
            const { failures } = check({ [k]: v });
            if (allowed[k]!(v)) assert.deepEqual(failures, []);
            else assertClearFailure(failures, k, v);
          }
        }),
        { numRuns: RUNS },
      );
    });

    it("never throws, whatever the input object holds", () => {
      fc.assert(
        fc.property(fc.dictionary(fc.string(), fc.anything()), (props) => {
          checkSingleDevice(props);
          checkFleet(props);
        }),
        { numRuns: RUNS },
      );
    });
  });

  describe("BitLockerKeyRotationFleet check", () => {
    it("refuses a list holding any non-GUID, naming managedDeviceIds and showing a few, boundedly", () => {
      fc.assert(
        fc.property(
          fc.array(anyCaseGuid, { maxLength: 5 }),
          fc.array(notAGuid, { minLength: 1, maxLength: 50 }),
          (good, bad) => {
            const { failures } = fleet({ managedDeviceIds: [...good, ...bad] });
            assertClearFailure(failures, "managedDeviceIds", bad.length === 1 ? bad[0] : undefined);
            assert.ok(failures[0]!.reason.includes(`${bad.length} id(s)`));
          },
        ),
        { numRuns: RUNS },
      );
    });

    it("refuses a managedDeviceIds that is neither a list nor ids one a line", () => {
      fc.assert(
        fc.property(
          // A string is the packed form (plan/fleet/packed.ts), "" the empty list.
          fc.oneof(
            unicodeText.filter((t) => t !== ""),
            fc.integer(),
            fc.dictionary(fc.string(), fc.string()),
          ),
          (v) => {
            assertClearFailure(
              fleet({ managedDeviceIds: v }).failures,
              "managedDeviceIds",
              undefined,
            );
          },
        ),
        { numRuns: RUNS },
      );
    });

    it("keeps valid ids lower-cased, de-duplicated and sorted: only GUIDs reach a path", () => {
      fc.assert(
        fc.property(fc.array(anyCaseGuid, { maxLength: 30 }), (ids) => {
          const { inputs, failures } = fleet({ managedDeviceIds: [...ids, ...ids] });
          assert.deepEqual(failures, []);
          const out = unpackIds(inputs.managedDeviceIds as string); // kept packed, one a line
          assert.deepEqual(out, [...new Set(ids.map((i) => i.toLowerCase()))].sort());
          for (const id of out) assert.match(id, GUID);
        }),
        { numRuns: RUNS },
      );
    });

    it("refuses deviceTokens keyed by a non-GUID or holding a bad token", () => {
      fc.assert(
        fc.property(
          fc.oneof(
            notAGuid.filter((k) => typeof k === "string").map((k) => ({ [k as string]: "B" })),
            anyCaseGuid.map((g) => ({ [g]: "" })),
            anyCaseGuid.chain((g) => longText.map((t) => ({ [g]: t }))),
            fc.oneof(unicodeText, fc.array(fc.string(), { minLength: 1 })),
          ),
          (deviceTokens) => {
            assertClearFailure(fleet({ deviceTokens }).failures, "deviceTokens", undefined);
          },
        ),
        { numRuns: RUNS },
      );
    });
  });

  describe("settings (resolveSettings)", () => {
    const base = {
      "bitlocker:tenantId": "contoso.onmicrosoft.com",
      "bitlocker:clientId": SAMPLE_GUID,
      "bitlocker:clientSecret": "s3cret-value-never-shown",
    };
    const resolve = (config: Record<string, string>, env: Record<string, string> = {}) =>
      resolveSettings({ ...base, ...config }, env);
    /** Runs resolve and returns the SettingsError it must throw. */
    const refused = (config: Record<string, string>, env: Record<string, string> = {}) => {
      try {
        resolve(config, env);
      } catch (e) {
        assert.ok(e instanceof SettingsError, `a SettingsError, not ${String(e)}`);
        return e;
      }
      assert.fail(`accepted ${JSON.stringify(config)} ${JSON.stringify(env)}`);
    };
    const assertNames = (e: SettingsError, key: string) => {
      assert.ok(e.message.includes(key), `the message names ${key}: ${e.message}`);
      assert.ok(e.message.length <= 400, `a bounded message (${e.message.length})`);
      assert.doesNotMatch(e.message, C0, `a control character: ${JSON.stringify(e.message)}`);
      assert.ok(!e.message.includes(base["bitlocker:clientSecret"]), "the secret is shown");
    };

    it("refuses an unknown cloud, naming bitlocker:cloud (or BITLOCKER_CLOUD) and the value", () => {
      const known = ["global", "usgovernment", "usgovernmentdod", "china"];
      fc.assert(
        fc.property(
          fc
            .oneof(unicodeText, pathTricks)
            .filter((v) => v.trim() !== "" && !known.includes(v.trim().toLowerCase())),
          fc.boolean(),
          (cloud, fromEnv) => {
            const e = fromEnv
              ? refused({}, { BITLOCKER_CLOUD: cloud })
              : refused({ "bitlocker:cloud": cloud });
            assertNames(e, fromEnv ? "BITLOCKER_CLOUD" : "bitlocker:cloud");
          },
        ),
        { numRuns: RUNS },
      );
    });

    it("refuses http:// endpoints off loopback, and accepts only bare https (or loopback http) origins", () => {
      const offLoopback = fc.oneof(
        fc.domain(),
        fc.ipV4().filter((ip) => !ip.startsWith("127.")),
        fc.constantFrom("localhost.evil.example", "127.0.0.1.nip.io", "[::ffff:7f00:1]", "0.0.0.0"),
      );
      fc.assert(
        fc.property(offLoopback, fc.option(fc.integer({ min: 1, max: 65535 })), (host, port) => {
          const url = `http://${host}${port ? `:${port}` : ""}`;
          assertNames(refused({ "bitlocker:graphEndpoint": url }), "bitlocker:graphEndpoint");
          assertNames(refused({ "bitlocker:authorityHost": url }), "bitlocker:authorityHost");
          assert.match(refused({ "bitlocker:graphEndpoint": url }).message, /https/);
        }),
        { numRuns: RUNS },
      );
      for (const loopback of ["http://127.0.0.1:8443", "http://localhost:1", "http://[::1]:9"]) {
        assert.equal(resolve({ "bitlocker:graphEndpoint": loopback }).graphBaseUrl, loopback);
        assertNames(refused({ "bitlocker:authorityHost": loopback }), "bitlocker:authorityHost");
      }
    });

    it("refuses endpoints with a path, query, fragment, user info or another scheme", () => {
      const tricky = fc.oneof(
        fc.constantFrom(
          "https://graph.microsoft.com/../beta",
          "https://graph.microsoft.com/%2F",
          "https://graph.microsoft.com/v1.0",
          "https://graph.microsoft.com?x=1",
          "https://graph.microsoft.com#x",
          "https://user:pass@graph.microsoft.com",
          "https://graph.microsoft.com@evil.example",
          "ftp://graph.microsoft.com",
          "file:///etc/passwd",
          "javascript:alert(1)",
          "graph.microsoft.com",
          "//graph.microsoft.com",
        ),
        fc.webUrl({ withQueryParameters: true, withFragments: true }).filter((u) => {
          const p = new URL(u);
          return p.pathname !== "/" || p.search !== "" || p.hash !== "" || p.username !== "";
        }),
      );
      fc.assert(
        fc.property(tricky, (url) => {
          for (const key of ["bitlocker:graphEndpoint", "bitlocker:authorityHost"]) {
            assertNames(refused({ [key]: url }), key);
          }
        }),
        { numRuns: RUNS },
      );
    });

    it("any accepted endpoint is a bare origin: https, or http on loopback for Graph only", () => {
      fc.assert(
        fc.property(fc.oneof(fc.webUrl(), unicodeText, pathTricks), (url) => {
          let s;
          try {
            s = resolve({ "bitlocker:graphEndpoint": url });
          } catch (e) {
            assert.ok(e instanceof SettingsError);
            return;
          }
          const u = new URL(s.graphBaseUrl);
          assert.ok(
            u.protocol === "https:" || ["127.0.0.1", "localhost", "[::1]"].includes(u.hostname),
          );
          assert.equal(s.graphBaseUrl, u.origin);
          assert.equal(s.scope, `${u.origin}/.default`);
        }),
        { numRuns: RUNS },
      );
    });

    it("refuses tenant and client ids that could steer the authority path", () => {
      fc.assert(
        fc.property(
          notAGuid.filter(
            (v): v is string =>
              typeof v === "string" && v.trim() !== "" && !GUID.test(v.trim().toLowerCase()),
          ),
          (v) => {
            const e = refused({ "bitlocker:clientId": v });
            assertNames(e, "bitlocker:clientId");
            let tenant: ReturnType<typeof resolve> | undefined;
            try {
              tenant = resolve({ "bitlocker:tenantId": v });
            } catch (err) {
              assert.ok(err instanceof SettingsError);
              assertNames(err, "bitlocker:tenantId");
            }
            // A tenant id that is accepted is a GUID or a DNS name: nothing to escape in a path.
            if (tenant) assert.match(tenant.tenantId!, /^[a-z0-9.-]+$/i);
          },
        ),
        { numRuns: RUNS },
      );
    });

    it("refuses numbers out of range or not numbers, naming the key", () => {
      const keys = [
        "maxRetries",
        "retryBudgetSeconds",
        "requestTimeoutSeconds",
        "postShareOfLimit",
        "maxConnections",
        "throttleWindowSeconds",
      ];
      fc.assert(
        fc.property(
          fc.constantFrom(...keys),
          fc.oneof(unicodeText, fc.double().map(String), fc.integer().map(String)),
          (key, value) => {
            try {
              resolve({ [`bitlocker:${key}`]: value });
            } catch (e) {
              assert.ok(e instanceof SettingsError, String(e));
              assertNames(e, `bitlocker:${key}`);
            }
          },
        ),
        { numRuns: RUNS },
      );
    });

    it("never shows a secret: not in errors, not when the settings are printed", () => {
      fc.assert(
        fc.property(
          fc.string({ minLength: 8, maxLength: 64 }).filter((s) => s.trim().length >= 8),
          fc.constantFrom("bitlocker:clientSecret", "bitlocker:clientCertificatePassword"),
          fc.constantFrom(
            { "bitlocker:cloud": "mars" },
            { "bitlocker:graphEndpoint": "http://graph.example" },
            { "bitlocker:maxRetries": "-1" },
            { "bitlocker:clientId": "not-a-guid" },
            {},
          ),
          (secret, key, bad) => {
            const config = {
              ...base,
              "bitlocker:clientCertificatePath": "/dev/null",
              [key]: secret,
              ...bad,
            };
            let printed: string;
            try {
              const s = resolveSettings(config, {});
              printed = `${JSON.stringify(s)}\n${inspect(s)}\n${String(s)}`;
            } catch (e) {
              printed = `${(e as Error).message}\n${inspect(e)}`;
            }
            assert.ok(!printed.includes(secret.trim()), `secret shown: ${printed}`);
          },
        ),
        { numRuns: RUNS },
      );
    });

    it("never throws anything but SettingsError", () => {
      const keys = [
        "tenantId",
        "clientId",
        "clientSecret",
        "clientCertificatePath",
        "federatedTokenFile",
        "authorityHost",
        "cloud",
        "graphEndpoint",
        "credential",
        "maxRetries",
        "requestTimeoutSeconds",
      ];
      fc.assert(
        fc.property(
          fc.dictionary(
            fc.constantFrom(...keys).map((k) => `bitlocker:${k}`),
            fc.oneof(unicodeText, pathTricks),
          ),
          (config) => {
            try {
              resolveSettings(config, {});
            } catch (e) {
              assert.ok(
                e instanceof SettingsError,
                `${(e as Error).name}: ${(e as Error).message}`,
              );
            }
          },
        ),
        { numRuns: RUNS },
      );
    });
  });
});

describe("reliability: bad input is shown escaped", function () {
  // A value echoed into a failure message reaches the terminal and CI logs as it is. Controls
  // and format characters in it can reorder or hide the message (Trojan-Source style) or
  // start terminal escape sequences: they must appear escaped (\u202e), never raw.
  it("bidi overrides, zero-width spaces, C1 controls and line separators never appear raw in a failure", () => {
    const raw: string[] = [];
    for (const ch of UNSAFE_SAMPLES) {
      const value = `${SAMPLE_GUID.slice(0, 20)}${ch}evil`;
      const messages = [
        ...single({ managedDeviceId: value }).failures.map((f) => f.reason),
        ...single({ waitFor: value }).failures.map((f) => f.reason),
        ...fleet({ managedDeviceIds: [value] }).failures.map((f) => f.reason),
        ...fleet({ deviceTokens: { [value]: "B" } }).failures.map((f) => f.reason),
      ];
      for (const config of [{ "bitlocker:cloud": value }, { "bitlocker:clientId": value }]) {
        try {
          resolveSettings({ "bitlocker:clientSecret": "x-secret-x", ...config }, {});
          assert.fail("accepted");
        } catch (e) {
          messages.push((e as Error).message);
        }
      }
      assert.equal(messages.length, 6);
      for (const m of messages) if (UNSAFE_CHARS.test(m)) raw.push(JSON.stringify(m));
    }
    assert.deepEqual(
      raw,
      [],
      `${raw.length} of ${UNSAFE_SAMPLES.length * 6} messages show the value raw`,
    );
  });
});

describe("reliability: bad input through the real engine (request log)", function () {
  this.timeout(120_000);
  let tenant: SimulatedTenant;
  /** Every HTTP request this process starts (undici and node:http), by origin and path. */
  const outgoing: { origin: string; path: string }[] = [];
  const onUndici = (m: unknown) => {
    const r = (m as { request: { origin: string; path: string } }).request;
    outgoing.push({ origin: String(r.origin), path: r.path });
  };
  const onHttp = (m: unknown) => {
    const r = (
      m as {
        request: { protocol: string; host: string; path: string; getHeader(n: string): unknown };
      }
    ).request;
    const host = String(r.getHeader("host") ?? r.host);
    outgoing.push({ origin: `${r.protocol}//${host}`, path: r.path });
  };

  let restoreCache: () => void;

  before(async () => {
    restoreCache = isolateCache();
    tenant = await startTenant();
    dc.subscribe("undici:request:create", onUndici);
    dc.subscribe("http.client.request.start", onHttp);
  });
  after(async () => {
    dc.unsubscribe("undici:request:create", onUndici);
    dc.unsubscribe("http.client.request.start", onHttp);
    flushResults();
    restoreCache?.();
    await tenant?.close();
  });

  it("sends no request for a refused input, and only allowed paths to the tenant otherwise", async () => {
    configureEngine(engineConfig(tenant));
    clearCredentialCache();
    tenant.log.clear();
    outgoing.length = 0;
    const devices = [windowsDevice(tenant), windowsDevice(tenant)];
    const bad = fc.sample(notAGuid, { numRuns: 60, seed: 42 });
    let refusedByCheck = 0;
    let refusedByEngine = 0;
    for (const id of bad) {
      // What Pulumi does: check first; create only if check passed.
      const s = await singleEngine.check({}, { managedDeviceId: id, rotationToken: "A" });
      const f = await fleetEngine.check(
        {},
        { managedDeviceIds: [devices[0]!.id, id], rotationToken: "A" },
      );
      assert.ok(s.failures.length > 0 && f.failures.length > 0, `accepted ${inspect(id)}`);
      refusedByCheck++;
      // Defence in depth: the engine itself, called without check, must not send it either.
      await assert.rejects(
        singleEngine.create({ managedDeviceId: id, rotationToken: "A", rotateOnCreate: true }),
      );
      await assert.rejects(
        fleetEngine.create({
          managedDeviceIds: [devices[0]!.id, id],
          rotationToken: "A",
          rotateOnCreate: true,
          waitFor: "requested",
          endpoint: "auto",
        }),
      );
      refusedByEngine++;
    }
    assert.equal(tenant.log.size, 0, "no request at all for refused inputs");

    // Valid ids in odd letter case, an unknown device and a real one: the engine talks to the
    // tenant, on allowed paths only.
    const accepted = [
      devices[0]!.id.toUpperCase(),
      "0B7C5A2E-DEAD-4A2B-9C3D-000000000404",
      devices[1]!.id,
    ];
    for (const id of accepted) {
      const { inputs, failures } = await singleEngine.check(
        {},
        { managedDeviceId: id, rotationToken: "A" },
      );
      // The unknown device fails check already (preview reads it: Graph's 404); create,
      // called anyway, fails the same way.
      if (id === accepted[1])
        assert.match(failures[0]?.reason ?? "", /does not exist in Intune \(Graph answered 404/);
      else assert.deepEqual(failures, []);
      await singleEngine.create(inputs).catch((e: Error) => assert.match(e.message, /404/));
    }
    const { inputs } = await fleetEngine.check(
      {},
      { managedDeviceIds: accepted, rotationToken: "B", label: "bad-input" },
    );
    await fleetEngine.create(inputs);

    const allowed = allowedPaths(tenant.tenantId);
    const offPath = unexpectedPaths(tenant);
    const offHost = outgoing.filter((o) => o.origin !== tenant.url);
    const offPathOutgoing = outgoing.filter(
      (o) => !allowed.some((re) => re.test(decodeURIComponent(o.path.split("?")[0]!))),
    );
    record({
      suite: "bad input (engine)",
      case: "a sample of refused inputs, then accepted ones",
      injected: `${bad.length} non-GUID ids (path tricks, Unicode, long strings, wrong types) through check and, bypassing check, create; then 3 accepted ids`,
      happened: `check refused ${refusedByCheck}/${bad.length}; create refused ${refusedByEngine}/${bad.length} with no request`,
      state: "nothing for refused inputs",
      converged: offPath.length === 0 && offHost.length === 0,
      devices: accepted.length,
      repeated: 0,
      attempts: tenant.log.size,
      ms: 0,
      notes: `${outgoing.length} outgoing request(s), ${offHost.length} off the tenant's origin, ${offPath.length + offPathOutgoing.length} off the allowed paths`,
    });
    assert.ok(outgoing.length > 0, "the request hooks saw the engine's requests");
    assert.deepEqual(offHost, [], "every request went to the tenant's origin");
    assert.deepEqual(offPath, [], "every logged path is an allowed Graph/Entra path");
    assert.deepEqual(offPathOutgoing, [], "every outgoing path is an allowed Graph/Entra path");
  });
});
