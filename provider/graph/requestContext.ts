// The state one logical request carries through undici's interceptors: its attempts, the
// request-ids Graph answered with, and the retry decisions taken. It rides on the dispatch
// options under a symbol, which undici's retry handler copies into every re-dispatch.
import type { Dispatcher } from "undici";
import type { RetryConfig, RetryDecision } from "./retryPolicy";

export interface AttemptState {
  /** 0 for the first attempt. */
  attempt: number;
  sentAt: Date;
  /** undici wrote the whole request to the socket. */
  written: boolean;
  /** Response headers arrived. */
  status: number | undefined;
}

/** Counters a benchmark or a log line can read. */
export interface GraphStats {
  /** Attempts put on the wire (retries and 401 re-sends included). */
  requests: number;
  retries: number;
  /** 429 answers, including those later retried successfully. */
  throttled: number;
  /** Tokens fetched again after a 401. */
  tokenRenewals: number;
}

export interface RequestEvent {
  method: string;
  path: string;
  attempt: number;
  clientRequestId: string;
}

export interface RequestContext {
  clientRequestId: string;
  idempotent: boolean;
  retry: RetryConfig;
  startedAt: number;
  attempts: number;
  retries: number;
  current: AttemptState | undefined;
  requestIds: string[];
  lastDecision: RetryDecision | undefined;
  stats: GraphStats;
  onRequest: ((event: RequestEvent) => void) | undefined;
}

export const REQUEST_CONTEXT = Symbol("pulumi-intune-bitlocker.requestContext");

export type ContextDispatchOptions = Dispatcher.DispatchOptions & {
  [REQUEST_CONTEXT]?: RequestContext;
};

export function requestContextOf(opts: Dispatcher.DispatchOptions): RequestContext | undefined {
  return (opts as ContextDispatchOptions)[REQUEST_CONTEXT];
}

export function newStats(): GraphStats {
  return { requests: 0, retries: 0, throttled: 0, tokenRenewals: 0 };
}
