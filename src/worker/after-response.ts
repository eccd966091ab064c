// Work that follows the answer (building the kernel's int8 decoder, storing an answer in the cache): kept alive with
// waitUntil where the runtime offers it; a failure is logged, never answered.
import type { Context } from "hono";

export function afterResponse(c: Context, work: Promise<unknown> | undefined, what: string): void {
  if (!work) return;
  const logged = work.catch((error: unknown) => console.error(`${what} failed:`, error));
  try {
    c.executionCtx.waitUntil(logged);
  } catch {
    // app.request() in tests has no ExecutionContext: the work still runs while the isolate does.
  }
}
