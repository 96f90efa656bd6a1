// The Graph client: endpoints per cloud, errors, retry, paging and batching.
export { GraphClient } from "./client";
export { GraphError } from "./errors";
export { graphErrorFromBatchResponse } from "./batch";
export * from "./types";
