// Intune's per-app limits as two pacers: POSTs (200 per window) and reads, which get the rest
// of the 2,000 requests per window that every request counts against. One pair per app and
// tenant in this process: Pulumi runs every fleet of a stack in one dynamic-provider process,
// in parallel, and they all spend the same app's budget.
import type { Settings } from "../../auth/settings";
import { WindowPacer } from "./windowPacer";

/** Intune's documented per-app limits (graph.md): 200 POSTs and 2,000 requests per 20 s. */
const INTUNE_POST_LIMIT = 200;
const INTUNE_REQUEST_LIMIT = 2000;

export interface IntunePacers {
  posts: WindowPacer;
  reads: WindowPacer;
}

type PacerSettings = Pick<
  Settings,
  "graphBaseUrl" | "tenantId" | "clientId" | "throttleWindowSeconds" | "postShareOfLimit"
>;

const shared = new Map<string, IntunePacers>();

export function intunePacers(s: PacerSettings): IntunePacers {
  const key = [s.graphBaseUrl, s.tenantId, s.clientId, s.throttleWindowSeconds, s.postShareOfLimit]
    .map((v) => String(v ?? "").toLowerCase())
    .join("|");
  let pacers = shared.get(key);
  if (!pacers) {
    const windowMs = s.throttleWindowSeconds * 1000;
    const share = s.postShareOfLimit;
    pacers = {
      posts: new WindowPacer({ limit: INTUNE_POST_LIMIT, windowMs, share }),
      reads: new WindowPacer({
        limit: INTUNE_REQUEST_LIMIT - INTUNE_POST_LIMIT,
        windowMs,
        share,
      }),
    };
    shared.set(key, pacers);
  }
  return pacers;
}
