// The query model inside the isolate: manifest, tokenizer and ORT session, read from the ASSETS binding (the
// `model/query` folder, private to this Worker) once per isolate. A failed load is forgotten so the next request
// tries again: `npm run model -- fetch` can fill the folder while `wrangler dev` keeps running.
import { SpladeEncoder, type ModelBatch, type SpladeBackend } from "../encoder/encoder.ts";
import { SpladeTokenizer } from "../encoder/tokenizer.ts";
import { MANIFEST_FORMAT, type ModelManifest } from "../model/manifest-format.ts";
import { ApiError } from "./errors";
import { Tensor, getSession, run, type InferenceSession } from "./ort";

const MISSING_HINT = "run `npm run model -- fetch` (or `npm run demo` for a generated test model), then restart";

// The host is ignored by the assets binding; only the path selects the file.
async function fetchAsset(assets: Fetcher, file: string): Promise<Response> {
  const response = await assets.fetch(`https://assets.local/${file}`);
  if (!response.ok) throw new ApiError("model_unavailable", `model/query/${file} is missing — ${MISSING_HINT}`);
  return response;
}

/** Memoizes an async load per isolate, dropping a rejected attempt so that the next call retries. */
function memoize<T>(load: (assets: Fetcher) => Promise<T>): { get(assets: Fetcher): Promise<T>; value(): T | undefined } {
  let promise: Promise<T> | undefined;
  let value: T | undefined;
  return {
    get(assets) {
      promise ??= load(assets).then(
        (v) => (value = v),
        (error: unknown) => {
          promise = undefined;
          throw error;
        },
      );
      return promise;
    },
    value: () => value,
  };
}

const manifest = memoize(async (assets) => {
  const m = await (await fetchAsset(assets, "manifest.json")).json<ModelManifest>();
  if (m.format !== MANIFEST_FORMAT) {
    throw new ApiError("model_unavailable", `model/query/manifest.json is ${JSON.stringify(m.format)}, not ${MANIFEST_FORMAT} — convert the model again`);
  }
  return m;
});

/** The manifest of the served model: cheap (one small asset), loaded once per isolate. */
export const loadManifest = manifest.get;

/** The manifest if some request of this isolate has loaded it already. */
export const loadedManifest = manifest.value;

/**
 * The SPLADE graph on onnxruntime-web. A batch is cut into runs of at most `maxTokens` tokens (rows × padded length),
 * each trimmed to its own longest row: the logits a run holds ([rows, length, vocab] floats) then never outgrow those
 * of one query at full length, so a batch needs no more wasm memory than its longest query (Workers isolates have
 * 128 MB) and a short query is not padded to the length of a long one.
 */
function ortBackend(session: InferenceSession, manifest: ModelManifest): SpladeBackend {
  const { max_length: maxTokens, vocab_size: vocabSize } = manifest;
  const [inputIdsName, attentionMaskName] = manifest.onnx.inputs;
  const rowLength = (batch: ModelBatch, b: number) => {
    let n = 0;
    while (n < batch.length && batch.attentionMask[b * batch.length + n] === 1n) n++;
    return n;
  };
  return {
    async run(batch) {
      const out = new Float32Array(batch.batch * vocabSize);
      for (let start = 0; start < batch.batch; ) {
        let end = start + 1;
        let length = rowLength(batch, start);
        while (end < batch.batch && Math.max(length, rowLength(batch, end)) * (end + 1 - start) <= maxTokens) {
          length = Math.max(length, rowLength(batch, end));
          end++;
        }
        const rows = end - start;
        const inputIds = new BigInt64Array(rows * length);
        const attentionMask = new BigInt64Array(rows * length);
        for (let r = 0; r < rows; r++) {
          const from = (start + r) * batch.length;
          inputIds.set(batch.inputIds.subarray(from, from + length), r * length);
          attentionMask.set(batch.attentionMask.subarray(from, from + length), r * length);
        }
        const dims = [rows, length];
        const result = await run(session, {
          [inputIdsName]: new Tensor("int64", inputIds, dims),
          [attentionMaskName]: new Tensor("int64", attentionMask, dims),
        });
        out.set(result[manifest.onnx.output].data as Float32Array, start * vocabSize);
        start = end;
      }
      return out;
    },
  };
}

async function createEncoder(assets: Fetcher): Promise<SpladeEncoder> {
  const m = await loadManifest(assets);
  const [tokenizerJson, tokenizerConfig, session] = await Promise.all([
    fetchAsset(assets, "tokenizer.json").then((r) => r.json<object>()),
    fetchAsset(assets, "tokenizer_config.json").then((r) => r.json<object>()),
    getSession(async () => new Uint8Array(await (await fetchAsset(assets, "model.onnx")).arrayBuffer())),
  ]);
  const tokenizer = new SpladeTokenizer(tokenizerJson, tokenizerConfig, m.max_length);
  return new SpladeEncoder(tokenizer, ortBackend(session, m), m.vocab_size);
}

/** The isolate's encoder (tokenizer + ORT session), created on first use. */
export const loadEncoder = memoize(createEncoder).get;
