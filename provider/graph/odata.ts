// OData query options, built from checked parts only: a property name is an identifier, a
// value is quoted as an OData literal, so nothing a caller passes can change the query's shape.

const PROPERTY = /^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*$/;

export interface EqFilter {
  property: string;
  value: string | boolean;
}

function assertProperty(name: string, what: string): void {
  if (!PROPERTY.test(name))
    throw new TypeError(`${what} must be a property name; got ${JSON.stringify(name)}`);
}

/** `'it''s'` for strings, `true`/`false` for booleans. */
export function odataLiteral(value: string | boolean): string {
  return typeof value === "boolean" ? String(value) : `'${value.replace(/'/g, "''")}'`;
}

/** One `eq` at most: Graph's managedDevices `$filter` drops matches on `or` and ignores unknown properties. */
function eqFilter(filter: EqFilter): string {
  assertProperty(filter.property, "filter.property");
  return `${filter.property} eq ${odataLiteral(filter.value)}`;
}

export interface QueryOptions {
  filter?: EqFilter;
  select?: readonly string[];
  top?: number;
}

/** `?$filter=…&$select=…&$top=…`, or "" when there is nothing to ask. */
export function queryString(options: QueryOptions): string {
  const parts: string[] = [];
  if (options.filter) parts.push(`$filter=${encodeURIComponent(eqFilter(options.filter))}`);
  if (options.select && options.select.length > 0) {
    for (const p of options.select) assertProperty(p, "select");
    parts.push(`$select=${options.select.join(",")}`);
  }
  if (options.top !== undefined) {
    if (!Number.isInteger(options.top) || options.top < 1 || options.top > 1000) {
      throw new TypeError(`pageSize must be an integer from 1 to 1000; got ${options.top}`);
    }
    parts.push(`$top=${options.top}`);
  }
  return parts.length > 0 ? `?${parts.join("&")}` : "";
}
