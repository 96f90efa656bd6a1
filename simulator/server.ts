// The one HTTPS listener: reads a request, applies global latency and faults, dispatches
// (control API, Entra ID, Graph), writes the answer with request-id / client-request-id,
// and logs it. Connection faults (reset, drop, hang) act on the socket itself.
import { randomUUID } from "node:crypto";
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { withFaults, sleep, type Faults } from "./faults";
import { graphError, type SimRequest, type SimResponse } from "./http/exchange";
import { logEntry, type RequestLog } from "./requestLog";

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface Dispatch {
  /** /_sim/…: never delayed, faulted or logged. */
  control(req: SimRequest): Promise<SimResponse>;
  /** Entra ID and Graph. */
  serve(req: SimRequest): Promise<SimResponse>;
  faults: Faults;
  log: RequestLog;
  latencyMs(): number;
}

/** A request as it arrives (headers read, body not yet): see SimServer.onReceived. */
export interface ReceivedRequest {
  method: string;
  /** Decoded path without the query. */
  path: string;
  /** The TCP connection it came on: ids count up from 1 per tenant. */
  connectionId: number;
}

/** Requests held on arrival until released (see SimServer.hold). */
export interface HoldHandle {
  /** Resolves with the first held request, once it has arrived. */
  readonly received: Promise<ReceivedRequest>;
  /** Lets every held request (and any later match) go on. */
  release(): void;
}

export interface TlsMaterial {
  certificatePem: string;
  privateKeyPem: string;
}

export class SimServer {
  private readonly server: https.Server;
  private dispatch: Dispatch | undefined;
  private baseUrl = "";
  private readonly hangTimers = new Set<NodeJS.Timeout>();
  private inFlight = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly sockets = new Map<string, number>();
  private nextConnectionId = 1;
  private readonly closedWaiters: (() => void)[] = [];
  private readonly receivedListeners = new Set<(r: ReceivedRequest) => void>();
  private readonly holds = new Set<{
    method: string | undefined;
    path: RegExp;
    gate: Promise<void>;
    arrived: (r: ReceivedRequest) => void;
  }>();
  /** Graph's clock minus this machine's, for the Date header (see clockOffsetMs). */
  clockOffsetMs = 0;

  constructor(tls: TlsMaterial) {
    this.server = https.createServer(
      { key: tls.privateKeyPem, cert: tls.certificatePem },
      (req, res) => {
        this.inFlight++;
        const received: ReceivedRequest = {
          method: (req.method ?? "GET").toUpperCase(),
          path: safeDecode(new URL(req.url ?? "/", "https://x").pathname),
          connectionId:
            this.sockets.get(`${req.socket.remoteAddress}:${req.socket.remotePort}`) ?? 0,
        };
        for (const listener of [...this.receivedListeners]) listener(received);
        this.onRequest(req, res, received)
          .catch((err: unknown) => {
            if (!res.headersSent) {
              res.writeHead(500, { "content-type": "text/plain" });
              res.end(`simulator error: ${String(err)}`);
            } else {
              res.destroy();
            }
          })
          .finally(() => {
            if (--this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
          });
      },
    );
    // Each TCP connection gets an id as it is accepted (before its TLS handshake), so a test
    // can tell which connection a request came on and wait for a killed client's connections
    // to be gone. The TLS socket a request arrives on is found by its remote address and port.
    this.server.on("connection", (socket: Socket) => {
      const key = `${socket.remoteAddress}:${socket.remotePort}`;
      this.sockets.set(key, this.nextConnectionId++);
      socket.once("close", () => {
        this.sockets.delete(key);
        if (this.sockets.size === 0) for (const w of this.closedWaiters.splice(0)) w();
      });
    });
  }

  /** Ids of the connections open now. */
  openConnections(): number[] {
    return [...this.sockets.values()];
  }

  /** Resolves once no connection is open (every client gone, or idle ones closed). */
  noConnections(): Promise<void> {
    if (this.sockets.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.closedWaiters.push(resolve));
  }

  /**
   * Calls `listener` as each request arrives (before faults, latency or handling; control
   * requests included), in the same turn. Returns the unsubscribe function.
   */
  onReceived(listener: (r: ReceivedRequest) => void): () => void {
    this.receivedListeners.add(listener);
    return () => this.receivedListeners.delete(listener);
  }

  /**
   * Holds top-level requests matching method and path on arrival, before they are handled,
   * until released: a test knows a request is in the tenant's hands, and decides when Graph
   * acts on it, with no guessed delay.
   */
  hold(match: { method?: string; path: RegExp }): HoldHandle {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let arrived!: (r: ReceivedRequest) => void;
    const received = new Promise<ReceivedRequest>((r) => (arrived = r));
    const entry = { method: match.method?.toUpperCase(), path: match.path, gate, arrived };
    this.holds.add(entry);
    return {
      received,
      release: () => {
        this.holds.delete(entry);
        release();
      },
    };
  }

  /**
   * Resolves once no request is being handled: a request the client gave up on (a timeout) may
   * still take effect later, and a count taken before that would miss it.
   */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Listens; returns the base URL (https://host:port). */
  async listen(host: string, port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    const hostPart = address.family === "IPv6" ? `[${address.address}]` : address.address;
    this.baseUrl = `https://${hostPart}:${address.port}`;
    return this.baseUrl;
  }

  /** Requests are answered once a dispatcher is attached (after the URL is known). */
  attach(dispatch: Dispatch): void {
    this.dispatch = dispatch;
  }

  async close(): Promise<void> {
    for (const t of this.hangTimers) clearTimeout(t);
    this.hangTimers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async onRequest(
    req: IncomingMessage,
    res: ServerResponse,
    received: ReceivedRequest,
  ): Promise<void> {
    let started = Date.now();
    const body = await readBody(req);
    // Held with its body in hand: a client that dies meanwhile leaves a whole request behind.
    for (const h of [...this.holds]) {
      if (!h.path.test(received.path) || (h.method && h.method !== received.method)) continue;
      h.arrived(received);
      await h.gate;
      started = Date.now();
    }
    const dispatch = this.dispatch;
    const headers = flattenHeaders(req);
    const sim: SimRequest = {
      method: (req.method ?? "GET").toUpperCase(),
      url: new URL(req.url ?? "/", this.baseUrl),
      headers,
      body: body ?? Buffer.alloc(0),
      requestId: randomUUID(),
      clientRequestId: headers["client-request-id"] || randomUUID(),
    };
    if (!dispatch) {
      write(
        res,
        sim,
        this.clockOffsetMs,
        graphError(sim, 503, "ServiceUnavailable", "The simulator is starting."),
      );
      return;
    }
    if (body === null) {
      write(
        res,
        sim,
        this.clockOffsetMs,
        graphError(sim, 413, "RequestEntityTooLarge", "Request body too large."),
      );
      return;
    }
    const path = decodeURIComponent(sim.url.pathname);
    if (path.startsWith("/_sim/")) {
      write(res, sim, this.clockOffsetMs, await dispatch.control(sim));
      return;
    }

    const latency = dispatch.latencyMs();
    if (latency > 0) await sleep(latency);
    const { response, fault } = await withFaults(dispatch.faults, sim, path, false, () =>
      dispatch.serve(sim),
    );
    switch (response.connection) {
      case "reset":
      case "drop":
        res.socket?.destroy();
        break;
      case "hang": {
        if (response.hangMs !== undefined) {
          const timer = setTimeout(() => {
            this.hangTimers.delete(timer);
            res.socket?.destroy();
          }, response.hangMs);
          this.hangTimers.add(timer);
        }
        break;
      }
      default:
        write(res, sim, this.clockOffsetMs, response);
    }
    dispatch.log.add(logEntry(sim, response, started, fault?.id));
  }
}

function write(
  res: ServerResponse,
  req: SimRequest,
  clockOffsetMs: number,
  response: SimResponse,
): void {
  const payload =
    response.body === undefined ? undefined : Buffer.from(JSON.stringify(response.body));
  const headers: Record<string, string | number> = {
    ...response.headers,
    "request-id": req.requestId,
    "client-request-id": req.clientRequestId,
  };
  if (payload) headers["content-length"] = payload.length;
  // Node writes Date from this machine's clock; a tenant with its own clock writes its own.
  if (clockOffsetMs !== 0) headers.date = new Date(Date.now() + clockOffsetMs).toUTCString();
  res.writeHead(response.status, headers);
  res.end(payload);
}

/** The body, or null when it exceeds the limit. */
async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}
