// Quotes a value for an error message. JSON.stringify escapes only C0 controls; invisible and
// direction-changing characters (bidi overrides, zero-width spaces, C1 controls, U+2028) would
// let a value disguise the message around it in a terminal or a log, so they are escaped too.
// The length is bounded after escaping, since escaping can multiply it by six.
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

export function quoteForMessage(text: string, maxLength = 80): string {
  const inner = JSON.stringify(text)
    .slice(1, -1)
    .replace(INVISIBLE, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, "0")}`);
  if (inner.length <= maxLength) return `"${inner}"`;
  // Cut, then drop a trailing partial escape (a lone backslash or an unfinished \uXXXX).
  const cut = inner.slice(0, maxLength).replace(/\\(u[0-9a-f]{0,3})?$/, "");
  return `"${cut}…"`;
}
