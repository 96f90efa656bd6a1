// Innermost interceptor: sees every attempt that goes on the wire. It stamps `Retry-Attempt`
// on retries, notes whether the request was fully written (which decides whether a POST
// may be retried after a connection error), and keeps the request-id of every answer.
import type { Dispatcher } from "undici";
import { requestContextOf, type AttemptState, type RequestContext } from "../requestContext";

type Handler = Dispatcher.DispatchHandler;
type Controller = Dispatcher.DispatchController;

/** Forwards every callback to the retry handler above, observing what this attempt did. */
class AttemptObserver implements Handler {
  constructor(
    private readonly next: Handler,
    private readonly ctx: RequestContext,
    private readonly state: AttemptState,
  ) {}

  onRequestStart(controller: Controller, context: unknown): void {
    this.next.onRequestStart?.(controller, context);
  }
  onRequestUpgrade(
    controller: Controller,
    statusCode: number,
    headers: Parameters<NonNullable<Handler["onRequestUpgrade"]>>[2],
    socket: Parameters<NonNullable<Handler["onRequestUpgrade"]>>[3],
  ): void {
    this.next.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }
  onRequestSent(): void {
    this.state.written = true;
    this.next.onRequestSent?.();
  }
  onBodySent(chunk: Buffer): void {
    this.next.onBodySent?.(chunk);
  }
  onResponseStarted(): void {
    this.next.onResponseStarted?.();
  }
  onResponseStart(
    controller: Controller,
    statusCode: number,
    headers: Parameters<NonNullable<Handler["onResponseStart"]>>[2],
    statusMessage?: string,
  ): void {
    if (statusCode >= 200) {
      this.state.status = statusCode;
      const id = headers["request-id"];
      const requestId = Array.isArray(id) ? id[0] : id;
      if (requestId) this.ctx.requestIds.push(requestId);
      if (statusCode === 429) this.ctx.stats.throttled += 1;
    }
    this.next.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }
  onResponseData(controller: Controller, chunk: Buffer): void {
    this.next.onResponseData?.(controller, chunk);
  }
  onResponseEnd(
    controller: Controller,
    trailers: Parameters<NonNullable<Handler["onResponseEnd"]>>[1],
  ): void {
    this.next.onResponseEnd?.(controller, trailers);
  }
  onResponseError(controller: Controller, error: Error): void {
    this.next.onResponseError?.(controller, error);
  }
}

function withHeader(
  headers: Dispatcher.DispatchOptions["headers"],
  name: string,
  value: string,
): Dispatcher.DispatchOptions["headers"] {
  if (Array.isArray(headers)) return [...headers, name, value] as typeof headers;
  if (headers && typeof headers === "object" && !(Symbol.iterator in headers)) {
    return { ...(headers as Record<string, string>), [name]: value };
  }
  const out: Record<string, string> = {};
  for (const [k, v] of (headers as Iterable<[string, string]> | null | undefined) ?? []) out[k] = v;
  out[name] = value;
  return out;
}

export function attemptTracking(): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) =>
    function trackAttempt(opts, handler) {
      const ctx = requestContextOf(opts);
      if (!ctx) return dispatch(opts, handler);
      const state: AttemptState = {
        attempt: ctx.attempts,
        sentAt: new Date(),
        written: false,
        status: undefined,
      };
      ctx.attempts += 1;
      ctx.current = state;
      ctx.stats.requests += 1;
      ctx.onRequest?.({
        method: opts.method,
        path: opts.path,
        attempt: state.attempt,
        clientRequestId: ctx.clientRequestId,
      });
      const headers =
        state.attempt > 0
          ? withHeader(opts.headers, "retry-attempt", String(state.attempt))
          : opts.headers;
      return dispatch({ ...opts, headers }, new AttemptObserver(handler, ctx, state));
    };
}
