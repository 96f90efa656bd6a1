// Checks for the two URLs a user can override (Graph endpoint, authority host). Both are
// origins that receive a bearer token or a client credential, so only https is accepted,
// except on loopback, where a local simulator or proxy cannot be intercepted off-host.

/** 127.0.0.0/8, ::1 and localhost. `URL` has already normalised IPv4 forms such as 127.1. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (host === "localhost" || host === "::1") return true;
  const octets = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return octets !== null && octets.slice(1).every((o) => Number(o) <= 255);
}

export type OriginCheck = { ok: true; origin: string } | { ok: false; problem: string };

/**
 * Accepts `https://host[:port]` (a trailing `/` is fine) and returns its origin.
 * `allowHttpOnLoopback` admits `http://127.0.0.1:port` for local endpoints; MSAL refuses
 * http authorities, so the authority host never gets it.
 */
export function checkOrigin(value: string, allowHttpOnLoopback: boolean): OriginCheck {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, problem: "is not an absolute URL" };
  }
  if (url.username || url.password) {
    return { ok: false, problem: "must not carry a user name or password" };
  }
  if (url.pathname !== "/" || url.search || url.hash) {
    return {
      ok: false,
      problem: `must be an origin such as https://${url.host} (no path or query)`,
    };
  }
  if (url.protocol === "https:") return { ok: true, origin: url.origin };
  if (url.protocol === "http:" && allowHttpOnLoopback && isLoopbackHost(url.hostname)) {
    return { ok: true, origin: url.origin };
  }
  if (url.protocol === "http:") {
    return {
      ok: false,
      problem: allowHttpOnLoopback
        ? "must use https (http is accepted only on loopback: 127.0.0.0/8, ::1, localhost)"
        : "must use https (MSAL refuses http authorities, even on loopback)",
    };
  }
  return { ok: false, problem: `must use https, not ${url.protocol.replace(/:$/, "")}` };
}
