// The OData query options the simulated endpoints honour: $top, $select, a simple $filter
// (eq clauses joined by `and`), and an opaque $skiptoken in an absolute @odata.nextLink.

export class ODataError extends Error {}

export interface EqClause {
  property: string;
  value: string | boolean;
}

/** $top as a positive integer, clamped to `max`; undefined when absent. */
export function parseTop(query: URLSearchParams, max: number): number | undefined {
  const raw = query.get("$top");
  if (raw === null) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    throw new ODataError(`Invalid value '${raw}' for $top query option.`);
  }
  return Math.min(Number(raw), max);
}

export function parseSelect(query: URLSearchParams): string[] | undefined {
  const raw = query.get("$select");
  if (raw === null || raw.trim() === "") return undefined;
  return raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

const CLAUSE = /^\s*([A-Za-z_][\w]*)\s+eq\s+('(?:[^']|'')*'|true|false)\s*$/i;

/** `prop eq 'value'` or `prop eq true`, optionally several joined by `and`. */
export function parseEqFilter(raw: string | null): EqClause[] {
  if (raw === null || raw.trim() === "") return [];
  return raw.split(/\s+and\s+/i).map((part) => {
    const m = CLAUSE.exec(part);
    if (!m) throw new ODataError(`Invalid filter clause: '${raw}'.`);
    const literal = m[2] as string;
    const value = literal.startsWith("'")
      ? literal.slice(1, -1).replace(/''/g, "'")
      : literal.toLowerCase() === "true";
    return { property: m[1] as string, value };
  });
}

/** Keeps only the named properties (unknown names are ignored). */
export function selectProperties<T extends object>(
  item: T,
  select: string[] | undefined,
): Partial<T> {
  if (!select) return item;
  const out: Record<string, unknown> = {};
  for (const name of select) {
    if (Object.prototype.hasOwnProperty.call(item, name)) {
      out[name] = (item as Record<string, unknown>)[name];
    }
  }
  return out as Partial<T>;
}

function encodeSkipToken(cursor: number): string {
  return Buffer.from(JSON.stringify({ c: cursor })).toString("base64url");
}

export function decodeSkipToken(query: URLSearchParams): number {
  const raw = query.get("$skiptoken");
  if (raw === null) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as { c?: unknown };
    if (typeof parsed.c === "number" && Number.isInteger(parsed.c) && parsed.c >= 0)
      return parsed.c;
  } catch {
    // fall through
  }
  throw new ODataError("The skip token is not valid.");
}

/** The absolute next-page URL: the same query options, with a new $skiptoken. */
export function nextLink(url: URL, cursor: number): string {
  const parts: string[] = [];
  for (const [k, v] of url.searchParams) {
    if (k === "$skiptoken") continue;
    parts.push(`${k}=${encodeURIComponent(v)}`);
  }
  parts.push(`$skiptoken=${encodeSkipToken(cursor)}`);
  return `${url.origin}${url.pathname}?${parts.join("&")}`;
}
