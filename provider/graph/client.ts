// The Graph client on undici. A request's path, outermost first:
//   bearer token (401 → renew once) → retry decisions (interceptors/retry.ts)
//   → attempt tracking (interceptors/attempts.ts) → one keep-alive Agent per client.
import { randomUUID } from "node:crypto";
import { Agent, type Dispatcher } from "undici";
import { checkOrigin } from "../auth/endpointUrl";
import {
  createCredential,
  createUncachedCredential,
  type TokenCredential,
} from "../auth/credential";
import type { Settings } from "../auth/settings";
import { batchBody, isIdempotentBatch, readBatchAnswer, validateBatch } from "./batch";
import { BearerToken } from "./bearerToken";
import {
  GraphError,
  OutcomeUnknownError,
  networkError,
  parseGraphError,
  type GraphOperation,
  type ResponseHeaders,
} from "./errors";
import { assertCollection, assertGuid, devicePath } from "./ids";
import { attemptTracking } from "./interceptors/attempts";
import { retryDecisions } from "./interceptors/retry";
import { queryString, type EqFilter } from "./odata";
import { followPages, type Page } from "./paging";
import {
  REQUEST_CONTEXT,
  newStats,
  type ContextDispatchOptions,
  type GraphStats,
  type RequestContext,
  type RequestEvent,
} from "./requestContext";
import { currentDeadline } from "./deadline";
import { DEFAULT_RETRY_CONFIG, mayHaveActed, type RetryConfig } from "./retryPolicy";
import type {
  BatchRequest,
  BatchResponse,
  DeviceCollection,
  ManagedDevice,
  RecoveryKeyInfo,
} from "./types";
import { RECOVERY_KEY_FIELDS } from "./types";
import { PACKAGE_NAME, PACKAGE_VERSION, userAgent } from "./userAgent";
import { rolesOfAccessToken } from "../plan/permissions";

export interface GraphClientOptions {
  /** Endpoints, credential and tuning from resolveSettings. */
  settings?: Settings;
  /** Graph origin, when no settings are given (https, or http on loopback). */
  baseUrl?: string;
  /** Token scope, when no settings are given; default `${baseUrl}/.default`. */
  scope?: string;
  /** Default: createCredential(settings). */
  credential?: TokenCredential;
  /**
   * A credential with an empty token cache, used once after a 401. Default with settings:
   * createUncachedCredential(settings); without settings, the same credential is asked again.
   */
  renewCredential?: () => TokenCredential;
  /** Appended to the User-Agent, e.g. "bench/1". */
  userAgent?: string;
  retry?: Partial<RetryConfig>;
  /** Per attempt: time to the response headers, and between body chunks. */
  requestTimeoutMs?: number;
  /** Concurrent connections to Graph. */
  maxConnections?: number;
  /** Replaces the Agent (tests use undici's MockAgent). Not closed by close(). */
  dispatcher?: Dispatcher;
  /** Called for every attempt put on the wire. */
  onRequest?: (event: RequestEvent) => void;
}

export interface ListManagedDevicesOptions {
  collection?: DeviceCollection;
  /** One `eq`: Graph's filter on managedDevices is unreliable beyond that. Re-check client-side. */
  filter?: EqFilter;
  select?: string[];
  /** `$top`, 1–1000 (Graph's page cap). */
  pageSize?: number;
}

export interface GetManagedDeviceOptions {
  collection?: DeviceCollection;
  select?: string[];
}

export interface RotationRequest {
  /** Graph's `request-id` of the accepting answer. */
  requestId?: string;
  clientRequestId: string;
  /** When the accepted attempt was sent (local clock). */
  sentAt: Date;
  /** The accepting answer's `Date` header: Graph's clock, after Intune took the request. */
  graphDate?: string;
}

interface Call {
  method: "GET" | "POST";
  /** Path and query below the origin, e.g. `/beta/deviceManagement/...`. */
  path: string;
  body?: string;
  idempotent: boolean;
  operation: GraphOperation;
  deviceId?: string;
  headers?: Record<string, string>;
}

interface Answer {
  status: number;
  headers: ResponseHeaders;
  bodyText: string;
  requestId: string | undefined;
  clientRequestId: string;
  sentAt: Date;
}

export class GraphClient {
  readonly baseUrl: string;
  private readonly scope: string;
  private readonly token: BearerToken;
  private readonly dispatcher: Dispatcher;
  private readonly ownedAgent: Agent | undefined;
  private readonly userAgent: string;
  private readonly retry: RetryConfig;
  private readonly timeoutMs: number;
  private readonly onRequest: ((event: RequestEvent) => void) | undefined;
  private readonly counters: GraphStats = newStats();

  constructor(options: GraphClientOptions) {
    const { settings } = options;
    const base = options.baseUrl ?? settings?.graphBaseUrl;
    if (!base) throw new TypeError("GraphClient needs settings or a baseUrl");
    const check = checkOrigin(base, true);
    if (!check.ok) throw new TypeError(`GraphClient baseUrl ${check.problem}`);
    this.baseUrl = check.origin;
    this.scope = options.scope ?? settings?.scope ?? `${this.baseUrl}/.default`;

    const credential = options.credential ?? (settings ? createCredential(settings) : undefined);
    if (!credential) throw new TypeError("GraphClient needs settings or a credential");
    const renew =
      options.renewCredential ?? (settings ? () => createUncachedCredential(settings) : undefined);
    this.token = new BearerToken(credential, this.scope, renew);

    this.retry = {
      ...DEFAULT_RETRY_CONFIG,
      ...(settings
        ? { maxRetries: settings.maxRetries, budgetMs: settings.retryBudgetSeconds * 1000 }
        : {}),
      ...options.retry,
    };
    this.timeoutMs =
      options.requestTimeoutMs ?? (settings ? settings.requestTimeoutSeconds * 1000 : 30_000);
    this.userAgent = userAgent(options.userAgent);
    this.onRequest = options.onRequest;

    if (options.dispatcher) {
      this.ownedAgent = undefined;
      this.dispatcher = options.dispatcher.compose(attemptTracking(), retryDecisions());
    } else {
      // One pool per client: keep-alive, bounded connections, per-attempt timeouts.
      this.ownedAgent = new Agent({
        connections: options.maxConnections ?? settings?.maxConnections ?? 16,
        keepAliveTimeout: 30_000,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        connect: { timeout: Math.min(this.timeoutMs, 10_000) },
      });
      this.dispatcher = this.ownedAgent.compose(attemptTracking(), retryDecisions());
    }
  }

  /** The retry policy of this client's requests; callers retrying inner $batch answers follow it too. */
  retryConfig(): RetryConfig {
    return { ...this.retry };
  }

  /** Counters since creation (or the last resetStats). */
  stats(): GraphStats {
    return { ...this.counters };
  }

  resetStats(): void {
    Object.assign(this.counters, newStats());
  }

  async close(): Promise<void> {
    await this.ownedAgent?.close();
  }

  /** GET /beta/deviceManagement/{collection}/{id}. 404 → GraphError code ResourceNotFound. */
  async getManagedDevice(
    id: string,
    options: GetManagedDeviceOptions = {},
  ): Promise<ManagedDevice> {
    assertGuid(id, "managed device id");
    const path = `/beta${devicePath(options.collection ?? "managedDevices", id)}${queryString(
      options.select ? { select: options.select } : {},
    )}`;
    const answer = await this.call({
      method: "GET",
      path,
      idempotent: true,
      operation: "getManagedDevice",
      deviceId: id,
    });
    return parseJson(answer, "getManagedDevice") as ManagedDevice;
  }

  /** Every device of the collection, page by page (`@odata.nextLink` followed verbatim). */
  listManagedDevices(options: ListManagedDevicesOptions = {}): AsyncIterable<ManagedDevice> {
    const collection = options.collection ?? "managedDevices";
    assertCollection(collection);
    const first = `/beta/deviceManagement/${collection}${queryString({
      ...(options.filter ? { filter: options.filter } : {}),
      ...(options.select ? { select: options.select } : {}),
      ...(options.pageSize !== undefined ? { top: options.pageSize } : {}),
    })}`;
    return followPages<ManagedDevice>(first, this.baseUrl, (path) =>
      this.getPage<ManagedDevice>(path, "listManagedDevices"),
    );
  }

  /**
   * POST …/{id}/rotateBitLockerKeys (beta; 204 expected). Retried only when Graph certainly
   * did not act (429, 503, a connection that failed before the request was written);
   * otherwise OutcomeUnknownError.
   */
  async rotateBitLockerKeys(id: string, collection: DeviceCollection): Promise<RotationRequest> {
    const path = `/beta${devicePath(collection, id)}/rotateBitLockerKeys`;
    const answer = await this.call({
      method: "POST",
      path,
      idempotent: false,
      operation: "rotateBitLockerKeys",
      deviceId: id,
    });
    const date = headerValue(answer.headers, "date");
    return {
      ...(answer.requestId ? { requestId: answer.requestId } : {}),
      clientRequestId: answer.clientRequestId,
      sentAt: answer.sentAt,
      ...(date ? { graphDate: date } : {}),
    };
  }

  /**
   * The application roles (`roles` claim) of the access token in use; undefined when the
   * token cannot be read as a JWT. Tells a 403 of one device (Intune's scope tags) from an app
   * that lacks the permission (see plan/permissions.ts).
   */
  async accessTokenRoles(): Promise<string[] | undefined> {
    return rolesOfAccessToken(await this.token.get());
  }

  /**
   * Recovery-key entries of an Entra device (v1.0), every page. Never asks for `key`, and
   * keeps only the listed fields even if more come back.
   */
  async listRecoveryKeys(azureADDeviceId: string): Promise<RecoveryKeyInfo[]> {
    assertGuid(azureADDeviceId, "azureADDeviceId");
    const first = `/v1.0/informationProtection/bitlocker/recoveryKeys${queryString({
      filter: { property: "deviceId", value: azureADDeviceId },
    })}`;
    const keys: RecoveryKeyInfo[] = [];
    const pages = followPages<Record<string, unknown>>(first, this.baseUrl, (path) =>
      this.getPage(path, "listRecoveryKeys", azureADDeviceId, {
        "ocp-client-name": PACKAGE_NAME,
        "ocp-client-version": PACKAGE_VERSION,
      }),
    );
    for await (const item of pages) {
      const entry = Object.fromEntries(RECOVERY_KEY_FIELDS.map((f) => [f, String(item[f] ?? "")]));
      keys.push(entry as unknown as RecoveryKeyInfo);
    }
    return keys;
  }

  /**
   * Events of Entra's directory audit log matching `filter` (see plan/disclosure.ts), every page
   * (v1.0, `AuditLog.Read.All`). The events are returned as Graph sends them.
   */
  listDirectoryAudits(filter: string): AsyncIterable<Record<string, unknown>> {
    const first = `/v1.0/auditLogs/directoryAudits?$filter=${encodeURIComponent(filter)}`;
    return followPages<Record<string, unknown>>(first, this.baseUrl, (path) =>
      this.getPage(path, "listDirectoryAudits"),
    );
  }

  /**
   * POST /beta/$batch (1–20 requests). Returns the inner answers in request order; inner
   * failures (429 included) are the caller's to retry (see graphErrorFromBatchResponse). An
   * inner answer without a `date` header gets the outer answer's: Graph writes it once every
   * inner request was handled, so it bounds, on Graph's clock, when each took effect.
   */
  async batch(requests: BatchRequest[]): Promise<BatchResponse[]> {
    validateBatch(requests);
    const idempotent = isIdempotentBatch(requests);
    const answer = await this.call({
      method: "POST",
      path: "/beta/$batch",
      body: batchBody(requests),
      idempotent,
      operation: "batch",
      headers: { "content-type": "application/json" },
    });
    const { responses, missing } = readBatchAnswer(requests, parseJson(answer, "batch"));
    if (missing.length > 0) {
      const reason = `the $batch answer lacks responses for ${missing.join(", ")}`;
      if (!idempotent) {
        throw new OutcomeUnknownError({
          status: answer.status,
          operation: "batch",
          clientRequestId: answer.clientRequestId,
          sentAt: answer.sentAt,
          requestIds: answer.requestId ? [answer.requestId] : [],
          reason,
          ...(answer.requestId ? { requestId: answer.requestId } : {}),
        });
      }
      throw new GraphError({
        status: answer.status,
        code: "IncompleteBatchResponse",
        graphMessage: reason,
        operation: "batch",
        clientRequestId: answer.clientRequestId,
        hint: { summary: "Graph answered the batch only in part", action: "Re-running is safe" },
      });
    }
    const date = headerValue(answer.headers, "date");
    if (date) for (const r of responses) if (r.headers && !r.headers.date) r.headers.date = date;
    return responses;
  }

  private async getPage<T>(
    path: string,
    operation: GraphOperation,
    deviceId?: string,
    headers?: Record<string, string>,
  ): Promise<Page<T>> {
    const answer = await this.call({
      method: "GET",
      path,
      idempotent: true,
      operation,
      ...(deviceId ? { deviceId } : {}),
      ...(headers ? { headers } : {}),
    });
    return parseJson(answer, operation) as Page<T>;
  }

  /** Sends one logical request: token, retries (via interceptors), one 401 renewal. */
  private async call(call: Call): Promise<Answer> {
    const startedAt = Date.now();
    // Inside an operation with a deadline, retries stop at the deadline (never past the budget).
    const deadline = currentDeadline();
    const retry =
      deadline === undefined
        ? this.retry
        : {
            ...this.retry,
            budgetMs: Math.max(0, Math.min(this.retry.budgetMs, deadline - startedAt)),
          };
    const ctx: RequestContext = {
      clientRequestId: randomUUID(),
      idempotent: call.idempotent,
      retry,
      startedAt,
      attempts: 0,
      retries: 0,
      current: undefined,
      requestIds: [],
      lastDecision: undefined,
      stats: this.counters,
      onRequest: this.onRequest,
    };
    let token = await this.token.get();
    for (let renewed = false; ; renewed = true) {
      const answer = await this.send(call, ctx, token);
      // A 401 means Graph did not act, so even the POST may be sent again, once.
      if (answer.status === 401 && !renewed) {
        this.counters.tokenRenewals += 1;
        token = await this.token.renew(token);
        continue;
      }
      if (answer.status >= 400) throw this.failureFor(call, ctx, answer);
      return answer;
    }
  }

  private async send(call: Call, ctx: RequestContext, token: string): Promise<Answer> {
    const opts: ContextDispatchOptions & Dispatcher.RequestOptions = {
      origin: this.baseUrl,
      path: call.path,
      method: call.method,
      headers: {
        authorization: `Bearer ${token}`,
        "user-agent": this.userAgent,
        "client-request-id": ctx.clientRequestId,
        "return-client-request-id": "true",
        accept: "application/json",
        ...call.headers,
      },
      body: call.body ?? (call.method === "POST" ? "" : null),
      idempotent: call.idempotent,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      [REQUEST_CONTEXT]: ctx,
    };
    try {
      const res = await this.dispatcher.request(opts);
      const bodyText = await res.body.text();
      const requestId = headerValue(res.headers, "request-id");
      return {
        status: res.statusCode,
        headers: res.headers,
        bodyText,
        requestId,
        clientRequestId: ctx.clientRequestId,
        sentAt: ctx.current?.sentAt ?? new Date(ctx.startedAt),
      };
    } catch (err) {
      throw this.transportFailure(call, ctx, err);
    }
  }

  /** An error answer that outlived its retries, or one never worth retrying. */
  private failureFor(call: Call, ctx: RequestContext, answer: Answer): GraphError {
    const decision = ctx.lastDecision;
    if (mayHaveActed(call.idempotent, { kind: "status", status: answer.status })) {
      return new OutcomeUnknownError({
        status: answer.status,
        operation: call.operation,
        clientRequestId: ctx.clientRequestId,
        sentAt: answer.sentAt,
        requestIds: [...ctx.requestIds],
        reason: `Graph answered ${answer.status}, which does not say whether the action was taken`,
        ...(call.deviceId ? { deviceId: call.deviceId } : {}),
        ...(answer.requestId ? { requestId: answer.requestId } : {}),
      });
    }
    return parseGraphError(answer.status, answer.headers, answer.bodyText, {
      operation: call.operation,
      clientRequestId: ctx.clientRequestId,
      ...(call.deviceId ? { deviceId: call.deviceId } : {}),
      ...(decision && !decision.retry && decision.reason === "budget-exhausted"
        ? { budget: decision.budget }
        : {}),
    });
  }

  /** No answer: a connection error or a timeout, after whatever retries were allowed. */
  private transportFailure(call: Call, ctx: RequestContext, err: unknown): GraphError {
    const e = (err ?? {}) as { code?: string; message?: string };
    const attempt = ctx.current;
    if (
      attempt &&
      mayHaveActed(call.idempotent, {
        kind: "transport",
        code: e.code,
        requestWritten: attempt.written,
        responseStarted: attempt.status !== undefined,
      })
    ) {
      return new OutcomeUnknownError({
        status: attempt.status ?? 0,
        operation: call.operation,
        clientRequestId: ctx.clientRequestId,
        sentAt: attempt.sentAt,
        requestIds: [...ctx.requestIds],
        reason: describeTransport(e.code, e.message, this.timeoutMs),
        ...(call.deviceId ? { deviceId: call.deviceId } : {}),
        ...(ctx.requestIds.length > 0
          ? { requestId: ctx.requestIds[ctx.requestIds.length - 1] }
          : {}),
      });
    }
    return networkError(
      {
        ...(e.code ? { code: e.code } : {}),
        message: describeTransport(e.code, e.message, this.timeoutMs),
      },
      this.baseUrl,
      {
        operation: call.operation,
        clientRequestId: ctx.clientRequestId,
        ...(call.deviceId ? { deviceId: call.deviceId } : {}),
      },
    );
  }
}

function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function describeTransport(
  code: string | undefined,
  message: string | undefined,
  timeoutMs: number,
): string {
  switch (code) {
    case "UND_ERR_HEADERS_TIMEOUT":
    case "UND_ERR_BODY_TIMEOUT":
      return `no answer within ${timeoutMs / 1000} s after the request was sent`;
    case "UND_ERR_SOCKET":
    case "ECONNRESET":
    case "EPIPE":
      return `the connection was closed (${code}) after the request was sent`;
    default:
      return `${code ?? "error"}: ${message ?? "connection failed"}`;
  }
}

function parseJson(answer: Answer, operation: GraphOperation): unknown {
  if (answer.bodyText === "") return {};
  try {
    return JSON.parse(answer.bodyText);
  } catch {
    throw new GraphError({
      status: answer.status,
      code: "InvalidResponse",
      graphMessage: `the ${operation} answer is not JSON`,
      operation,
      clientRequestId: answer.clientRequestId,
      ...(answer.requestId ? { requestId: answer.requestId } : {}),
      hint: {
        summary: "Graph (or a proxy in between) answered with something unexpected",
        action: "",
      },
    });
  }
}
