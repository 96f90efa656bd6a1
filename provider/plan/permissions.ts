// What a 403 on one device's rotation means. Intune answers 403 both when the app lacks the
// permission (then every device would answer the same) and when the app has it but Intune's
// role-based access control keeps this one device out of its reach (scope tags): then the
// other devices must still be rotated. The access token's `roles` claim tells the two apart.

/** The application permission Graph documents for rotateBitLockerKeys. */
export const ROTATE_PERMISSION = "DeviceManagementManagedDevices.ReadWrite.All";

/**
 * True when a 403 on a device's rotation concerns that device only: the token carries the
 * documented permission. Unknown roles (an opaque token) or a token without it: the app itself
 * is refused, and sending to more devices would only fail the same way.
 */
export function forbiddenIsPerDevice(roles: readonly string[] | undefined): boolean {
  return roles?.includes(ROTATE_PERMISSION) ?? false;
}

/** The `roles` claim of a JWT access token ([] when absent); undefined when it is not a JWT. */
export function rolesOfAccessToken(token: string): string[] | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as {
      roles?: unknown;
    };
    if (typeof claims !== "object" || claims === null) return undefined;
    return Array.isArray(claims.roles)
      ? claims.roles.filter((r): r is string => typeof r === "string")
      : [];
  } catch {
    return undefined;
  }
}
