// How long Graph asks a client to wait, from an answer's headers (top-level or a $batch
// sub-response's), read as @azure/core-rest-pipeline's throttlingRetryStrategy reads them:
// `retry-after-ms`, then `x-ms-retry-after-ms` (milliseconds), then `Retry-After` (delta
// seconds, fractional ones such as "2.128" included, or an HTTP date).

/** Header names as undici and $batch bodies give them; looked up case-insensitively. */
export type HeaderBag = Record<string, string | string[] | undefined>;

/** Milliseconds to wait, or undefined when the header is absent or unreadable. */
export function parseRetryAfterMs(
  value: string | string[] | undefined,
  now: number = Date.now(),
): number | undefined {
  const text = first(value);
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // Only RFC 9110 date forms carry a weekday or month name; a bare number was handled above.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The wait Graph asked for in `headers`, in ms, or undefined when it asked for none. */
export function retryAfterMs(
  headers: HeaderBag | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const text = first(header(headers, name));
    if (text && /^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text));
  }
  return parseRetryAfterMs(header(headers, "retry-after"), now);
}

function header(headers: HeaderBag, name: string): string | string[] | undefined {
  if (name in headers) return headers[name];
  // $batch sub-responses keep Graph's spelling ("Retry-After").
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

function first(value: string | string[] | undefined): string | undefined {
  return (Array.isArray(value) ? value[0] : value)?.trim();
}
