// The query model inside the isolate: manifest, tokenizer, the trunk's ORT session and the head kernel, read from the
// ASSETS binding (the `model/query` folder, private to this Worker) once per isolate. A failed load is forgotten so the next request
// tries again: `npm run model -- fetch` can fill the folder while `wrangler dev` keeps running.
import { SpladeEncoder, type ModelBatch, type SparseSpladeBackend } from "../encoder/encoder.ts";
import { SpladeTokenizer } from "../encoder/tokenizer.ts";
import kernelModule from "../kernel/splade-head.wasm";
import { SpladeHead, type HeadOutput } from "../kernel/splade-head.ts";
import { MANIFEST_FORMAT, type ModelManifest } from "../model/manifest-format.ts";
import { ApiError } from "./errors";
import { memoize } from "./memoize";
import { Tensor, getSession, run, type InferenceSession } from "./ort";

const MISSING_HINT = "run `npm run model -- fetch` (or `npm run demo` for a generated test model), then restart";
const CONVERT_AGAIN = "convert the model again (`npm run model -- fetch`, or `npm run model -- convert`), then restart";

type EdgeFiles = NonNullable<ModelManifest["edge"]>;
/** A manifest that lists what the Worker runs. */
type EdgeManifest = ModelManifest & { edge: EdgeFiles };

// The host is ignored by the assets binding; only the path selects the file.
async function fetchAsset(assets: Fetcher, file: string): Promise<Response> {
  const response = await assets.fetch(`https://assets.local/${file}`);
  if (!response.ok) throw new ApiError("model_unavailable", `model/query/${file} is missing — ${MISSING_HINT}`);
  return response;
}

const manifest = memoize(async (assets: Fetcher): Promise<EdgeManifest> => {
  const m = await (await fetchAsset(assets, "manifest.json")).json<ModelManifest>();
  if (m.format !== MANIFEST_FORMAT) {
    throw new ApiError("model_unavailable", `model/query/manifest.json is ${JSON.stringify(m.format)}, not ${MANIFEST_FORMAT} — ${CONVERT_AGAIN}`);
  }
  // Refused here rather than when the encoder loads, so that the stale manifest is not kept for the isolate's life.
  if (!m.edge) {
    throw new ApiError("model_unavailable", `model/query/manifest.json lists no trunk.onnx and head.bin: it predates them — ${CONVERT_AGAIN}`);
  }
  return { ...m, edge: m.edge };
});

/** The manifest of the served model: cheap (one small asset), loaded once per isolate. */
export const loadManifest = manifest.get;

/** The manifest if some request of this isolate has loaded it already. */
export const loadedManifest = manifest.value;

/** Tokens in row `b` of a right-padded batch. */
function rowLength(batch: ModelBatch, b: number): number {
  let n = 0;
  while (n < batch.length && batch.attentionMask[b * batch.length + n] === 1n) n++;
  return n;
}

/**
 * The trunk on onnxruntime-web, the SPLADE head on the splade-head kernel (exact: the same terms and float32 weights
 * as the whole graph's head). The kernel's decoder rows are the word embeddings, so they are looked up here and fed as
 * `inputs_embeds`. A batch is cut into runs of at most `maxTokens` tokens (rows × padded length), each trimmed to its
 * own longest row, so a short query is not padded to the length of a long one and a batch never needs more wasm
 * memory than its longest query (Workers isolates have 128 MB).
 */
function edgeBackend(session: InferenceSession, head: SpladeHead, manifest: EdgeManifest): SparseSpladeBackend {
  const { max_length: maxTokens, edge } = manifest;
  const [embedsName, attentionMaskName] = edge.inputs;
  const n = head.hiddenSize;
  return {
    async runSparse(batch) {
      const out: HeadOutput[] = [];
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
        const result = await run(session, {
          [embedsName]: new Tensor("float32", head.rows(inputIds), [rows, length, n]),
          [attentionMaskName]: new Tensor("int64", attentionMask, [rows, length]),
        });
        // Serialized with the trunk runs (the kernel's one memory holds each call's tokens and terms), and synchronous.
        out.push(...head.spladeBatch(result[edge.output].data as Float32Array, rows, length, attentionMask, { mode: "auto" }));
        start = end;
      }
      return out;
    },
  };
}

/** head.bin: the decoder [vocab, hidden] then its bias [vocab], float32 little-endian (src/model/convert.ts). */
function loadHead(bytes: ArrayBuffer, manifest: EdgeManifest): SpladeHead {
  const { vocab_size: v, edge } = manifest;
  const n = edge.hidden_size;
  if (bytes.byteLength !== (v * n + v) * 4) {
    throw new ApiError("model_unavailable", `model/query/${edge.head} holds ${bytes.byteLength} bytes, not vocab ${v} × (hidden ${n} + 1) floats — ${CONVERT_AGAIN}`);
  }
  return SpladeHead.create(kernelModule, { decoder: new Float32Array(bytes, 0, v * n), bias: new Float32Array(bytes, v * n * 4, v), hiddenSize: n }, { maxTokens: manifest.max_length });
}

async function createEncoder(assets: Fetcher): Promise<SpladeEncoder> {
  const m = await loadManifest(assets);
  const { edge } = m;
  const [tokenizerJson, tokenizerConfig, session, head] = await Promise.all([
    fetchAsset(assets, "tokenizer.json").then((r) => r.json<object>()),
    fetchAsset(assets, "tokenizer_config.json").then((r) => r.json<object>()),
    getSession(async () => new Uint8Array(await (await fetchAsset(assets, edge.trunk)).arrayBuffer())),
    fetchAsset(assets, edge.head).then(async (r) => loadHead(await r.arrayBuffer(), m)),
  ]);
  const tokenizer = new SpladeTokenizer(tokenizerJson, tokenizerConfig, m.max_length);
  return new SpladeEncoder(tokenizer, edgeBackend(session, head, m), m.vocab_size);
}

const encoder = memoize(createEncoder);

/** The isolate's encoder (tokenizer, trunk session, head kernel), created on first use. */
export const loadEncoder = encoder.get;

/** Whether some request of this isolate has finished loading the encoder. */
export const isEncoderLoaded = (): boolean => encoder.value() !== undefined;
