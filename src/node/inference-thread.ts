// A SpladeBackend on a worker thread, so that inference overlaps with the JS work around it (reading, tokenizing,
// formatting, writing). onnxruntime-node's run() blocks the thread that calls it (see ort-node.ts), and the web
// engine's wasm runs on its calling thread too; in a worker either one leaves the main thread free.
//
// This module is both sides: imported, it spawns a worker that loads this same file; loaded in that worker (marked
// by workerData.role), it serves runs. Under tsx the worker registers tsx first (tsx's loader hooks do not carry into
// worker threads); in the esbuild bundle this file is the bundle itself, whose CLI entry runs on the main thread only.
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import type { SpladeBackend, TokenRows } from "../encoder/encoder.ts";
import { ModelError, type ModelErrorKind } from "../model/errors.ts";
import type { OnnxGraphNames } from "../model/manifest-format.ts";

export type Engine = "node" | "web";
export const ENGINES: readonly Engine[] = ["node", "web"];

export interface BackendThreadOptions {
  modelFile: string;
  /** The graph's inputs and output, as its manifest.json records them. */
  graph: OnnxGraphNames;
  engine: Engine;
  /** onnxruntime-node intra-op threads (the web engine always uses one). */
  threads?: number;
}

export interface ThreadBackend extends SpladeBackend {
  /**
   * Lets the run in progress finish, drops the queued ones, and ends the thread. Terminating a thread inside a native
   * onnxruntime run aborts the whole process ("terminate called after throwing an instance of 'Napi::Error'"), so
   * this is also how Ctrl-C stops.
   */
  close(): Promise<void>;
}

const ROLE = "splade-edge/inference-thread";

type Reply =
  | { type: "ready" | "stopped" }
  | { type: "failed"; error: string; kind?: ModelErrorKind }
  | { id: number; weights: Float32Array }
  | { id: number; error: string };
const STOP = "stop";

function spawn(options: BackendThreadOptions): Worker {
  const data = { role: ROLE, ...options };
  const self = import.meta.url;
  if (!self.endsWith(".ts")) return new Worker(new URL(self), { workerData: data });
  const tsx = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(self)}); })`;
  return new Worker(boot, { eval: true, workerData: data });
}

/** Starts the thread and loads the model in it; resolves once the backend is ready to run. */
export function startBackendThread(options: BackendThreadOptions): Promise<ThreadBackend> {
  const worker = spawn(options);
  const pending = new Map<number, { resolve(weights: Float32Array): void; reject(error: Error): void }>();
  let next = 0;
  let failure: Error | undefined;
  let closing: Promise<void> | undefined;
  let stopped: () => void = () => {};
  let exited = false;
  return new Promise((ready, failed) => {
    const fail = (error: Error) => {
      failure ??= error;
      failed(error);
      for (const p of pending.values()) p.reject(error);
      pending.clear();
    };
    const backend: ThreadBackend = {
      run(rows: TokenRows) {
        if (failure) return Promise.reject(failure);
        const id = next++;
        return new Promise<Float32Array>((resolve, reject) => {
          pending.set(id, { resolve, reject });
          // Copied (structured clone): a batch's ids are a few thousand numbers, next to milliseconds of inference.
          worker.postMessage({ id, rows });
        });
      },
      close() {
        closing ??= (async () => {
          if (!exited) {
            await new Promise<void>((resolve) => {
              stopped = resolve;
              worker.postMessage(STOP);
            });
          }
          await worker.terminate();
        })();
        return closing;
      },
    };
    worker.on("message", (reply: Reply) => {
      if ("type" in reply) {
        if (reply.type === "ready") ready(backend);
        else if (reply.type === "stopped") stopped();
        // A ModelError (a graph its manifest does not describe) stays one, so the CLI prints its one line.
        else if (reply.type === "failed") fail(reply.kind ? new ModelError(reply.kind, reply.error) : new Error(reply.error));
        return;
      }
      const p = pending.get(reply.id);
      pending.delete(reply.id);
      if ("error" in reply) p?.reject(new Error(reply.error));
      else p?.resolve(reply.weights);
    });
    worker.on("error", fail);
    worker.on("exit", (code) => {
      exited = true;
      stopped();
      if (!closing) fail(new Error(`the inference thread exited unexpectedly (code ${code})`));
    });
  });
}

async function serve(options: BackendThreadOptions): Promise<void> {
  const port = parentPort as NonNullable<typeof parentPort>;
  let backend: SpladeBackend;
  try {
    backend =
      options.engine === "web"
        ? await (await import("./ort-web.ts")).createWebBackend(options.modelFile, options.graph)
        : await (await import("./ort-node.ts")).createNodeBackend(options.modelFile, options.graph, { threads: options.threads });
  } catch (error) {
    if (error instanceof ModelError) port.postMessage({ type: "failed", error: error.message, kind: error.kind });
    else port.postMessage({ type: "failed", error: `${options.modelFile}: ${(error as Error).message}` });
    return;
  }
  port.postMessage({ type: "ready" });
  let queue: Promise<void> = Promise.resolve();
  let stopping = false;
  port.on("message", (message: typeof STOP | { id: number; rows: TokenRows }) => {
    if (message === STOP) {
      stopping = true;
      queue = queue.then(() => port.postMessage({ type: "stopped" }));
      return;
    }
    const { id, rows } = message;
    queue = queue.then(async () => {
      if (stopping) return;
      try {
        const out = await backend.run(rows);
        // A copy only when the result is a view into a larger buffer; otherwise its buffer moves without a copy.
        const weights = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out : out.slice();
        port.postMessage({ id, weights }, [weights.buffer as ArrayBuffer]);
      } catch (error) {
        port.postMessage({ id, error: (error as Error).message });
      }
    });
  });
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === ROLE) await serve(workerData as BackendThreadOptions);
