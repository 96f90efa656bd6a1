// Graph collections come in pages linked by `@odata.nextLink`. The link is followed verbatim
// (Graph's skip tokens are opaque), but only on the client's own origin: the bearer token
// must never be sent to a host a response body named.

export interface Page<T> {
  value?: T[];
  "@odata.nextLink"?: string;
}

/**
 * The path (with query) of `nextLink` relative to `baseUrl`, unchanged. Throws when the link
 * points anywhere but `baseUrl`.
 */
export function nextLinkPath(nextLink: string, baseUrl: string): string {
  const prefix = `${baseUrl}/`;
  if (nextLink.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) {
    throw new Error(
      `Graph returned an @odata.nextLink outside ${baseUrl}; refusing to follow it with the bearer token`,
    );
  }
  return nextLink.slice(baseUrl.length);
}

/** Yields every item of every page, fetching the next page only when the caller wants it. */
export async function* followPages<T>(
  firstPath: string,
  baseUrl: string,
  fetchPage: (path: string) => Promise<Page<T>>,
): AsyncGenerator<T> {
  const seen = new Set<string>();
  let path: string | undefined = firstPath;
  while (path !== undefined) {
    seen.add(path);
    const page: Page<T> = await fetchPage(path);
    yield* page.value ?? [];
    const next = page["@odata.nextLink"];
    path = next ? nextLinkPath(next, baseUrl) : undefined;
    if (path !== undefined && seen.has(path)) {
      throw new Error(`Graph returned the same @odata.nextLink twice; stopping to avoid a loop`);
    }
  }
}
