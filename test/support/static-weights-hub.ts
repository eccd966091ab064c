// Generated inference-free query weights in the exact layouts OpenSearch's doc-v* repositories carry on the Hub
// (docs/model-sources.md §2.0): root idf.json and query_token_weights.txt over the root tokenizer, and the
// sentence-transformers Router with its static query module in query_0_SparseStaticEmbedding/ (or the older
// query_0_IDF/) holding its own tokenizer and model.safetensors. Seeded: the same seed writes the same bytes. The
// root document transformer (config.json, model.safetensors) is written only when asked for (`docTransformer`): a BERT at
// the efficient-SPLADE query fixture's shape, random, marked as generated (FIXTURE_MARKER) as every fixture is.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { toHfConfig } from "../../src/model/architectures.ts";
import { encodeSafetensors } from "../../src/model/checkpoint/safetensors.ts";
import { FIXTURE_MARKER } from "../../src/model/convert.ts";
import { QUERY_CONFIG } from "../../src/model/fixture.ts";
import { randomWeights, seededUniform } from "../../src/model/random.ts";
import { bertSettings, buildBertTokenizerJson, parseVocab } from "../../src/model/tokenizer-json.ts";
import { bertUncasedVocabTxt } from "../../src/model/vocab.ts";

export interface StaticHubOptions {
  seed: number;
  /** The static module's folder name: "query_0_SparseStaticEmbedding" (sentence-transformers ≥ 5.0.0) or "query_0_IDF". */
  moduleFolder?: "query_0_SparseStaticEmbedding" | "query_0_IDF";
  /** The tokenizer's model_max_length (512 on doc-v2-mini's query folder, §2.0). */
  maxLength?: number;
  /** Also the root document transformer, as OpenSearch's repos hold it (config.json + model.safetensors). */
  docTransformer?: boolean;
}

/** What a generated repo holds: its vocabulary (id order) and the weight of each token idf.json lists. */
export interface StaticHub {
  dir: string;
  vocab: string[];
  idf: Record<string, number>;
  moduleFolder: string;
}

const SPECIAL_TOKENS_MAP = { unk_token: "[UNK]", sep_token: "[SEP]", pad_token: "[PAD]", cls_token: "[CLS]", mask_token: "[MASK]" };

const MODULE_TYPES = {
  query_0_SparseStaticEmbedding: "sentence_transformers.sparse_encoder.models.SparseStaticEmbedding.SparseStaticEmbedding",
  query_0_IDF: "sentence_transformers.sparse_encoder.models.IDF.IDF",
};

function writeJson(file: string, value: unknown): void {
  // sentence-transformers writes its configs with json.dump(indent=4) (Router.save, §2.0).
  writeFileSync(file, `${JSON.stringify(value, null, 4)}\n`);
}

function writeTokenizer(dir: string, vocabTxt: string, vocab: string[], maxLength: number): void {
  const config = { ...SPECIAL_TOKENS_MAP, do_lower_case: true, model_max_length: maxLength, tokenizer_class: "BertTokenizer" };
  writeFileSync(join(dir, "vocab.txt"), vocabTxt);
  writeJson(join(dir, "tokenizer_config.json"), config);
  writeJson(join(dir, "special_tokens_map.json"), SPECIAL_TOKENS_MAP);
  writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(buildBertTokenizerJson(vocab, bertSettings(config))));
}

/**
 * Writes a repo under `dir`. About 5 % of tokens have no weight (idf.json need not list every token); the others get a
 * weight in [0, 12) with five decimals, as OpenSearch's idf.json values read ("hello" 6.93775, §2.0).
 */
export function writeStaticHub(dir: string, options: StaticHubOptions): StaticHub {
  const moduleFolder = options.moduleFolder ?? "query_0_SparseStaticEmbedding";
  const maxLength = options.maxLength ?? 512;
  const vocabTxt = bertUncasedVocabTxt();
  const vocab = parseVocab(vocabTxt, "vocab.txt");
  const u = seededUniform(options.seed);
  const idf: Record<string, number> = {};
  const weights = new Float32Array(vocab.length);
  vocab.forEach((token, id) => {
    if (u() < 0.05) return;
    const w = Math.round(u() * 12e5) / 1e5;
    idf[token] = w;
    // sentence-transformers' from_json stores the JSON's float64 values in a float32 tensor.
    weights[id] = w;
  });

  mkdirSync(join(dir, moduleFolder), { recursive: true });
  mkdirSync(join(dir, "document_1_SpladePooling"), { recursive: true });
  writeTokenizer(dir, vocabTxt, vocab, maxLength);
  writeFileSync(join(dir, "idf.json"), JSON.stringify(idf));
  writeFileSync(
    join(dir, "query_token_weights.txt"),
    Object.entries(idf)
      .map(([t, w]) => `${t}\t${w}\n`)
      .join(""),
  );
  writeJson(join(dir, "modules.json"), [{ idx: 0, name: "0", path: "", type: "sentence_transformers.models.Router" }]);
  writeJson(join(dir, "router_config.json"), {
    types: {
      [moduleFolder]: MODULE_TYPES[moduleFolder],
      "": "sentence_transformers.sparse_encoder.models.MLMTransformer.MLMTransformer",
      document_1_SpladePooling: "sentence_transformers.sparse_encoder.models.SpladePooling.SpladePooling",
    },
    structure: { query: [moduleFolder], document: ["", "document_1_SpladePooling"] },
    parameters: { default_route: "document", allow_empty_key: true },
  });
  writeJson(join(dir, "document_1_SpladePooling", "config.json"), { pooling_strategy: "max", activation_function: "relu", word_embedding_dimension: null });
  const module = join(dir, moduleFolder);
  // Marked as generated (FIXTURE_MARKER) as every fixture is: the module is all fetch downloads of an inference-free query.
  writeJson(join(module, "config.json"), { frozen: true, [FIXTURE_MARKER]: { seed: options.seed } });
  writeTokenizer(module, vocabTxt, vocab, maxLength);
  writeFileSync(join(module, "model.safetensors"), encodeSafetensors(new Map([["weight", { shape: [vocab.length], data: weights }]])));
  if (options.docTransformer) {
    writeFileSync(join(dir, "model.safetensors"), encodeSafetensors(randomWeights(QUERY_CONFIG, { seed: options.seed, std: 0.05 })));
    writeJson(join(dir, "config.json"), { ...toHfConfig(QUERY_CONFIG), [FIXTURE_MARKER]: { seed: options.seed } });
  }
  return { dir, vocab, idf, moduleFolder };
}
