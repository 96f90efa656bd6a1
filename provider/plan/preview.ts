// What `pulumi preview` makes of the reads it does when a change would rotate (or, for a
// single resource, adopt) a device: which findings fail the preview, because `up` would fail
// on them, and which are only reported, because `up` would go on. Pure: errors, roles and
// device facts in, verdicts out. The engine does the reads (engine/previewReads.ts).
import type { ManagedDevice } from "../graph/types";
import { classifyReadDevice } from "./fleet/classify";
import { recordTime } from "./fleet/classify";
import { desiredToken, type FleetInputs } from "./fleet/inputs";
import { recordsOnGraphClock, type FleetPlan, type FleetState } from "./fleet/plan";
import { deviceLines } from "./fleet/packed";
import { parseRecord, tokenHash } from "./fleet/record";
import { ROTATE_PERMISSION } from "./permissions";
import { describeUnmet, unmetPrerequisites } from "./prerequisites";

const READ_PERMISSION = "DeviceManagementManagedDevices.Read.All";

/** Fail: `up` would fail on it. Note: worth saying, but `up` would go on (or may succeed). */
export type PreviewVerdict = { fail: string } | { note: string } | { ok: true };

/** The fields of a credential failure the verdict looks at (SettingsError, AuthenticationError). */
export interface CredentialFailure {
  name: string;
  message: string;
  /** AuthenticationError: Entra ID unreachable or answering 429/5xx. */
  transient?: boolean | undefined;
}

/**
 * A token could not be obtained. A setting missing or wrong, or Entra ID refusing the app
 * (an AADSTS code, a credential that is not there), fails `up` at its first request just the
 * same: the preview fails. Entra unreachable, throttling or failing (5xx) may be gone by the
 * merge: reported only, and the preview goes on without reads.
 */
export function credentialVerdict(e: CredentialFailure): PreviewVerdict {
  const definite =
    e.name === "SettingsError" || (e.name === "AuthenticationError" && e.transient !== true);
  return definite
    ? { fail: `no access token for Graph, so \`pulumi up\` would fail too: ${e.message}` }
    : {
        note: `could not obtain a token for Graph at preview (${e.message}); \`pulumi up\` will try again`,
      };
}

/**
 * The application permissions the change needs, against the access token's `roles` claim.
 * Without any device permission `up` fails at its first read: the preview fails. Read.All
 * without ReadWrite.All is only reported for a rotation: check and diff run at preview and at
 * `up` alike and cannot tell them apart, and a preview app holding only Read.All is what the
 * shipped pipelines use (docs/gitops.md, least privilege for code from pull requests); the
 * app that runs `up` is then another. An opaque token (roles unknown): reported only.
 */
export function rolesVerdict(
  roles: readonly string[] | undefined,
  need: "rotate" | "read",
): PreviewVerdict {
  if (roles === undefined)
    return { note: "the access token is not a readable JWT: its permissions were not checked" };
  if (roles.includes(ROTATE_PERMISSION)) return { ok: true };
  if (roles.includes(READ_PERMISSION))
    return need === "read"
      ? { ok: true }
      : {
          note:
            `this credential holds ${READ_PERMISSION} but not ${ROTATE_PERMISSION}: enough for a ` +
            `preview app; the app that runs \`pulumi up\` needs ${ROTATE_PERMISSION}, or every ` +
            `rotation is refused (403)`,
        };
  const held = roles.length ? roles.join(", ") : "none";
  return {
    fail:
      `the app lacks the application permission ${need === "rotate" ? ROTATE_PERMISSION : READ_PERMISSION} ` +
      `(its token's roles: ${held}), so \`pulumi up\` would be refused (403) reading the devices. ` +
      `Grant it to the app registration and have an admin consent, then preview again.`,
  };
}

/** The single resource's device as preview read it. */
export type DeviceRead =
  | { device: ManagedDevice }
  | { notFound: { code?: string | undefined; requestId?: string | undefined } }
  | { error: { message: string } };

/**
 * A single resource's device: a create or a token change reads it first at `up`, and fails if
 * it is gone, or (when it would rotate) if a prerequisite is unmet. The preview says the same.
 */
export function singleDeviceVerdict(
  id: string,
  read: DeviceRead,
  action: "rotate" | "adopt",
): PreviewVerdict {
  if ("error" in read)
    return { note: `device ${id} could not be read at preview (${read.error.message})` };
  if ("notFound" in read) {
    const { code, requestId } = read.notFound;
    const graph = [code, requestId ? `request-id ${requestId}` : ""].filter(Boolean).join(", ");
    return {
      fail:
        `device ${id} does not exist in Intune (Graph answered 404${graph ? `: ${graph}` : ""}), so ` +
        `\`pulumi up\` would fail. Check managedDeviceId for a typo (selectDevices() lists the ids), ` +
        `or remove the resource if the device was retired.`,
    };
  }
  const d = read.device;
  const name = `device ${id} (${d.deviceName})`;
  if (action === "adopt") return { note: `will adopt ${name} without rotating` };
  const unmet = unmetPrerequisites(d);
  if (unmet.length > 0)
    return {
      fail:
        `${name} cannot rotate its BitLocker keys: ${describeUnmet(unmet)}. Nothing was sent to ` +
        `Graph; \`pulumi up\` would fail the same way. Fix the device, or remove it from the program.`,
    };
  return { note: `will rotate ${name}` };
}

/** A fleet device as preview read it (the shape of engine/fleet/batchedLookup's answers). */
export type FleetRead = ManagedDevice | { notFound: true } | { error: Error };

/** What the run would do with each device it reads, as far as a read at preview can tell. */
export interface FleetPreview {
  /** Would be sent a rotation. */
  rotate: string[];
  /** Would be skipped, by reason code (notFound, notWindows, osTooOld, …). */
  skip: Map<string, string[]>;
  /** Already show a rotation since their record (or a lost answer that landed): recorded, not sent. */
  recorded: string[];
  /** Could not be read at preview, by error code: `up` reads them again. */
  unread: Map<string, string[]>;
  /** Device names, for those read. */
  names: Map<string, string>;
}

/**
 * Classifies what preview read exactly as the run would (plan/fleet/classify.ts), so a skip
 * announced at preview is the skip `up` records. Skips are not errors at `up`: reported only.
 */
export function previewFleet(
  plan: Pick<FleetPlan, "rotate" | "settle">,
  olds: Partial<FleetState> | undefined,
  news: FleetInputs,
  seen: ReadonlyMap<string, FleetRead>,
  at: string,
): FleetPreview {
  const p: FleetPreview = {
    rotate: [],
    skip: new Map(),
    recorded: [],
    unread: new Map(),
    names: new Map(),
  };
  const add = (m: Map<string, string[]>, k: string, id: string) =>
    m.set(k, [...(m.get(k) ?? []), id]);
  const settle = new Set(plan.settle);
  const graphClock = recordsOnGraphClock(olds);
  // Either form of `devices` (packed since stateVersion 3), as the run reads it.
  const oldLines = deviceLines(olds?.devices);
  for (const id of [...plan.settle, ...plan.rotate]) {
    const found = seen.get(id);
    if (found === undefined || "error" in found) {
      const code = (found?.error as { code?: string } | undefined)?.code ?? "NotRead";
      add(p.unread, code, id);
      continue;
    }
    const device = "notFound" in found ? undefined : found;
    if (device?.deviceName) p.names.set(id, device.deviceName);
    const line = oldLines.get(id);
    const old = line === undefined ? undefined : parseRecord(line);
    const lost = settle.has(id) ? old : undefined;
    const decision = classifyReadDevice({
      device,
      token: tokenHash(desiredToken(news, id)),
      at,
      since: lost ? undefined : recordTime(old, graphClock),
      tokenText: desiredToken(news, id),
      lostAnswer: lost,
    });
    if (decision.send) p.rotate.push(id);
    else if (decision.record.status === "skipped")
      add(p.skip, decision.record.detail ?? "skipped", id);
    else p.recorded.push(id);
  }
  return p;
}
