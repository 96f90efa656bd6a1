// What the simulator served, for tests to assert on (including inner $batch requests).
import type { SimRequest, SimResponse } from "./http/exchange";

export interface LogEntry {
  time: string;
  method: string;
  /** Decoded path without the query, e.g. /beta/deviceManagement/managedDevices/ID/rotateBitLockerKeys. */
  path: string;
  query: Record<string, string>;
  /** HTTP status answered; 0 when the connection was reset, dropped or left hanging. */
  status: number;
  appId?: string;
  requestId: string;
  clientRequestId: string;
  userAgent?: string;
  /** On inner $batch requests: the outer request's request-id and the item's id. */
  batchId?: string;
  batchItemId?: string;
  /** The fault rule that fired, if any. */
  fault?: string;
  /** Refused by the throttle. */
  throttled?: boolean;
  connection?: "reset" | "drop" | "hang";
  durationMs: number;
}

export interface LogFilter {
  method?: string;
  path?: string;
  pathMatches?: RegExp | string;
  status?: number;
  appId?: string;
  /** true: only inner $batch requests; false: only top-level ones. */
  inBatch?: boolean;
  batchId?: string;
  throttled?: boolean;
  /** Entries at or after this time. */
  since?: Date | string;
}

export interface WaitForOptions {
  /** Resolve once this many entries match (default 1), counting those already logged. */
  count?: number;
  /** Also required of each entry, beyond the filter. */
  where?: (entry: LogEntry) => boolean;
  /** Reject after this long (default: never; a test's own timeout then applies). */
  timeoutMs?: number;
}

export class RequestLog {
  private items: LogEntry[] = [];
  private readonly listeners = new Set<(entry: LogEntry) => void>();

  /** Oldest entries are dropped past `limit`, so a long benchmark cannot exhaust memory. */
  constructor(private readonly limit = 200_000) {}

  add(entry: LogEntry): void {
    this.items.push(entry);
    if (this.items.length > this.limit) this.items.splice(0, this.items.length - this.limit);
    for (const listener of [...this.listeners]) listener(entry);
  }

  /**
   * Calls `listener` with each entry as it is logged (a request answered, or lost), in the
   * same turn: a test can act at an exact point of a run (e.g. kill a client at its Nth
   * rotation). Returns the unsubscribe function.
   */
  onEntry(listener: (entry: LogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves with the matching entries once `count` of them are logged (those already in
   * the log count): waits for the tenant to have acted on a request instead of a guessed time.
   */
  waitFor(filter: LogFilter, options: WaitForOptions = {}): Promise<LogEntry[]> {
    const need = options.count ?? 1;
    const test = compile(filter);
    const match = (e: LogEntry) => test(e) && (options.where?.(e) ?? true);
    const found = this.items.filter(match);
    if (found.length >= need) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              stop();
              reject(
                new Error(
                  `${found.length} of ${need} log entries matching ${JSON.stringify(filter)} within ${options.timeoutMs} ms`,
                ),
              );
            }, options.timeoutMs);
      const stop = this.onEntry((e) => {
        if (!match(e)) return;
        found.push(e);
        if (found.length < need) return;
        stop();
        clearTimeout(timer);
        resolve(found);
      });
    });
  }

  entries(filter: LogFilter = {}): LogEntry[] {
    const test = compile(filter);
    return this.items.filter(test);
  }

  count(filter: LogFilter = {}): number {
    const test = compile(filter);
    let n = 0;
    for (const e of this.items) if (test(e)) n++;
    return n;
  }

  clear(): void {
    this.items = [];
  }

  get size(): number {
    return this.items.length;
  }
}

/** The log entry for one answered (or lost) request, top-level or inside a $batch. */
export function logEntry(
  req: SimRequest,
  response: SimResponse,
  started: number,
  faultId: string | undefined,
): LogEntry {
  const entry: LogEntry = {
    time: new Date(started).toISOString(),
    method: req.method,
    path: decodeURIComponent(req.url.pathname),
    query: Object.fromEntries(req.url.searchParams),
    status: response.connection ? 0 : response.status,
    requestId: req.requestId,
    clientRequestId: req.clientRequestId,
    durationMs: Date.now() - started,
  };
  if (req.batch) {
    entry.batchId = req.batch.batchRequestId;
    entry.batchItemId = req.batch.itemId;
  }
  if (req.appId) entry.appId = req.appId;
  if (req.headers["user-agent"]) entry.userAgent = req.headers["user-agent"];
  if (faultId) entry.fault = faultId;
  if (response.throttled) entry.throttled = true;
  if (response.connection) entry.connection = response.connection;
  return entry;
}

function compile(f: LogFilter): (e: LogEntry) => boolean {
  const re =
    f.pathMatches === undefined
      ? undefined
      : typeof f.pathMatches === "string"
        ? new RegExp(f.pathMatches)
        : f.pathMatches;
  const since = f.since === undefined ? undefined : new Date(f.since).toISOString();
  const method = f.method?.toUpperCase();
  return (e) =>
    (method === undefined || e.method === method) &&
    (f.path === undefined || e.path === f.path) &&
    (re === undefined || re.test(e.path)) &&
    (f.status === undefined || e.status === f.status) &&
    (f.appId === undefined || e.appId === f.appId) &&
    (f.inBatch === undefined || (e.batchId !== undefined) === f.inBatch) &&
    (f.batchId === undefined || e.batchId === f.batchId) &&
    (f.throttled === undefined || (e.throttled === true) === f.throttled) &&
    (since === undefined || e.time >= since);
}
