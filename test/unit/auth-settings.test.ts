import assert from "node:assert/strict";
import { inspect } from "node:util";
import {
  describeSettings,
  resolveSettings,
  SETTING_KEYS,
  SettingsError,
  type SettingName,
} from "../../provider/auth/settings";
import { isLoopbackHost } from "../../provider/auth/endpointUrl";

const TENANT = "11111111-2222-3333-4444-555555555555";
const CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
const SECRET = "s3cr3t~value.that-must-not-leak";

function throwsSettings(fn: () => unknown, key: string, source: "config" | "env" | undefined) {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SettingsError, `expected SettingsError, got ${String(err)}`);
    assert.equal(err.key, key);
    assert.equal(err.source, source);
    return err;
  }
  assert.fail("expected a SettingsError");
}

describe("auth: resolveSettings", () => {
  it("defaults to the global cloud and the default credential chain", () => {
    const s = resolveSettings({}, {});
    assert.equal(s.cloud, "global");
    assert.equal(s.graphBaseUrl, "https://graph.microsoft.com");
    assert.equal(s.scope, "https://graph.microsoft.com/.default");
    assert.equal(s.authorityHost, "https://login.microsoftonline.com");
    assert.equal(s.disableInstanceDiscovery, false);
    assert.equal(s.credential, "default");
    assert.equal(s.credentialChoice, "auto");
    assert.equal(s.maxRetries, 5);
    assert.equal(s.retryBudgetSeconds, 180);
    assert.equal(s.requestTimeoutSeconds, 30);
    assert.equal(s.postShareOfLimit, 1);
    assert.equal(s.maxConnections, 16);
    assert.equal(s.throttleWindowSeconds, 20);
  });

  // Every key, read from config and from env, lands in the same field.
  const values: Record<
    SettingName,
    [string, (s: ReturnType<typeof resolveSettings>) => unknown, unknown]
  > = {
    tenantId: [TENANT, (s) => s.tenantId, TENANT],
    clientId: [CLIENT, (s) => s.clientId, CLIENT],
    clientSecret: [SECRET, (s) => s.clientSecret, SECRET],
    clientCertificatePath: ["/certs/app.pem", (s) => s.clientCertificatePath, "/certs/app.pem"],
    clientCertificatePassword: ["pw", (s) => s.clientCertificatePassword, "pw"],
    federatedTokenFile: ["/var/run/token", (s) => s.federatedTokenFile, "/var/run/token"],
    authorityHost: [
      "https://login.example.test/",
      (s) => s.authorityHost,
      "https://login.example.test",
    ],
    cloud: ["usgov", (s) => s.cloud, "usgov"],
    graphEndpoint: [
      "https://graph.example.test",
      (s) => s.graphBaseUrl,
      "https://graph.example.test",
    ],
    credential: ["azureCli", (s) => s.credential, "azureCli"],
    maxRetries: ["2", (s) => s.maxRetries, 2],
    retryBudgetSeconds: ["12.5", (s) => s.retryBudgetSeconds, 12.5],
    requestTimeoutSeconds: ["7", (s) => s.requestTimeoutSeconds, 7],
    postShareOfLimit: ["0.5", (s) => s.postShareOfLimit, 0.5],
    maxConnections: ["4", (s) => s.maxConnections, 4],
    throttleWindowSeconds: ["2.5", (s) => s.throttleWindowSeconds, 2.5],
    maxRotationsPerUpdate: ["250", (s) => s.maxRotationsPerUpdate, 250],
  };
  // Credential material needs its companions; give them through the other source.
  const companions: Partial<Record<SettingName, Record<string, string>>> = {
    clientSecret: { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT },
    clientCertificatePath: { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT },
    federatedTokenFile: { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT },
  };
  for (const [name, [value, read, expected]] of Object.entries(values) as [
    SettingName,
    (typeof values)[SettingName],
  ][]) {
    const keys = SETTING_KEYS[name];
    it(`reads ${keys.config} and ${keys.env}`, () => {
      const extra = companions[name] ?? {};
      const fromConfig = resolveSettings({ [keys.config]: value }, extra);
      assert.deepEqual(read(fromConfig), expected);
      assert.equal(fromConfig.sources[name], "config");
      const fromEnv = resolveSettings({}, { ...extra, [keys.env]: value });
      assert.deepEqual(read(fromEnv), expected);
      assert.equal(fromEnv.sources[name], "env");
    });
  }

  it("prefers config over env, key by key", () => {
    const s = resolveSettings(
      { "bitlocker:cloud": "china", "bitlocker:tenantId": TENANT },
      {
        BITLOCKER_CLOUD: "usgov",
        AZURE_TENANT_ID: "contoso.onmicrosoft.com",
        AZURE_CLIENT_ID: CLIENT,
      },
    );
    assert.equal(s.cloud, "china");
    assert.equal(s.tenantId, TENANT);
    assert.equal(s.clientId, CLIENT);
    assert.equal(s.sources.tenantId, "config");
    assert.equal(s.sources.clientId, "env");
  });

  it("treats blank values as unset (so env fills in)", () => {
    const s = resolveSettings({ "bitlocker:cloud": "  " }, { BITLOCKER_CLOUD: "usgovdod" });
    assert.equal(s.cloud, "usgovdod");
  });

  describe("clouds", () => {
    const table = {
      global: ["https://graph.microsoft.com", "https://login.microsoftonline.com"],
      usgov: ["https://graph.microsoft.us", "https://login.microsoftonline.us"],
      usgovdod: ["https://dod-graph.microsoft.us", "https://login.microsoftonline.us"],
      china: ["https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn"],
    };
    for (const [cloud, [graph, authority]] of Object.entries(table)) {
      it(`${cloud} → ${graph}, ${authority}`, () => {
        const s = resolveSettings({ "bitlocker:cloud": cloud }, {});
        assert.equal(s.graphBaseUrl, graph);
        assert.equal(s.authorityHost, authority);
        assert.equal(s.scope, `${graph}/.default`);
        assert.equal(s.disableInstanceDiscovery, false);
      });
    }
    it("rejects an unknown cloud, naming the key and its source", () => {
      const err = throwsSettings(
        () => resolveSettings({}, { BITLOCKER_CLOUD: "mars" }),
        "BITLOCKER_CLOUD",
        "env",
      );
      assert.match(
        err.message,
        /BITLOCKER_CLOUD \(environment\).*global, usgov, usgovdod, china.*"mars"/,
      );
    });
  });

  describe("graphEndpoint", () => {
    it("overrides the Graph base and the scope, keeps the cloud's authority", () => {
      const s = resolveSettings(
        { "bitlocker:graphEndpoint": "https://127.0.0.1:8443/", "bitlocker:cloud": "usgov" },
        {},
      );
      assert.equal(s.graphBaseUrl, "https://127.0.0.1:8443");
      assert.equal(s.scope, "https://127.0.0.1:8443/.default");
      assert.equal(s.authorityHost, "https://login.microsoftonline.us");
    });
    for (const ok of [
      "http://127.0.0.1:3000",
      "http://127.9.8.7",
      "http://[::1]:8080",
      "http://localhost:1",
    ]) {
      it(`accepts http on loopback: ${ok}`, () => {
        assert.equal(
          resolveSettings({ "bitlocker:graphEndpoint": ok }, {}).graphBaseUrl,
          new URL(ok).origin,
        );
      });
    }
    for (const bad of [
      "http://graph.example.test",
      "http://10.0.0.1",
      "http://128.0.0.1",
      "ftp://graph.example.test",
      "https://graph.example.test/beta",
      "https://graph.example.test/?x=1",
      "https://user:pw@graph.example.test",
      "graph.microsoft.com",
    ]) {
      it(`rejects ${bad}`, () => {
        throwsSettings(
          () => resolveSettings({ "bitlocker:graphEndpoint": bad }, {}),
          "bitlocker:graphEndpoint",
          "config",
        );
      });
    }
  });

  describe("authorityHost", () => {
    it("disables instance discovery for a non-Microsoft authority", () => {
      const s = resolveSettings({}, { AZURE_AUTHORITY_HOST: "https://127.0.0.1:9443" });
      assert.equal(s.authorityHost, "https://127.0.0.1:9443");
      assert.equal(s.disableInstanceDiscovery, true);
    });
    it("keeps instance discovery for Microsoft's authorities", () => {
      const s = resolveSettings(
        { "bitlocker:authorityHost": "https://login.microsoftonline.us" },
        {},
      );
      assert.equal(s.disableInstanceDiscovery, false);
    });
    it("refuses http even on loopback (MSAL requires https)", () => {
      throwsSettings(
        () => resolveSettings({}, { AZURE_AUTHORITY_HOST: "http://127.0.0.1:9443" }),
        "AZURE_AUTHORITY_HOST",
        "env",
      );
    });
  });

  describe("credential", () => {
    const base = { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT };
    it("auto picks the client secret first", () => {
      const s = resolveSettings(
        {},
        {
          ...base,
          AZURE_CLIENT_SECRET: SECRET,
          AZURE_CLIENT_CERTIFICATE_PATH: "/c.pem",
          AZURE_FEDERATED_TOKEN_FILE: "/t",
        },
      );
      assert.equal(s.credential, "clientSecret");
    });
    it("auto picks the certificate before the federated token", () => {
      const s = resolveSettings(
        {},
        { ...base, AZURE_CLIENT_CERTIFICATE_PATH: "/c.pem", AZURE_FEDERATED_TOKEN_FILE: "/t" },
      );
      assert.equal(s.credential, "clientCertificate");
    });
    it("auto picks workload identity from a federated token file", () => {
      assert.equal(
        resolveSettings({}, { ...base, AZURE_FEDERATED_TOKEN_FILE: "/t" }).credential,
        "workloadIdentity",
      );
    });
    it("auto falls back to the default chain", () => {
      assert.equal(resolveSettings({}, base).credential, "default");
    });
    it("honours an explicit choice even when other material is present", () => {
      const s = resolveSettings(
        { "bitlocker:credential": "managedIdentity" },
        { ...base, AZURE_CLIENT_SECRET: SECRET },
      );
      assert.equal(s.credential, "managedIdentity");
      assert.equal(s.credentialChoice, "managedIdentity");
    });
    it("accepts any letter case for the choice", () => {
      assert.equal(
        resolveSettings({}, { BITLOCKER_CREDENTIAL: "AzureCLI" }).credential,
        "azureCli",
      );
    });
    it("rejects an unknown choice", () => {
      throwsSettings(
        () => resolveSettings({ "bitlocker:credential": "password" }, {}),
        "bitlocker:credential",
        "config",
      );
    });
    const required: [string, Record<string, string>, string][] = [
      [
        "clientSecret",
        { AZURE_CLIENT_ID: CLIENT, AZURE_CLIENT_SECRET: SECRET },
        "bitlocker:tenantId",
      ],
      [
        "clientSecret",
        { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_SECRET: SECRET },
        "bitlocker:clientId",
      ],
      ["clientSecret", base, "bitlocker:clientSecret"],
      ["clientCertificate", base, "bitlocker:clientCertificatePath"],
      ["workloadIdentity", base, "bitlocker:federatedTokenFile"],
    ];
    for (const [kind, env, missing] of required) {
      it(`${kind} without ${missing} fails, naming both the config key and the env variable`, () => {
        const err = throwsSettings(
          () => resolveSettings({ "bitlocker:credential": kind }, env),
          missing,
          undefined,
        );
        assert.match(err.message, new RegExp(`${missing}.*AZURE_`));
        assert.match(err.message, new RegExp(kind));
      });
    }
    it("auto with a secret but no tenant fails instead of falling through", () => {
      throwsSettings(
        () => resolveSettings({}, { AZURE_CLIENT_ID: CLIENT, AZURE_CLIENT_SECRET: SECRET }),
        "bitlocker:tenantId",
        undefined,
      );
    });
  });

  describe("identity values", () => {
    it("accepts a tenant domain", () => {
      assert.equal(
        resolveSettings({ "bitlocker:tenantId": "contoso.onmicrosoft.com" }, {}).tenantId,
        "contoso.onmicrosoft.com",
      );
    });
    for (const bad of ["common", "organizations", "not a tenant", "1234"]) {
      it(`rejects tenant ${JSON.stringify(bad)}`, () => {
        throwsSettings(
          () => resolveSettings({}, { AZURE_TENANT_ID: bad }),
          "AZURE_TENANT_ID",
          "env",
        );
      });
    }
    it("rejects a client id that is not a GUID", () => {
      throwsSettings(
        () => resolveSettings({ "bitlocker:clientId": "my-app" }, {}),
        "bitlocker:clientId",
        "config",
      );
    });
  });

  describe("tuning", () => {
    const bad: [string, string][] = [
      ["bitlocker:maxRetries", "-1"],
      ["bitlocker:maxRetries", "1.5"],
      ["bitlocker:maxRetries", "many"],
      ["bitlocker:retryBudgetSeconds", "0"],
      ["bitlocker:requestTimeoutSeconds", "-3"],
      ["bitlocker:postShareOfLimit", "0"],
      ["bitlocker:postShareOfLimit", "1.2"],
      ["bitlocker:maxConnections", "0"],
      ["bitlocker:throttleWindowSeconds", "0"],
      ["bitlocker:throttleWindowSeconds", "-5"],
      ["bitlocker:throttleWindowSeconds", "3600.5"],
      ["bitlocker:throttleWindowSeconds", "twenty"],
      ["bitlocker:throttleWindowSeconds", "Infinity"],
    ];
    for (const [key, value] of bad) {
      it(`rejects ${key}=${value}`, () => {
        throwsSettings(() => resolveSettings({ [key]: value }, {}), key, "config");
      });
    }
    it("accepts postShareOfLimit 1 and maxRetries 0", () => {
      const s = resolveSettings(
        { "bitlocker:postShareOfLimit": "1", "bitlocker:maxRetries": "0" },
        {},
      );
      assert.equal(s.postShareOfLimit, 1);
      assert.equal(s.maxRetries, 0);
    });
    it("accepts throttleWindowSeconds 3600 and fractions of a second", () => {
      assert.equal(
        resolveSettings({ "bitlocker:throttleWindowSeconds": "3600" }, {}).throttleWindowSeconds,
        3600,
      );
      assert.equal(
        resolveSettings({}, { BITLOCKER_THROTTLE_WINDOW_SECONDS: "0.5" }).throttleWindowSeconds,
        0.5,
      );
    });
    it("throttleWindowSeconds: config wins over env", () => {
      const s = resolveSettings(
        { "bitlocker:throttleWindowSeconds": "5" },
        { BITLOCKER_THROTTLE_WINDOW_SECONDS: "2" },
      );
      assert.equal(s.throttleWindowSeconds, 5);
      assert.equal(s.sources.throttleWindowSeconds, "config");
    });
    it("a bad BITLOCKER_THROTTLE_WINDOW_SECONDS names the variable, the rule and the value", () => {
      const err = throwsSettings(
        () => resolveSettings({}, { BITLOCKER_THROTTLE_WINDOW_SECONDS: "0" }),
        "BITLOCKER_THROTTLE_WINDOW_SECONDS",
        "env",
      );
      assert.match(
        err.message,
        /BITLOCKER_THROTTLE_WINDOW_SECONDS \(environment\): must be a number greater than 0 and at most 3600; got "0"/,
      );
    });
  });

  describe("secrets stay out of print", () => {
    const s = resolveSettings(
      { "bitlocker:clientSecret": SECRET, "bitlocker:clientCertificatePassword": "pem-password-1" },
      { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT },
    );
    it("describeSettings redacts and names sources", () => {
      const text = describeSettings(s);
      assert.ok(!text.includes(SECRET));
      assert.ok(!text.includes("pem-password-1"));
      assert.match(text, /clientSecret: <redacted> \(config bitlocker:clientSecret\)/);
      assert.match(text, /tenantId: 1111.* \(env AZURE_TENANT_ID\)/);
      assert.match(text, /credential: clientSecret \(auto\)/);
      assert.match(text, /cloud: global \(default\)/);
      assert.match(text, /throttleWindowSeconds: 20 \(default\)/);
    });
    it("JSON.stringify and util.inspect print the redacted view", () => {
      assert.ok(!JSON.stringify(s).includes(SECRET));
      assert.ok(!inspect(s, { depth: 5 }).includes(SECRET));
      assert.equal(s.clientSecret, SECRET);
    });
    it("no error message echoes a secret value", () => {
      // A secret that happens to fail another setting's rule is never quoted back.
      try {
        resolveSettings(
          { "bitlocker:credential": "clientSecret", "bitlocker:clientSecret": SECRET },
          {},
        );
        assert.fail("expected an error");
      } catch (err) {
        assert.ok(!(err as Error).message.includes(SECRET));
      }
    });
  });
});

describe("auth: isLoopbackHost", () => {
  for (const host of ["127.0.0.1", "127.255.255.254", "localhost", "LOCALHOST", "::1", "[::1]"]) {
    it(`${host} is loopback`, () => assert.equal(isLoopbackHost(host), true));
  }
  for (const host of [
    "128.0.0.1",
    "127.0.0.256",
    "10.0.0.1",
    "localhost.example.com",
    "::2",
    "127.0.0.1.nip.io",
  ]) {
    it(`${host} is not`, () => assert.equal(isLoopbackHost(host), false));
  }
});

describe("auth: settings errors never echo a URL's user info", () => {
  for (const [key, env] of [
    ["BITLOCKER_GRAPH_ENDPOINT", "graphEndpoint"],
    ["AZURE_AUTHORITY_HOST", "authorityHost"],
  ] as const) {
    for (const bad of [
      "https://admin:Hunter2-pass@graph.example.test",
      "http://admin:Hunter2-pass@graph.example.test/beta",
      "admin:Hunter2-pass@graph.example.test",
    ]) {
      it(`${key}=${bad.replace("Hunter2-pass", "…")}`, () => {
        try {
          resolveSettings({}, { [key]: bad });
          assert.fail("must be refused");
        } catch (err) {
          assert.ok(err instanceof SettingsError, String(err));
          assert.equal(err.setting, env);
          assert.ok(!err.message.includes("Hunter2-pass"), err.message);
          assert.ok(!err.message.includes("admin:"), err.message);
        }
      });
    }
  }
});
