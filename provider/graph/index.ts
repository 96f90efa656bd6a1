// The Graph client: endpoints per cloud, errors, retry, paging and batching.
export {
  GraphClient,
  type GraphClientOptions,
  type GetManagedDeviceOptions,
  type ListManagedDevicesOptions,
  type RotationRequest,
} from "./client";
export {
  GraphError,
  OutcomeUnknownError,
  AuthenticationError,
  parseGraphError,
  networkError,
  type ErrorContext,
  type GraphOperation,
  type ResponseHeaders,
} from "./errors";
export { hintFor, permissionsNamedIn, permissionToGrant } from "./errorHints";
export {
  CLOUDS,
  CLOUD_NAMES,
  isCloudName,
  isKnownAuthorityHost,
  scopeFor,
  type CloudEndpoints,
} from "./clouds";
export {
  MAX_BATCH_SIZE,
  graphErrorFromBatchResponse,
  isIdempotentBatch,
  validateBatch,
} from "./batch";
export {
  decideRetry,
  backoffMs,
  DEFAULT_RETRY_CONFIG,
  type RetryConfig,
  type RetryDecision,
  type AttemptFailure,
} from "./retryPolicy";
export { parseRetryAfterMs } from "./retryAfter";
export { assertGuid, devicePath } from "./ids";
export { odataLiteral, eqFilter, queryString, type EqFilter } from "./odata";
export { nextLinkPath } from "./paging";
export type { GraphStats, RequestEvent } from "./requestContext";
export { userAgent, PACKAGE_NAME, PACKAGE_VERSION } from "./userAgent";
export * from "./types";
