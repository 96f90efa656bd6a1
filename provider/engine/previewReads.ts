// The reads `pulumi preview` makes (in check and diff, which run at preview and at up alike)
// when a change would rotate a device: a token (the credential works), its roles (the app may
// do what the change needs), and the devices themselves. Only reads: GETs (a fleet's in $batch
// envelopes, paced by the same WindowPacer as the run's reads), never a rotation, never state.
// What fails the preview and what is only reported is decided in plan/preview.ts.
import type { ManagedDevice } from "../graph/types";
import { withDeadline } from "../graph/deadline";
import type { FleetInputs } from "../plan/fleet/inputs";
import type { FleetPlan, FleetState } from "../plan/fleet/plan";
import {
  credentialVerdict,
  previewFleet,
  rolesVerdict,
  type CredentialFailure,
  type DeviceRead,
  type FleetPreview,
} from "../plan/preview";
import { engineContext, type EngineContext } from "./context";
import { isNotFound } from "./errorKinds";
import { lookupDevices } from "./fleet/batchedLookup";
import { intunePacers } from "./fleet/intunePacers";
import { keepPreviewReads, planKey, startPreviewReads } from "./fleet/previewHandoff";
import { desiredToken } from "../plan/fleet/inputs";
import { log } from "./log";

export type PreviewAccess = { fail: string } | { context: EngineContext } | { unchecked: true };

/**
 * $batch envelopes of the preview's GETs in flight at once. Nothing else of the fleet is in
 * flight while check or diff reads, and the read pacer still counts every GET against Intune's
 * limit, so twice the run's 4: 1,000 devices are read in ~0.5 s instead of ~1 s (simulated
 * tenant, 50 ms latency), which is time before the first rotation of an `up`.
 */
export const PREVIEW_READ_CONCURRENCY = 8;

/** Time a token request at preview may take: one request timeout (settings not yet known). */
const TOKEN_BUDGET_FALLBACK_MS = 30_000;

/**
 * The Graph context, once a token was obtained and its roles allow `need`. `fail`: `up` would
 * fail the same way. `unchecked`: noted in the log, preview goes on without reads.
 */
export async function previewAccess(need: "rotate" | "read"): Promise<PreviewAccess> {
  let context: EngineContext;
  let roles: string[] | undefined;
  try {
    context = engineContext();
    const budget = context.settings.requestTimeoutSeconds * 1000 || TOKEN_BUDGET_FALLBACK_MS;
    roles = await withDeadline(Date.now() + budget, () => context.graph.accessTokenRoles());
  } catch (e) {
    const verdict = credentialVerdict(e as CredentialFailure);
    if ("fail" in verdict) return verdict;
    if ("note" in verdict) log(verdict.note);
    return { unchecked: true };
  }
  const verdict = rolesVerdict(roles, need);
  if ("fail" in verdict) return verdict;
  if ("note" in verdict) log(verdict.note);
  return { context };
}

/** One device, read within `deadline`; a 404 is an answer, anything else an unread device. */
export async function readForPreview(
  context: EngineContext,
  id: string,
  deadline: number,
): Promise<DeviceRead> {
  try {
    const device: ManagedDevice = await withDeadline(deadline, () =>
      context.graph.getManagedDevice(id),
    );
    return { device };
  } catch (e) {
    if (isNotFound(e)) {
      const g = e as { code?: string; requestId?: string };
      return { notFound: { code: g.code, requestId: g.requestId } };
    }
    return { error: { message: (e as Error).message } };
  }
}

/**
 * The devices a fleet change would send to, read as the run reads them ($batches of 20 GETs,
 * paced within Intune's request limit by the process's shared read pacer; 8 in flight, not
 * the run's 4) and classified as the run would classify them. The reads are kept for the run of the same plan in this process
 * (fleet/previewHandoff.ts), so an `up` reads each device once.
 */
export async function previewFleetReads(
  context: EngineContext,
  plan: FleetPlan,
  olds: Partial<FleetState> | undefined,
  news: FleetInputs & { label?: string },
): Promise<FleetPreview> {
  const ids = [...plan.settle, ...plan.rotate];
  const started = startPreviewReads(ids);
  const seen = await lookupDevices(context.graph, ids, {
    pacer: intunePacers(context.settings).reads,
    concurrency: PREVIEW_READ_CONCURRENCY,
  });
  const tokens = ids.map((id) => desiredToken(news, id));
  // A lost answer's device is left for the run to read itself: its request may land at any
  // moment, and a read from before that would send it again.
  const settle = new Set(plan.settle);
  const handed = new Map([...seen].filter(([id]) => !settle.has(id)));
  keepPreviewReads(planKey(news.label ?? "fleet", ids, tokens), started, context.graph, handed);
  return previewFleet(plan, olds, news, seen, new Date().toISOString());
}
