// A bad or missing setting, named by the key the user actually set (config key or env var).
import { SETTING_KEYS, type SettingName } from "./settingsKeys";

/** Where a setting's value came from. */
export type SettingSource = "config" | "env" | "default";

export class SettingsError extends Error {
  override readonly name = "SettingsError";
  /** The logical setting, e.g. "cloud". */
  readonly setting: SettingName;
  /** The key as the user wrote it: `bitlocker:cloud` or `BITLOCKER_CLOUD`. */
  readonly key: string;
  /** Where the bad value came from; undefined when the setting is missing. */
  readonly source: "config" | "env" | undefined;

  /** `whole`: `problem` is the whole message (it names its keys itself). */
  constructor(
    setting: SettingName,
    source: "config" | "env" | undefined,
    problem: string,
    options: { whole?: boolean } = {},
  ) {
    const keys = SETTING_KEYS[setting];
    const key = source === "env" ? keys.env : keys.config;
    const where =
      source === "config"
        ? `${keys.config} (Pulumi stack config)`
        : source === "env"
          ? `${keys.env} (environment)`
          : `${keys.config} (Pulumi config) or ${keys.env} (environment)`;
    super(options.whole ? problem : `${where}: ${problem}`);
    this.setting = setting;
    this.key = key;
    this.source = source;
  }
}
