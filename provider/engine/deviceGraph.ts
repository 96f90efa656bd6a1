// What the engine needs from Microsoft Graph, and nothing more. The GraphClient implements
// it over HTTPS; keeping the port narrow shows exactly which calls each operation makes.
import type {
  BatchRequest,
  BatchResponse,
  DeviceCollection,
  ManagedDevice,
  RecoveryKeyInfo,
} from "../graph/types";
import type { RetryConfig } from "../graph/retryPolicy";

export interface RotationReceipt {
  requestId?: string;
  clientRequestId: string;
  sentAt: Date;
  /** The accepting answer's `Date` header (Graph's clock); absent if Graph sent none. */
  graphDate?: string;
}

export interface DeviceGraph {
  getManagedDevice(id: string): Promise<ManagedDevice>;
  rotateBitLockerKeys(id: string, collection: DeviceCollection): Promise<RotationReceipt>;
  listRecoveryKeys(azureADDeviceId: string): Promise<RecoveryKeyInfo[]>;
  /** The access token's application roles; undefined when it cannot be read. */
  accessTokenRoles(): Promise<string[] | undefined>;
  /** JSON batching, for fleets. */
  batch(requests: BatchRequest[]): Promise<BatchResponse[]>;
  /** The retry policy: inner $batch answers are retried by the same rule and budget. */
  retryConfig(): RetryConfig;
}
