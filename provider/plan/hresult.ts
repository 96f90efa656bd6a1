// deviceActionResults.errorCode is an HRESULT carried as a signed Int32.

export interface HresultInfo {
  /** "0x80310008" */
  hex: string;
  /** What it means, when known. */
  meaning?: string;
  /** What to do about it, when known. */
  hint?: string;
}

const KNOWN: Record<string, { meaning: string; hint: string }> = {
  "0x803100DA": {
    meaning: "BitLocker recovery-password backup to Entra ID is not required for the OS drive",
    hint: 'Set the policy "Save BitLocker recovery information to Entra ID" (OS drives) to required, then rotate again',
  },
  "0x803100DB": {
    meaning: "BitLocker recovery-password backup to Entra ID is not required for fixed drives",
    hint: 'Set the policy "Save BitLocker recovery information to Entra ID" (fixed drives) to required, then rotate again',
  },
  "0x803100E1": {
    meaning: "The recovery-key backup endpoint is busy",
    hint: "Transient: rotate again later with a new token",
  },
  "0x80310008": {
    meaning: "BitLocker is not enabled on the drive",
    hint: "Enable BitLocker (an encryption policy) before rotating",
  },
  "0x80310059": {
    meaning: "Another BitLocker operation is in progress",
    hint: "Wait for encryption or decryption to finish, then rotate again with a new token",
  },
  "0x80070490": {
    meaning: "Element not found (no recovery password protector on the drive)",
    hint: "Check that the drive has a numerical-password protector; re-apply the BitLocker policy",
  },
};

/** -2144272376 → "0x80310008". */
export function toHresultHex(code: number): string {
  return "0x" + (code >>> 0).toString(16).toUpperCase().padStart(8, "0");
}

export function describeHresult(code: number): HresultInfo {
  const hex = toHresultHex(code);
  const known = KNOWN[hex];
  return known ? { hex, ...known } : { hex };
}

/** One line for a person: "0x80310008 BitLocker is not enabled on the drive". */
export function hresultText(code: number): string {
  const info = describeHresult(code);
  return info.meaning ? `${info.hex} ${info.meaning}` : info.hex;
}
