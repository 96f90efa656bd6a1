// undici's retry interceptor does the waiting and the re-dispatching; the decision is ours
// (retryPolicy.ts), made per request from the context the attempts interceptor fills in.
import { interceptors, type Dispatcher } from "undici";
import { requestContextOf } from "../requestContext";
import { decideRetry, type AttemptFailure } from "../retryPolicy";

interface UndiciFailure extends Error {
  code?: string;
  statusCode?: number;
  headers?: Record<string, string | string[] | undefined>;
}

export function retryDecisions(): Dispatcher.DispatcherComposeInterceptor {
  return interceptors.retry({
    // Hand the final error answer (with its body) to the client instead of a bare
    // RequestRetryError, so a 429 or 503 that outlived its retries still parses.
    throwOnError: false,
    retry(err, { opts }, callback) {
      const ctx = requestContextOf(opts);
      if (!ctx) {
        callback(err);
        return;
      }
      const e = err as UndiciFailure;
      // undici's RequestRetryError stands for an answer; anything else is a transport error.
      const failure: AttemptFailure =
        e.code === "UND_ERR_REQ_RETRY" && e.statusCode !== undefined
          ? { kind: "status", status: e.statusCode, ...(e.headers ? { headers: e.headers } : {}) }
          : {
              kind: "transport",
              code: e.code,
              requestWritten: ctx.current?.written ?? false,
              responseStarted: ctx.current?.status !== undefined,
            };
      const decision = decideRetry({
        idempotent: ctx.idempotent,
        failure,
        retriesSoFar: ctx.retries,
        elapsedMs: Date.now() - ctx.startedAt,
        config: ctx.retry,
        now: Date.now(),
      });
      ctx.lastDecision = decision;
      if (!decision.retry) {
        callback(err);
        return;
      }
      ctx.retries += 1;
      ctx.stats.retries += 1;
      // Returning the timer lets undici cancel the wait when the request is aborted.
      return setTimeout(() => callback(null), decision.delayMs);
    },
  });
}
