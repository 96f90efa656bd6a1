// Entra ID keeps at most 200 recovery keys per device and each rotation adds one. Warn as a
// device approaches the cap; refuse to rotate beyond a threshold. Pure.

export const ENTRA_RECOVERY_KEY_CAP = 200;

export interface KeyCapSettings {
  /** Warn from this many escrowed keys (default 180). */
  recoveryKeyWarnAt: number;
  /** Refuse to rotate a device with this many keys or more (default 195; 0 turns the guard off). */
  recoveryKeyLimit: number;
}

export const DEFAULT_KEY_CAP: KeyCapSettings = { recoveryKeyWarnAt: 180, recoveryKeyLimit: 195 };

export type KeyCapVerdict = "ok" | "warn" | "refuse";

export function keyCapVerdict(keyCount: number, s: KeyCapSettings): KeyCapVerdict {
  if (s.recoveryKeyLimit > 0 && keyCount >= s.recoveryKeyLimit) return "refuse";
  if (s.recoveryKeyWarnAt > 0 && keyCount >= s.recoveryKeyWarnAt) return "warn";
  return "ok";
}

export function keyCapMessage(deviceId: string, keyCount: number, s: KeyCapSettings): string {
  const verdict = keyCapVerdict(keyCount, s);
  const head = `device ${deviceId} has ${keyCount} recovery keys in Entra ID, which keeps at most ${ENTRA_RECOVERY_KEY_CAP} per device`;
  return verdict === "refuse"
    ? `${head}; rotating it is refused at recoveryKeyLimit ${s.recoveryKeyLimit}. Delete old recovery keys for the device in Entra ID, or raise recoveryKeyLimit (0 turns the guard off).`
    : `${head}; ${ENTRA_RECOVERY_KEY_CAP - keyCount} rotation(s) left before the cap.`;
}
