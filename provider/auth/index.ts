// Settings (config > env) and the @azure/identity credential they describe.
export {
  resolveSettings,
  describeSettings,
  settingsSummary,
  DEFAULT_TUNING,
  SettingsError,
  SETTING_KEYS,
  type Settings,
  type SettingName,
  type SettingSource,
  type CredentialKind,
  type CredentialChoice,
} from "./settings";
export {
  createCredential,
  createUncachedCredential,
  clearCredentialCache,
  type TokenCredential,
} from "./credential";
export { AuthenticationError, toAuthenticationError } from "./authenticationError";
export { isLoopbackHost } from "./endpointUrl";
