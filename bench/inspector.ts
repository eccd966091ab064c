// A Chrome DevTools protocol session on a Worker's isolate, for the benchmarks that read its memory or quiet its
// Network domain: through wrangler dev's inspector proxy (ws://127.0.0.1:PORT/ws) or workerd's own inspector
// (Miniflare's inspectorPort, ws://…/core:user:NAME). Node 20's WebSocket client (undici's) is behind
// --experimental-websocket: `npm run bench` passes it (package.json), and bench/worker-memory.ts is run with it.

export interface InspectorSession {
  call(method: string): Promise<Record<string, unknown>>;
  close(): void;
}

export interface HeapUsage {
  usedSize: number;
  totalSize: number;
  /** ArrayBuffers' and external strings' memory, outside the heap. */
  backingStorageSize: number;
}

/** A session on the inspector at `url`, once its socket is open. */
export async function inspectorSession(url: string): Promise<InspectorSession> {
  if (typeof WebSocket === "undefined") throw new Error("no WebSocket client: run Node 20 with --experimental-websocket");
  // wrangler's proxy refuses a connection without an allowed Origin (InspectorProxyWorker.ts, wrangler 4.86.0).
  const socket = new WebSocket(url, { headers: { Origin: "http://127.0.0.1" } } as never);
  const pending = new Map<number, (result: Record<string, unknown>) => void>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: Record<string, unknown> };
    if (message.id !== undefined) pending.get(message.id)?.(message.result ?? {});
  });
  await new Promise((done, fail) => {
    socket.addEventListener("open", done, { once: true });
    socket.addEventListener("error", () => fail(new Error(`no inspector at ${url}`)), { once: true });
  });
  let id = 0;
  return {
    call: (method) =>
      new Promise((done) => {
        pending.set(++id, done);
        socket.send(JSON.stringify({ id, method }));
      }),
    close: () => socket.close(),
  };
}

/**
 * The isolate's V8 heap and ArrayBuffers after a full GC. V8's inspector runs the GC as a task of the isolate, which
 * workerd runs only when the isolate next runs (measured: no answer until a request came): /health requests to the
 * Worker at `base` let it run, until the GC has answered.
 */
export async function heapAfterGc(session: InspectorSession, base: string): Promise<HeapUsage> {
  let collected = false;
  const gc = session.call("HeapProfiler.collectGarbage").then(() => (collected = true));
  while (!collected) {
    await (await fetch(`${base}/health`, { headers: { connection: "close" } })).arrayBuffer();
    await Promise.race([gc, new Promise((resolve) => setTimeout(resolve, 100))]);
  }
  return (await session.call("Runtime.getHeapUsage")) as unknown as HeapUsage;
}
