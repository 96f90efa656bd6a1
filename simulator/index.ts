// The simulated tenant: Entra ID + Microsoft Graph (beta) over HTTPS on loopback.
export { startSimulatedTenant } from "./tenant";
export type { SimulatedTenant, SimDeviceInfo, DeviceQuery } from "./tenant";
export type { SimulatedTenantOptions } from "./options";
export { ensureCa, defaultCaDir, CA_CERT_FILE, CA_KEY_FILE } from "./tls/ca";
export type { CaFiles } from "./tls/ca";
export { createClientCertificate } from "./tls/certificates";
export type { ClientCertificate } from "./tls/certificates";
export { ALL_ROLES, ROLES, TOKEN_EXCHANGE_AUDIENCE } from "./entra/apps";
export type { AppCredentials, AppRegistrationInput, FederatedCredentialInput } from "./entra/apps";
export { ERROR_CODES, hresultToInt32, NIL_GUID } from "./devices";
export type { DeviceInput, DevicePatch, RotationOutcome, WireManagedDevice } from "./devices";
export type { FleetOptions } from "./fleet";
export type { FaultKind, FaultRuleInput, FaultRuleJson } from "./faults";
export type { LogEntry, LogFilter, RequestLog } from "./requestLog";
export { INTUNE_LIMITS, scaleLimits } from "./throttle";
export type { ThrottleLimits } from "./throttle";
export { MAX_BATCH_REQUESTS } from "./graph/batch";
