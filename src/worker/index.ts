import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { Tensor, getSession, isSessionLoaded, run } from "./ort";

/** Bindings declared in `wrangler.toml`. */
export interface Env {
  /** The `model/` folder, served only to this Worker (`run_worker_first = true`). */
  ASSETS: Fetcher;
}

// The host is ignored by the assets binding; only the path selects the file.
const QUERY_MODEL_URL = "https://assets.local/query/model.onnx";

async function fetchQueryModel(assets: Fetcher): Promise<Uint8Array> {
  const response = await assets.fetch(QUERY_MODEL_URL);
  if (!response.ok) {
    throw new HTTPException(503, {
      message: "model/query/model.onnx not found — run `npm run model -- fetch`, then redeploy",
    });
  }
  return new Uint8Array(await response.arrayBuffer());
}

const app = new Hono<{ Bindings: Env }>();

app.get("/health", (c) => c.json({ status: "ok", model_loaded: isSessionLoaded() }));

app.post("/encode-raw", async (c) => {
  const body = await c.req.json<{ input_ids?: unknown }>().catch(() => undefined);
  const ids = body?.input_ids;
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every(Number.isSafeInteger)) {
    throw new HTTPException(400, { message: "body must be {\"input_ids\": [integer, ...]} with at least one id" });
  }
  const session = await getSession(() => fetchQueryModel(c.env.ASSETS));
  const outputs = await run(session, {
    input_ids: new Tensor("int64", BigInt64Array.from(ids as number[], BigInt), [1, ids.length]),
  });
  const name = session.outputNames[0];
  const output = outputs[name];
  return c.json({ name, dims: output.dims, data: Array.from(output.data as Float32Array) });
});

export default app;
