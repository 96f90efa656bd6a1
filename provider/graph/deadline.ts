// A deadline shared by every Graph request of one operation (a preview-time read, a wait for
// outcomes): a request started under it retries only while the deadline allows, whatever is
// left of its own retry budget. Carried by AsyncLocalStorage so callers need not thread it
// through every port.
import { AsyncLocalStorage } from "node:async_hooks";

const deadlines = new AsyncLocalStorage<number>();

/** Runs `fn` with its Graph requests bounded by `deadline` (epoch ms; nested ones: the earlier). */
export function withDeadline<T>(deadline: number, fn: () => Promise<T>): Promise<T> {
  const outer = deadlines.getStore();
  return deadlines.run(outer === undefined ? deadline : Math.min(outer, deadline), fn);
}

/** The deadline of the operation this code runs in, if any. */
export function currentDeadline(): number | undefined {
  return deadlines.getStore();
}
