// Secrets, engine level: for each credential type (client secret, client certificate with its
// private key, workload identity federated token file), the engine rotates, refreshes and
// fails (403, 404, a refused credential); neither its outputs (what Pulumi stores), its log
// lines (stderr, which the CLI prints) nor its errors (message, stack, every property) hold a
// secret, a key line, the federated token, or an access token it was issued.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inspect } from "node:util";
import { clearCredentialCache, createCredential } from "../../provider/auth/credential";
import { resolveSettings } from "../../provider/auth/settings";
import * as engine from "../../provider/engine/singleDeviceEntry";
import * as fleetEngine from "../../provider/engine/fleetEntry";
import type { SimulatedTenant } from "../../simulator/index";
import { configureEngine, startTenant } from "../support/tenant";
import {
  CREDENTIAL_TYPES,
  leaks,
  registerCredentials,
  type CredentialSettings,
  type Credentials,
} from "./credentials";
import { TOKEN_PATH, capture, flushResults, isolateCache, record, windowsDevice } from "./support";

type Props = Record<string, unknown>;

describe("reliability: secrets never leave the engine (engine, all credential types)", function () {
  this.timeout(120_000);
  let tenant: SimulatedTenant;
  let dir: string;
  let creds: Credentials;
  /** Access tokens the tenant issued to the engine's credentials. */
  const accessTokens: string[] = [];

  let restoreCache: () => void;

  before(async () => {
    restoreCache = isolateCache();
    tenant = await startTenant();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bitlocker-rel-secrets-"));
    creds = registerCredentials(tenant, dir);
  });
  after(async () => {
    flushResults();
    fs.rmSync(dir, { recursive: true, force: true });
    restoreCache?.();
    await tenant?.close();
  });

  /** The text a failure can carry anywhere: message, stack, every own property. */
  const errorText = (e: unknown) =>
    e
      ? `${String(e)}\n${(e as Error).stack}\n${inspect(e, { depth: 6 })}\n${JSON.stringify(e)}`
      : "";

  /** The engine with these settings; returns the access token it was issued (same credential). */
  async function use(s: CredentialSettings): Promise<void> {
    clearCredentialCache();
    configureEngine(s.config);
  }
  async function issuedToken(s: CredentialSettings): Promise<string | undefined> {
    const settings = resolveSettings(s.config, {});
    // The same process-wide credential the engine used: MSAL serves the token it holds.
    const before = tenant.log.count({ pathMatches: TOKEN_PATH });
    const token = await createCredential(settings).getToken(settings.scope);
    assert.equal(tenant.log.count({ pathMatches: TOKEN_PATH }), before, "served from the cache");
    return token?.token;
  }

  it("the scanner finds each kind of leak it looks for (control)", async () => {
    await use(creds.good.clientSecret);
    const token = await createCredential(
      resolveSettings(creds.good.clientSecret.config, {}),
    ).getToken(resolveSettings(creds.good.clientSecret.config, {}).scope);
    const samples = [
      ...creds.secrets,
      ...creds.fragments,
      token!.token,
      token!.token.split(".")[0]!,
      "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
    ];
    for (const sample of samples) {
      assert.ok(
        leaks(`x ${sample} y`, creds, [token!.token], "control").length > 0,
        sample.slice(0, 20),
      );
    }
    assert.deepEqual(leaks("nothing secret here", creds, [token!.token], "control"), []);
  });

  for (const type of CREDENTIAL_TYPES) {
    it(`${type}: rotate, refresh, 404, 403 and a refused credential leak nothing`, async () => {
      const texts: [string, string][] = [];
      const d = windowsDevice(tenant);
      const unknown = "0b7c5a2e-dead-4a2b-9c3d-00000000e404";

      // Success: create (single and fleet), then refresh.
      await use(creds.good[type]);
      const created = await capture(() =>
        engine.create({
          managedDeviceId: d.id,
          rotationToken: "A",
          rotateOnCreate: true,
          waitFor: "requested",
          endpoint: "auto",
        }),
      );
      assert.ok(created.value, created.error?.message);
      accessTokens.push((await issuedToken(creds.good[type]))!);
      const refreshed = await capture(() =>
        engine.read(d.id, created.value!.outs as unknown as Props),
      );
      const fleet = await capture(async () => {
        const { inputs } = await fleetEngine.check(
          {},
          { managedDeviceIds: [d.id], rotationToken: "F", label: "secrets" },
        );
        return fleetEngine.create(inputs);
      });
      assert.ok(fleet.value, fleet.error?.message);
      texts.push(
        ["outputs (create)", JSON.stringify(created.value!.outs)],
        ["outputs (refresh)", JSON.stringify(refreshed.value?.props)],
        ["outputs (fleet)", JSON.stringify(fleet.value!.outs)],
        ["stderr", created.stderr + refreshed.stderr + fleet.stderr],
      );

      // 404: an unknown device.
      const notFound = await capture(() =>
        engine.create({
          managedDeviceId: unknown,
          rotationToken: "A",
          rotateOnCreate: true,
          waitFor: "requested",
          endpoint: "auto",
        }),
      );
      assert.match(notFound.error?.message ?? "", /404/);
      texts.push(["404 error", errorText(notFound.error)], ["stderr", notFound.stderr]);

      // 403: an app without DeviceManagementManagedDevices.ReadWrite.All.
      await use(creds.readOnly[type]);
      const forbidden = await capture(() =>
        engine.create({
          managedDeviceId: d.id,
          rotationToken: "B",
          rotateOnCreate: true,
          waitFor: "requested",
          endpoint: "auto",
        }),
      );
      assert.match(forbidden.error?.message ?? "", /403/);
      accessTokens.push((await issuedToken(creds.readOnly[type]))!);
      const forbiddenFleet = await capture(async () => {
        const { inputs } = await fleetEngine.check(
          {},
          { managedDeviceIds: [d.id], rotationToken: "G", label: "secrets" },
        );
        return fleetEngine.create(inputs);
      });
      assert.match(forbiddenFleet.error?.message ?? "", /Forbidden/);
      texts.push(
        ["403 error", errorText(forbidden.error)],
        ["403 fleet error", errorText(forbiddenFleet.error)],
        ["403 fleet recorded state", JSON.stringify(forbiddenFleet.error?.properties)],
        ["stderr", forbidden.stderr + forbiddenFleet.stderr],
      );

      // A credential Entra ID refuses: wrong secret, unregistered certificate, wrong subject.
      await use(creds.bad[type]);
      const refused = await capture(() =>
        engine.create({
          managedDeviceId: d.id,
          rotationToken: "C",
          rotateOnCreate: true,
          waitFor: "requested",
          endpoint: "auto",
        }),
      );
      assert.match(refused.error?.message ?? "", /authentication failed[\s\S]*AADSTS/);
      const refusedRead = await capture(() =>
        engine.read(d.id, created.value!.outs as unknown as Props),
      );
      assert.ok(refusedRead.error, "refresh with a refused credential fails");
      texts.push(
        ["refused credential error", errorText(refused.error)],
        ["refused credential on refresh", errorText(refusedRead.error)],
        ["stderr", refused.stderr + refusedRead.stderr],
      );

      const found = texts.flatMap(([label, text]) => leaks(text, creds, accessTokens, label));
      record({
        suite: "secrets (engine)",
        case: type,
        injected:
          "rotate + refresh + fleet; 404; 403 (read-only app); a credential Entra ID refuses",
        happened: `404: ${notFound.error?.message.slice(0, 60)}… | 403 and refused credential failed as expected`,
        state: "outputs hold ids, names, token, request ids, status",
        converged: found.length === 0,
        devices: 1,
        repeated: 0,
        attempts: 0,
        ms: 0,
        notes: `${texts.length} texts scanned (${texts.reduce((n, [, t]) => n + t.length, 0)} chars), ${accessTokens.length} access tokens known; leaks: ${found.length}`,
      });
      assert.deepEqual(found, []);
    });
  }
});
