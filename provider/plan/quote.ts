// Quotes a value for an error message. JSON.stringify escapes only C0 controls; invisible and
// direction-changing characters (bidi overrides, zero-width spaces, C1 controls, U+2028) would
// let a value disguise the message around it in a terminal or a log, so they are escaped too.
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

export function quoteForMessage(text: string): string {
  return JSON.stringify(text).replace(
    INVISIBLE,
    (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, "0")}`,
  );
}
