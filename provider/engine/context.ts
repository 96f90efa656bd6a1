// The engine process's one Graph client, built lazily from stack config (handed to
// `configure` by Pulumi's dynamic-provider host) and the environment. Credentials live only
// here, in memory: never in resource inputs, outputs or the serialized provider.
import { SETTING_KEYS } from "../auth/settingsKeys";
import type { Settings } from "../auth/settings";
import type { DeviceGraph } from "./deviceGraph";

/** The subset of Pulumi's dynamic-provider config object we use. */
export interface ProviderConfig {
  get(key: string): string | undefined;
}

let stackConfig: Record<string, string | undefined> = {};
let context: EngineContext | undefined;

export interface EngineContext {
  graph: DeviceGraph;
  settings: Settings;
}

/** The host calls this once per process, before any other call. */
export function configureProvider(req: { config?: ProviderConfig }): void {
  configure(req.config);
}

export function configure(config: ProviderConfig | undefined): void {
  const next: Record<string, string | undefined> = {};
  for (const key of Object.values(SETTING_KEYS)) next[key.config] = config?.get(key.config);
  stackConfig = next;
  context = undefined;
}

/** The Graph port for this process; settings errors surface here, naming the key. */
export function deviceGraph(): DeviceGraph {
  return engineContext().graph;
}

/**
 * `bitlocker:maxRotationsPerUpdate` for check/diff: read without building a credential, so
 * the guard works in a preview that has no Graph access. Throws `SettingsError` naming the key.
 */
export function maxRotationsPerUpdate(): number {
  const { resolveMaxRotationsPerUpdate } =
    require("../auth/settings") as typeof import("../auth/settings");
  return resolveMaxRotationsPerUpdate(stackConfig, process.env);
}

export function engineContext(): EngineContext {
  if (!context) {
    // Loaded on first use so that check/diff (which never call Graph) stay fast.
    const { resolveSettings } = require("../auth/settings") as typeof import("../auth/settings");
    const { createCredential } =
      require("../auth/credential") as typeof import("../auth/credential");
    const { GraphClient } = require("../graph/client") as typeof import("../graph/client");
    const settings = resolveSettings(stackConfig, process.env);
    context = {
      settings,
      graph: new GraphClient({ settings, credential: createCredential(settings) }),
    };
  }
  return context;
}
