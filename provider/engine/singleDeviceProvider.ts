// The engine side of BitLockerKeyRotation: what Pulumi's dynamic-provider host calls.
// Decisions come from plan/; this file does the I/O they ask for, in order.
import type { DeviceCollection, ManagedDevice } from "../graph/types";
import { chooseCollection } from "../plan/collection";
import { unmetPrerequisites } from "../plan/prerequisites";
import {
  checkSingleDevice,
  diffSingleDevice,
  lastRequestTime,
  rotatesOnUpdate,
  stateAfterCreate,
  stateAfterRead,
  stateAfterUpdate,
  type RotationRequestRecord,
  type SingleDeviceInputs,
  type SingleDeviceState,
} from "../plan/singleDevicePlan";
import { unverifiedFor, wasCarriedOut } from "../plan/unverifiedRequest";
import { isUnknown } from "../plan/inputs";
import { latestRotationResult } from "../plan/actionResult";
import { graphTimeOf, rotationAfter, wholeSeconds, type RecordTime } from "../plan/evidence";
import type { Settings } from "../auth/settings";
import { withDeadline } from "../graph/deadline";
import { deviceGraph, engineContext } from "./context";
import { checkKeyCap, guardEnabled } from "./keyCapGuard";
import type { DeviceGraph } from "./deviceGraph";
import { isNotFound } from "./errorKinds";
import { PrerequisiteError, RecordedFailure } from "./errors";
import { followOutcome, outcomeOnDevice } from "./followOutcome";
import {
  forgetCheckRead,
  keepCheckRead,
  readDevice,
  rotationSent,
  startCheckRead,
} from "./checkRead";
import { summarizeSingleRefresh } from "../plan/fleet/refreshSummary";
import { log } from "./log";
import { previewAccess, readForPreview } from "./previewReads";
import { singleDeviceVerdict } from "../plan/preview";
import { lostAnswerGraceMs, requestRotation, type RotationAttempt } from "./requestRotation";

type Props = Record<string, unknown>;

/**
 * Validates inputs; when this run would rotate (or adopt) the device, also reads what `up`
 * would read first, so that `pulumi preview` fails where `up` would (plan/preview.ts): a token
 * (the credential works) and its roles, the device (it exists, it is eligible) and its
 * escrowed recovery keys (Entra's cap). Reads only; none at all when nothing would change.
 */
export async function check(olds: Props, news: Props) {
  const result = checkSingleDevice(news);
  if (result.failures.length > 0) return result;
  const inputs = result.inputs as unknown as SingleDeviceInputs;
  if (isUnknown(inputs.managedDeviceId)) return result;
  forgetCheckRead(inputs.managedDeviceId); // an older read must not outlive this check
  const action = previewAction(olds, inputs);
  if (!action) return result;
  const fail = (reason: string) => {
    result.failures.push({ property: "managedDeviceId", reason });
    return result;
  };
  const access = await previewAccess(action === "rotate" ? "rotate" : "read");
  if ("fail" in access) return fail(access.fail);
  if (!("context" in access)) return result;
  const { graph, settings } = access.context;
  const started = startCheckRead(inputs.managedDeviceId);
  // Create/update read (and report) again, so check's reads get one request timeout, not a
  // whole retry budget: with Graph down, check must not double `up`.
  const deadline = Date.now() + checkReadBudgetMs(settings);
  const read = await readForPreview(access.context, inputs.managedDeviceId, deadline);
  const verdict = singleDeviceVerdict(inputs.managedDeviceId, read, action);
  if ("fail" in verdict) return fail(verdict.fail);
  if ("note" in verdict) log(verdict.note);
  if (!("device" in read)) return result;
  const device = read.device;
  if (action === "rotate" && guardEnabled(inputs)) {
    const finding = await withDeadline(deadline, () => checkKeyCap(graph, device, inputs));
    if (finding?.verdict === "refuse") return fail(finding.message);
    if (finding?.verdict === "warn") log(finding.message);
  }
  keepCheckRead(started, graph, device);
  return result;
}

/** Time check's reads may take: one request timeout, never more than the retry budget. */
function checkReadBudgetMs(
  s: Pick<Settings, "requestTimeoutSeconds" | "retryBudgetSeconds">,
): number {
  return Math.min(s.requestTimeoutSeconds, s.retryBudgetSeconds) * 1000;
}

/**
 * What this run would do to the device, from old and new inputs as check sees them: a create
 * (or replace) rotates or adopts it, a token change rotates it, anything else leaves it alone.
 */
function previewAction(olds: Props, news: SingleDeviceInputs): "rotate" | "adopt" | undefined {
  if (isUnknown(news.managedDeviceId) || isUnknown(news.rotationToken)) return undefined;
  if (olds.managedDeviceId !== news.managedDeviceId)
    return news.rotateOnCreate === true ? "rotate" : "adopt";
  return olds.rotationToken !== news.rotationToken ? "rotate" : undefined;
}

export async function diff(_id: string, olds: Props, news: Props) {
  const d = diffSingleDevice(
    olds as Partial<SingleDeviceState>,
    news as Partial<SingleDeviceInputs>,
  );
  return { changes: d.changes, replaces: d.replaces, deleteBeforeReplace: false };
}

export async function create(inputs: Props) {
  const news = inputs as unknown as SingleDeviceInputs;
  const graph = deviceGraph();
  const device = await readDevice(graph, news.managedDeviceId);
  const collection = chooseCollection(device, news.endpoint);
  // create rotates unless the user adopts the device.
  if (!news.rotateOnCreate) {
    log(`adopted ${label(device)} without rotating (rotateOnCreate: false)`);
    return { id: device.id, outs: stateAfterCreate(news, device, collection, undefined) };
  }
  assertEligible(device);
  const request = await rotate(graph, device, collection, news, () => ({
    ...(stateAfterCreate(news, device, collection, undefined) as unknown as Props),
    rotationToken: "",
    adopted: false,
  }));
  const state = stateAfterCreate(news, device, collection, request);
  return { id: device.id, outs: await withOutcome(graph, state) };
}

export async function update(id: string, oldOutputs: Props, inputs: Props) {
  const olds = oldOutputs as unknown as SingleDeviceState;
  const news = inputs as unknown as SingleDeviceInputs;
  if (!rotatesOnUpdate(olds, news)) {
    forgetCheckRead(id); // single use: it never outlives this update
    return { outs: stateAfterUpdate(olds, news, undefined, undefined, undefined) };
  }
  const graph = deviceGraph();
  const device = await readDevice(graph, id);
  const collection = chooseCollection(device, news.endpoint);
  const pending = unverifiedFor(olds.unverifiedRequest, news.rotationToken);
  const landed = pending && wasCarriedOut(pending, device) && latestRotationResult(device);
  if (landed) {
    // The last run's request did reach Intune: record it instead of sending another.
    log(
      `${label(device)}: the request sent at ${pending.sentAt} was carried out; not sending again`,
    );
    const request = {
      requestedAt: wholeSeconds(landed.startDateTime),
      ...(pending.clientRequestId ? { clientRequestId: pending.clientRequestId } : {}),
    };
    return {
      outs: await withOutcome(graph, stateAfterUpdate(olds, news, device, collection, request)),
    };
  }
  const after = pending
    ? undefined
    : rotationAfter(device, evidenceFloor(olds), news.rotationToken);
  if (after) {
    // Graph accepted a rotation since the one this state records: an update whose state was
    // never saved (killed, cancelled), or someone else. Record it; sending would repeat it.
    log(
      `${label(device)}: already shows a rotation requested at ${after.startDateTime}, after this resource's last record; recorded, not sent again`,
    );
    const request = { requestedAt: wholeSeconds(after.startDateTime) };
    return {
      outs: await withOutcome(graph, stateAfterUpdate(olds, news, device, collection, request)),
    };
  }
  assertEligible(device);
  const request = await rotate(graph, device, collection, news, () => ({
    ...(olds as unknown as Props),
  }));
  const state = stateAfterUpdate(olds, news, device, collection, request);
  return { outs: await withOutcome(graph, state) };
}

export async function read(id: string, props: Props) {
  const olds = props as unknown as SingleDeviceState;
  const graph = deviceGraph();
  const checkedAt = new Date().toISOString();
  let device: ManagedDevice;
  try {
    device = await graph.getManagedDevice(id);
  } catch (e) {
    if (!isNotFound(e)) throw e;
    return refreshed(id, olds, stateAfterRead(olds, undefined, undefined, checkedAt));
  }
  const outcome = olds.requestedAt
    ? await outcomeOnDevice(
        graph,
        device,
        {
          managedDeviceId: id,
          azureADDeviceId: device.azureADDeviceId,
          requestedAt: olds.requestedAt,
        },
        olds.waitFor === "escrowed",
      )
    : undefined;
  return refreshed(id, olds, stateAfterRead(olds, device, outcome, checkedAt));
}

/** Pulumi shows the resource as unchanged when its inputs are: say what the device did. */
function refreshed(id: string, olds: SingleDeviceState, props: SingleDeviceState) {
  log(summarizeSingleRefresh(id, olds, props));
  return { id, props };
}

/** A rotation cannot be undone: deleting the resource only forgets it. No Graph call. */
export async function deleteResource(_id: string, _props: Props): Promise<void> {}

function assertEligible(device: ManagedDevice): void {
  const unmet = unmetPrerequisites(device);
  if (unmet.length > 0) throw new PrerequisiteError(device, unmet);
}

/**
 * Sends the rotation. If its answer was lost and the device could not be checked, fails with
 * a record (`unrotated()` plus the unverified request) so the next run settles it first.
 */
async function rotate(
  graph: DeviceGraph,
  device: ManagedDevice,
  collection: DeviceCollection,
  news: SingleDeviceInputs & { __provider?: unknown },
  unrotated: () => Props,
): Promise<RotationRequestRecord> {
  const { settings } = engineContext();
  forgetCheckRead(device.id);
  rotationSent(device.id); // a read already sent, or sent from now on, is of no use after this
  let attempt: RotationAttempt;
  try {
    attempt = await requestRotation(
      graph,
      device,
      collection,
      news.rotationToken,
      lostAnswerGraceMs(settings.requestTimeoutSeconds),
    );
  } finally {
    rotationSent(device.id); // a read sent while the request was in flight may predate it
  }
  if (attempt.kind === "unverified") {
    throw new RecordedFailure(
      `${label(device)}: the rotation request's answer was lost (${attempt.cause.message}) and the device could not be checked. ` +
        `Nothing is recorded as rotated; run \`pulumi up\` again: it checks the device before sending again.`,
      device.id,
      {
        ...unrotated(),
        status: "unverified",
        unverifiedRequest: attempt.pending,
        __provider: news.__provider,
      },
    );
  }
  const { receipt } = attempt;
  const graphTime = graphTimeOf(receipt.graphDate);
  log(
    `rotation requested for ${label(device)} via ${collection}` +
      (receipt.requestId ? ` (request-id ${receipt.requestId})` : "") +
      (attempt.verifiedAfterLostAnswer ? " — confirmed on the device after a lost answer" : ""),
  );
  return {
    // Graph's clock, so the next update's evidence rule compares like with like.
    requestedAt: graphTime ?? receipt.sentAt.toISOString(),
    ...(graphTime ? {} : { localClock: true }),
    ...(receipt.requestId ? { requestId: receipt.requestId } : {}),
    clientRequestId: receipt.clientRequestId,
  };
}

/**
 * The time after which a rotation on the device is not this resource's own: its last request,
 * or the send of a lost request for an earlier token (this machine's clock: the wide margin).
 */
function evidenceFloor(olds: SingleDeviceState): RecordTime | undefined {
  const lost = olds.unverifiedRequest;
  if (lost) return { at: lost.sentAt, graphClock: false };
  return lastRequestTime(olds);
}

async function withOutcome(
  graph: DeviceGraph,
  state: SingleDeviceState,
): Promise<SingleDeviceState> {
  if (state.waitFor === "requested" || !state.requestedAt) return state;
  const outcome = await followOutcome(
    graph,
    {
      managedDeviceId: state.managedDeviceId,
      azureADDeviceId: state.azureADDeviceId,
      requestedAt: state.requestedAt,
    },
    {
      waitFor: state.waitFor,
      timeoutSeconds: state.waitTimeoutSeconds,
      pollIntervalSeconds: state.pollIntervalSeconds,
    },
  );
  return { ...state, ...outcome };
}

function label(device: ManagedDevice): string {
  return `device ${device.id} (${device.deviceName})`;
}
