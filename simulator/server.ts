// The one HTTPS listener: reads a request, applies global latency and faults, dispatches
// (control API, Entra ID, Graph), writes the answer with request-id / client-request-id,
// and logs it. Connection faults (reset, drop, hang) act on the socket itself.
import { randomUUID } from "node:crypto";
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
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
  /** Graph's clock minus this machine's, for the Date header (see clockOffsetMs). */
  clockOffsetMs = 0;

  constructor(tls: TlsMaterial) {
    this.server = https.createServer(
      { key: tls.privateKeyPem, cert: tls.certificatePem },
      (req, res) => {
        this.inFlight++;
        this.onRequest(req, res)
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

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const body = await readBody(req);
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

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}
