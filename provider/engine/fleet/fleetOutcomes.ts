// Reads what the devices did with their requested rotations and folds it into the records:
// the refresh path, and each step of waitFor. Reads only.
import type { GraphClient } from "../../graph";
import { resultForRequest } from "../../plan/actionResult";
import type { DeviceRecord } from "../../plan/fleet/record";
import { escrowEvidence, outcomeOf } from "../../plan/status";
import { isForbidden } from "../errorKinds";
import { isDevice, lookupDevices } from "./batchedLookup";
import { listRecoveryKeysInBatches } from "./batchedRecoveryKeys";
import type { WindowPacer } from "./windowPacer";

/** Records whose device may still report something. */
const FOLLOWED = new Set([
  "requested",
  "pending",
  "done",
  "failed",
  "notSupported",
  "canceled",
  "missing",
  "escrowed",
]);

export interface OutcomeUpdate {
  records: Map<string, DeviceRecord>;
  /** Set when escrow evidence could not be read (missing permission). */
  escrowHint?: string;
}

export async function readFleetOutcomes(
  graph: Pick<GraphClient, "batch" | "listRecoveryKeys" | "retryConfig">,
  records: ReadonlyMap<string, DeviceRecord>,
  checkEscrow: boolean,
  /** Intune's request limit, shared with whatever else the run sends. */
  pacer?: WindowPacer,
): Promise<OutcomeUpdate> {
  const ids = [...records.keys()].filter((id) => FOLLOWED.has(records.get(id)!.status));
  const seen = await lookupDevices(graph, ids, pacer ? { pacer } : {});
  const out = new Map<string, DeviceRecord>();
  const done: { id: string; entraId: string; record: DeviceRecord }[] = [];
  for (const id of ids) {
    const record = records.get(id)!;
    const device = seen.get(id);
    if (device && "notFound" in device) {
      out.set(id, { ...record, status: "missing", detail: "notFound" });
      continue;
    }
    if (!isDevice(device)) continue; // could not read it now: keep the record as it was
    const outcome = outcomeOf(resultForRequest(device, record.at));
    const next: DeviceRecord = { ...record, status: outcome.status };
    if (outcome.errorText) next.detail = outcome.errorText.split(" ")[0]!;
    else delete next.detail;
    if (record.status === "escrowed" && outcome.status === "done") next.status = "escrowed";
    out.set(id, next);
    if (checkEscrow && next.status === "done")
      done.push({ id, entraId: device.azureADDeviceId, record: next });
  }
  let escrowHint: string | undefined;
  const listed = await listRecoveryKeysInBatches(
    graph,
    done.map((d) => d.entraId),
  );
  for (const d of done) {
    const keys = listed.get(d.entraId);
    if (Array.isArray(keys)) {
      if (escrowEvidence(keys, d.record.at)) out.set(d.id, { ...d.record, status: "escrowed" });
    } else if (isForbidden(keys)) {
      escrowHint = "Escrow evidence needs the application permission BitlockerKey.ReadBasic.All";
    }
  }
  return escrowHint ? { records: out, escrowHint } : { records: out };
}
