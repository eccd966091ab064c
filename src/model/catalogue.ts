/**
 * The model catalogue: one declarative entry per learned-sparse model splade-edge knows, in the manner of fastembed's
 * `SparseModelDescription` list (fastembed `fastembed/sparse/splade_pp.py`, `fastembed/common/model_description.py`).
 * Code reads an entry's fields — the Hub repos, what each half is, its activation, special-token rule, max length and
 * licence — and never branches on a model's name. Data only: no fs, no network, so the Worker and the CLIs can share it.
 *
 * Every rule is a `Fact`: its value, the source it was checked against (a URL, at a commit where one was read) and how
 * firmly (`evidence`, the labels of docs/model-sources.md: verified / inferred / third-party / not-verified). Nothing
 * here is stronger than that document says; a fact it could not verify is `not-verified`, with a note, and a value
 * nobody read is `null`.
 *
 * Names follow sentence-transformers 5.x (@85ec645): a document activation is `SpladePooling`'s `activation_function`,
 * "relu" = log(1 + relu(x)) and "log1p_relu" = log(1 + log(1 + relu(x))); an inference-free query half is what
 * `SparseStaticEmbedding` computes (a weight per present token).
 *
 * No small symmetric BERT SPLADE with a usable licence was found (docs/model-sources.md §6): rasyosef/splade-tiny,
 * -mini and -small declare no licence on the Hub (all rights reserved by default), prithivida/Splade_PP_en_v1 is
 * BERT-base, ibm-granite/granite-embedding-30m-sparse is RoBERTa. None is listed; the kernel's generality beyond 2 × 128
 * is to be proven on generated checkpoints.
 */
import { type KernelConfig, unsupportedBy, unsupportedOnWorker } from "../kernel/contract.ts";
import { ARCHITECTURES, GTE_ARCHITECTURE } from "./architectures.ts";
import { ModelError } from "./errors.ts";

/** How firmly a fact stands, as labelled in docs/model-sources.md ([V], [I], [3P], [NOT VERIFIED]). */
export type Evidence = "verified" | "inferred" | "third-party" | "not-verified";
export const EVIDENCE: readonly Evidence[] = ["verified", "inferred", "third-party", "not-verified"];

/** One rule or figure with the source it was checked against; `note` says why it is not simply verified. */
export interface Fact<T> {
  value: T;
  evidence: Evidence;
  /** A URL, pinned to a commit where one was read. */
  source: string;
  note?: string;
}

/** The masked-LM classes of the catalogue's transformers, as their config.json `architectures` names them. */
export type HubArchitecture = "BertForMaskedLM" | "DistilBertForMaskedLM" | "NewForMaskedLM";
/** sentence-transformers `SpladePooling.activation_function`: "relu" is log(1+relu(x)), "log1p_relu" log(1+log(1+relu(x))). */
export type SpladeActivation = "relu" | "log1p_relu";
export const SPLADE_ACTIVATIONS: readonly SpladeActivation[] = ["relu", "log1p_relu"];

export interface SpecialTokenRule {
  /** The tokenizer adds [CLS]/[SEP] (`add_special_tokens`). */
  addSpecialTokens: boolean;
  /** The vector's entries at the special token ids are set to 0. */
  dropSpecialIds: boolean;
}

export interface Shape {
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
}

/** A Hub repository and the revision to read it at; `pinned` is false when no commit hash was verified for it. */
export interface HubSource {
  repo: string;
  revision: string;
  pinned: boolean;
  /** Where the repo's files were listed. */
  source: string;
  note?: string;
}

/** A transformer half: a masked LM with SPLADE pooling. */
export interface TransformerHalf {
  hub: HubSource;
  architecture: Fact<HubArchitecture>;
  shape: Fact<Shape | null>;
  activation: Fact<SpladeActivation>;
  specialTokens: Fact<SpecialTokenRule>;
  maxLength: Fact<number | null>;
}

/** A query encoder the Worker runs on its kernel. */
export interface TransformerQuery extends TransformerHalf {
  kind: "transformer";
  /** config.json's vocab_size: with the shape and max length, what the kernel's memory in a Worker depends on. */
  vocabSize: Fact<number | null>;
}

/** Query weights without a model run: each distinct query token weighs its entry in a table (or 1 when `uniform`). */
export interface QueryWeights {
  weighting: "per-token" | "uniform";
  /** The repo's files that hold the table, most specific first; empty when `uniform`. */
  files: string[];
}

export interface InferenceFreeQuery {
  kind: "inference-free";
  hub: HubSource;
  weights: Fact<QueryWeights>;
  specialTokens: Fact<SpecialTokenRule>;
  maxLength: Fact<number | null>;
}

export type QueryHalf = TransformerQuery | InferenceFreeQuery;
export type QueryKind = QueryHalf["kind"];

export interface License {
  /** As the licence names itself, e.g. "CC BY-NC-SA 4.0". */
  name: string;
  /** The SPDX identifier. */
  spdx: string;
  url: string;
  /** Whether a business may use the weights in a product. */
  commercial: boolean;
  holder?: string;
  /** The licence's conditions in a few words, said before a download. */
  terms: string;
  evidence: Evidence;
  source: string;
  note?: string;
}

export type QualityMetric = "BEIR-13 nDCG@10" | "MS MARCO dev MRR@10" | "MS MARCO dev R@1000";

/** A published figure: percent for quality, millions for "parameters" (of the document encoder, the one transformer of inference-free models). */
export interface Published<M extends string> extends Fact<number> {
  metric: M;
}

/** A file size as published on the Hub page (its rounding kept). */
export interface PublishedSize {
  half: "query" | "document";
  file: string;
  size: string;
  source: string;
}

/**
 * An output of the real weights someone published: `query` scored against each of `documents` (dot product of the
 * query half's and the document half's vectors), and for some, single tokens' weights in the query vector and in the
 * first document's vector. `npm run verify` checks the served pair against it.
 */
export interface PublishedOutput {
  query: string;
  documents: string[];
  scores: number[];
  /** A token as the tokenizer spells it, and its weight in the query's and in the first document's vector. */
  tokens: Array<{ token: string; query: number; document: number }>;
  /** The absolute tolerance the publisher checks with. */
  tolerance: number;
}

export interface ModelDescription {
  /** What `--model` takes. */
  name: string;
  /** The short name a notice uses. */
  label: string;
  description: string;
  query: QueryHalf;
  document: TransformerHalf;
  license: License;
  /** The Hub asks for an accepted licence and a token before a download. */
  gated: Fact<boolean>;
  quality: Published<QualityMetric>[];
  parameters: Published<"parameters">[];
  sizes: PublishedSize[];
  /** An output of the real weights to check the converted pair against; null where none is published. */
  reference: Fact<PublishedOutput> | null;
}

const ST = "https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f";
const ST_STATIC = `${ST}/sentence_transformers/sparse_encoder/models/SparseStaticEmbedding.py`;
const ST_MLM = `${ST}/sentence_transformers/sparse_encoder/models/MLMTransformer.py`;
const ST_POOLING = `${ST}/sentence_transformers/sparse_encoder/models/SpladePooling.py`;
const ST_TABLE = `${ST}/docs/sparse_encoder/pretrained_models.md`;
const ST_OPENSEARCH_TEST = `${ST}/tests/sparse_encoder/test_opensearch_models.py`;
// tests/sparse_encoder/test_opensearch_models.py @85ec645 (docs/model-sources.md §2.2, §2.3): one query, one
// document, the similarity and the tokens' weights, atol 1e-3.
function openSearchReference(score: number, tokens: PublishedOutput["tokens"]): Fact<PublishedOutput> {
  return {
    value: { query: "What's the weather in ny now?", documents: ["Currently New York is rainy."], scores: [score], tokens, tolerance: 1e-3 },
    evidence: "verified",
    source: ST_OPENSEARCH_TEST,
  };
}
const NAVER_SPLADE = "https://github.com/naver/splade/blob/8dcd33a054d790e74aceda25b128c1b188c5d9c1";
const HF = "https://huggingface.co";
const OPENSEARCH = `${HF}/opensearch-project/opensearch-neural-sparse-encoding`;
const OPENSEARCH_BLOG = "https://opensearch.org/blog/advancing-search-with-opensearch-v3-neural-sparse-models-and-a-multilingual-retrieval-model";
const OPENSEARCH_V1_CARD =
  "https://github.com/YinanWusoymilk/hf-readme/blob/1ab39f24f8f9548593ac6304367f31ae3ff45178/training_and_application/readme_files/opensearch-project_opensearch-neural-sparse-encoding-doc-v1.md";

const UNGATED = "no access condition was recorded on the Hub pages read (docs/model-sources.md notes one only for naver/splade-v3-doc)";

const APACHE_2: Omit<License, "source"> = {
  name: "Apache-2.0",
  spdx: "Apache-2.0",
  url: "https://www.apache.org/licenses/LICENSE-2.0",
  commercial: true,
  terms: "commercial use allowed; keep the licence and notices",
  evidence: "verified",
};
const CC_BY_NC_SA_4: Omit<License, "source" | "evidence"> = {
  name: "CC BY-NC-SA 4.0",
  spdx: "CC-BY-NC-SA-4.0",
  url: "https://creativecommons.org/licenses/by-nc-sa/4.0/",
  commercial: false,
  holder: "NAVER",
  terms: "non-commercial, share-alike",
};

// The OpenSearch doc-* repos are sentence-transformers Routers: a SparseStaticEmbedding query route, the transformer at
// the repo root and SpladePooling for documents (docs/model-sources.md §2.0, §5). sentence-transformers tokenizes the
// query with add_special_tokens=False and keeps the doc vector's special ids; the model cards add them on the query
// and zero them in the document instead — the same scores, different stored document vectors. The rule here is
// sentence-transformers', the one with code at a commit.
const OPENSEARCH_QUERY_TOKENS: Fact<SpecialTokenRule> = {
  value: { addSpecialTokens: false, dropSpecialIds: false },
  evidence: "verified",
  source: ST_STATIC,
  note: `the model cards instead add [CLS]/[SEP] to the query and zero the special ids in the document vector (same scores): ${OPENSEARCH_V1_CARD}`,
};
const OPENSEARCH_DOC_TOKENS: Fact<SpecialTokenRule> = {
  value: { addSpecialTokens: true, dropSpecialIds: false },
  evidence: "verified",
  source: ST_MLM,
  note: `MLMTransformer adds the special tokens, SpladePooling (${ST_POOLING}) zeroes nothing; the model cards zero [CLS],[SEP],[PAD],[UNK],[MASK] (same scores): ${OPENSEARCH_V1_CARD}`,
};
const OPENSEARCH_QUERY_FILES = ["query_0_SparseStaticEmbedding/model.safetensors", "idf.json", "query_token_weights.txt"];

function inferenceFree(hub: HubSource, weights: Fact<QueryWeights>, maxLength: Fact<number | null>): InferenceFreeQuery {
  return { kind: "inference-free", hub, weights, specialTokens: OPENSEARCH_QUERY_TOKENS, maxLength };
}

/** What every OpenSearch doc-* repo shares: Apache-2.0, not gated, its BEIR-13 figure in two published places. */
function openSearchTerms(tree: string, beir: number, publisher: string): Pick<ModelDescription, "license" | "gated" | "quality"> {
  return {
    license: { ...APACHE_2, source: tree },
    gated: { value: false, evidence: "inferred", source: tree, note: UNGATED },
    quality: [
      { metric: "BEIR-13 nDCG@10", value: beir, evidence: "verified", source: ST_TABLE },
      { metric: "BEIR-13 nDCG@10", value: beir, evidence: "verified", source: publisher },
    ],
  };
}

/** Every model splade-edge knows. The first is the default. */
export const CATALOGUE: readonly ModelDescription[] = [
  (() => {
    const queryTree = `${HF}/naver/efficient-splade-VI-BT-large-query/tree/main`;
    const docTree = `${HF}/naver/efficient-splade-VI-BT-large-doc/tree/main`;
    // naver/splade's max over every unmasked position, [CLS] and [SEP] included, of log(1 + relu(logit)) (docs/facts.md).
    const spladeMax = `${NAVER_SPLADE}/splade/models/transformer_rep.py`;
    const trained256: Fact<number> = {
      value: 256,
      evidence: "verified",
      source: `${NAVER_SPLADE}/conf/train/config/efficient_splade.yaml`,
      note: "the training length, queries and documents (docs/facts.md)",
    };
    const keepSpecial: Fact<SpecialTokenRule> = { value: { addSpecialTokens: true, dropSpecialIds: false }, evidence: "verified", source: spladeMax };
    const mainOnly = "fetch reads `--revision` (default main); docs/model-sources.md gives no full hash of this repo's main";
    const card =
      "https://github.com/YinanWusoymilk/hf-readme/blob/1ab39f24f8f9548593ac6304367f31ae3ff45178/training_and_application/readme_files/naver_efficient-splade-VI-BT-large-query.md";
    return {
      name: "naver/efficient-splade-VI-BT-large",
      label: "efficient-SPLADE",
      description: "NAVER's efficient SPLADE: a BERT 2 × 128 query encoder (the Worker's kernel) and a DistilBERT document encoder",
      query: {
        kind: "transformer",
        hub: {
          repo: "naver/efficient-splade-VI-BT-large-query",
          revision: "main",
          pinned: false,
          source: queryTree,
          note: `${mainOnly}; c161697c46fb8a5d2751efa22d60cf3e1b586fa1 is the original upload (root files, pytorch_model.bin), main (966075e) adds sentence-transformers folders`,
        },
        architecture: {
          value: "BertForMaskedLM",
          evidence: "verified",
          source: `${HF}/naver/efficient-splade-VI-BT-large-query/tree/c161697c46fb8a5d2751efa22d60cf3e1b586fa1`,
        },
        shape: {
          value: { layers: 2, hidden: 128, heads: 2, intermediate: 512 },
          evidence: "verified",
          source: `${HF}/naver/efficient-splade-VI-BT-large-query/blob/c161697c46fb8a5d2751efa22d60cf3e1b586fa1/config.json`,
        },
        vocabSize: {
          value: 30522,
          evidence: "verified",
          source: `${HF}/naver/efficient-splade-VI-BT-large-query/blob/c161697c46fb8a5d2751efa22d60cf3e1b586fa1/config.json`,
        },
        activation: { value: "relu", evidence: "verified", source: spladeMax },
        specialTokens: keepSpecial,
        maxLength: trained256,
      },
      document: {
        hub: { repo: "naver/efficient-splade-VI-BT-large-doc", revision: "main", pinned: false, source: docTree, note: mainOnly },
        architecture: { value: "DistilBertForMaskedLM", evidence: "verified", source: docTree },
        shape: {
          value: { layers: 6, hidden: 768, heads: 12, intermediate: 3072 },
          evidence: "verified",
          source: docTree,
          note: "config.json as in docs/facts.md",
        },
        activation: { value: "relu", evidence: "verified", source: spladeMax },
        specialTokens: keepSpecial,
        maxLength: trained256,
      },
      license: { ...CC_BY_NC_SA_4, evidence: "verified", source: queryTree },
      gated: { value: false, evidence: "inferred", source: queryTree, note: UNGATED },
      quality: [
        { metric: "MS MARCO dev MRR@10", value: 38.0, evidence: "verified", source: card, note: "model card, read on a mirror" },
        { metric: "MS MARCO dev R@1000", value: 97.8, evidence: "verified", source: card, note: "model card, read on a mirror" },
      ],
      parameters: [],
      sizes: [
        {
          half: "query",
          file: "pytorch_model.bin",
          size: "17.7 MB",
          source: `${HF}/naver/efficient-splade-VI-BT-large-query/tree/c161697c46fb8a5d2751efa22d60cf3e1b586fa1`,
        },
        { half: "document", file: "pytorch_model.bin", size: "268 MB", source: docTree },
      ],
      reference: {
        value: {
          query: "Which planet is known as the Red Planet?",
          documents: [
            "Venus is often called Earth's twin because of its similar size and proximity.",
            "Mars, known for its reddish appearance, is often referred to as the Red Planet.",
            "Jupiter, the largest planet in our solar system, has a prominent red spot.",
            "Saturn, famous for its rings, is sometimes mistaken for the Red Planet.",
          ],
          scores: [4.89399, 13.49699, 11.25572, 12.38231],
          tokens: [],
          tolerance: 0.01,
        },
        evidence: "not-verified",
        source: `${ST}/tests/sparse_encoder/test_pretrained.py`,
        note: "docs/facts.md gives these figures (fp32, atol 0.01) from this file, but neither it nor any commit of sentence-transformers up to 85ec645 holds them (git log -S): kept, unconfirmed",
      },
    };
  })(),
  (() => {
    const repo = "opensearch-project/opensearch-neural-sparse-encoding-doc-v2-mini";
    const pin = "4af867a426867dfdd744097531046f4289a32fdd";
    const tree = `${OPENSEARCH}-doc-v2-mini/tree/main`;
    const duplicate = `${HF}/seerware/opensearch-neural-sparse-encoding-doc-v2-mini/blob/main`;
    const hub: HubSource = {
      repo,
      revision: pin,
      pinned: true,
      source: `${OPENSEARCH}-doc-v2-mini/blob/${pin}/document_1_SpladePooling/config.json`,
      note: "sentence_transformers_support #3; whether its query folder is query_0_IDF or query_0_SparseStaticEmbedding was not read",
    };
    const onDuplicate = "read on a verbatim duplicate (seerware/…), not on the repo itself";
    return {
      name: repo,
      label: "OpenSearch doc-v2-mini",
      description: "inference-free queries (IDF table); BERT 6 × 384 document encoder",
      query: inferenceFree(
        hub,
        {
          value: { weighting: "per-token", files: OPENSEARCH_QUERY_FILES },
          evidence: "inferred",
          source: tree,
          note: "listed for the v2/v3 repos at main; at the pinned commit the folder may still be query_0_IDF (renamed on refs/pr/3, 32ce949)",
        },
        { value: 512, evidence: "third-party", source: `${duplicate}/query_0_SparseStaticEmbedding/tokenizer_config.json`, note: onDuplicate },
      ),
      document: {
        hub,
        architecture: { value: "BertForMaskedLM", evidence: "third-party", source: `${duplicate}/config.json`, note: onDuplicate },
        shape: {
          value: { layers: 6, hidden: 384, heads: 12, intermediate: 1536 },
          evidence: "third-party",
          source: `${duplicate}/config.json`,
          note: onDuplicate,
        },
        activation: { value: "relu", evidence: "verified", source: hub.source },
        specialTokens: OPENSEARCH_DOC_TOKENS,
        maxLength: { value: 512, evidence: "third-party", source: `${duplicate}/tokenizer_config.json`, note: `${onDuplicate}; 512 positions too` },
      },
      ...openSearchTerms(tree, 49.7, OPENSEARCH_BLOG),
      parameters: [{ metric: "parameters", value: 23, evidence: "verified", source: OPENSEARCH_BLOG }],
      sizes: [{ half: "query", file: "idf.json", size: "889 kB", source: tree }],
      reference: null,
    };
  })(),
  (() => {
    const repo = "opensearch-project/opensearch-neural-sparse-encoding-doc-v2-distill";
    const tree = `${OPENSEARCH}-doc-v2-distill/tree/main`;
    const config = `${OPENSEARCH}-doc-v2-distill/blob/00aa33372931a7b724cb1c1534567b2c3929f81d/config.json`;
    const hub: HubSource = {
      repo,
      revision: "main",
      pinned: false,
      source: tree,
      note: "main was 8921a26 (sentence_transformers_support #5) when listed; docs/model-sources.md gives no full hash of it",
    };
    return {
      name: repo,
      label: "OpenSearch doc-v2-distill",
      description: "inference-free queries (IDF table); DistilBERT 6 × 768 document encoder",
      query: inferenceFree(
        hub,
        {
          value: { weighting: "per-token", files: OPENSEARCH_QUERY_FILES },
          evidence: "verified",
          source: `${OPENSEARCH}-doc-v2-distill/tree/main/query_0_SparseStaticEmbedding`,
        },
        { value: null, evidence: "not-verified", source: tree, note: "the query tokenizer's model_max_length was not read for this repo" },
      ),
      document: {
        hub,
        architecture: { value: "DistilBertForMaskedLM", evidence: "verified", source: config },
        shape: { value: { layers: 6, hidden: 768, heads: 12, intermediate: 3072 }, evidence: "verified", source: config },
        activation: { value: "relu", evidence: "verified", source: ST_OPENSEARCH_TEST, note: "document_1_SpladePooling/config.json is 106 B, the relu size" },
        specialTokens: OPENSEARCH_DOC_TOKENS,
        maxLength: { value: 512, evidence: "inferred", source: config, note: "max_position_embeddings 512; the tokenizer's model_max_length was not read" },
      },
      ...openSearchTerms(tree, 50.4, OPENSEARCH_BLOG),
      parameters: [{ metric: "parameters", value: 67, evidence: "verified", source: OPENSEARCH_BLOG }],
      sizes: [
        {
          half: "query",
          file: "query_0_SparseStaticEmbedding/model.safetensors",
          size: "122 kB",
          source: `${OPENSEARCH}-doc-v2-distill/tree/main/query_0_SparseStaticEmbedding`,
        },
        { half: "document", file: "model.safetensors", size: "268 MB", source: tree },
      ],
      reference: openSearchReference(17.5307, [
        { token: "ny", query: 5.7729, document: 1.4109 },
        { token: "weather", query: 4.5684, document: 1.4673 },
        { token: "now", query: 3.5895, document: 0.7473 },
      ]),
    };
  })(),
  (() => {
    const repo = "opensearch-project/opensearch-neural-sparse-encoding-doc-v3-distill";
    const pin = "017b7c47c2161add7be918f7dcc7b14d6a9a3609";
    const tree = `${OPENSEARCH}-doc-v3-distill/tree/main`;
    const hub: HubSource = {
      repo,
      revision: pin,
      pinned: true,
      source: `${OPENSEARCH}-doc-v3-distill/blob/${pin}/modules.json`,
      note: "the commit that renamed query_0_IDF to query_0_SparseStaticEmbedding; whether the later-listed main (babf71f) or the max-length commit 85a8941 come after it was not established",
    };
    const unread = "config.json (596 B, the size of doc-v2-distill's) was not read";
    return {
      name: repo,
      label: "OpenSearch doc-v3-distill",
      description: "inference-free queries (IDF table); DistilBERT document encoder with the log1p_relu activation",
      query: inferenceFree(
        hub,
        {
          value: { weighting: "per-token", files: OPENSEARCH_QUERY_FILES },
          evidence: "verified",
          source: `${OPENSEARCH}-doc-v3-distill/blob/${pin}/query_0_SparseStaticEmbedding/tokenizer.json`,
        },
        {
          value: null,
          evidence: "not-verified",
          source: tree,
          note: "changed by commit 85a8941 'Updated tokenizer config max length'; the new value was not read",
        },
      ),
      document: {
        hub,
        architecture: { value: "DistilBertForMaskedLM", evidence: "inferred", source: tree, note: `Hub tag distilbert; ${unread}` },
        shape: { value: null, evidence: "not-verified", source: tree, note: `${unread}; 6 × 768 if it equals doc-v2-distill's` },
        activation: { value: "log1p_relu", evidence: "verified", source: ST_OPENSEARCH_TEST },
        specialTokens: OPENSEARCH_DOC_TOKENS,
        maxLength: { value: null, evidence: "not-verified", source: tree, note: "the tokenizer's model_max_length after commit 85a8941 was not read" },
      },
      ...openSearchTerms(tree, 51.7, OPENSEARCH_BLOG),
      parameters: [{ metric: "parameters", value: 67, evidence: "verified", source: OPENSEARCH_BLOG }],
      sizes: [{ half: "document", file: "model.safetensors", size: "268 MB", source: tree }],
      reference: openSearchReference(11.1105, [
        { token: "ny", query: 5.7729, document: 0.8049 },
        { token: "weather", query: 4.5684, document: 0.971 },
        { token: "now", query: 3.5895, document: 0.472 },
        { token: "?", query: 3.3313, document: 0.0286 },
        { token: "what", query: 2.7699, document: 0.0787 },
        { token: "in", query: 0.4989, document: 0.0417 },
      ]),
    };
  })(),
  (() => {
    const repo = "opensearch-project/opensearch-neural-sparse-encoding-doc-v3-gte";
    const pin = "1646fef40807937e8e130c66d327a26421c408d5";
    const tree = `${OPENSEARCH}-doc-v3-gte/tree/main`;
    const hub: HubSource = { repo, revision: pin, pinned: true, source: `${OPENSEARCH}-doc-v3-gte/blob/${pin}/tokenizer.json`, note: "main when listed" };
    const card = `${OPENSEARCH}-doc-v3-gte/blob/a0316bc998e44bfb1763d2278c88b56139419901/README.md`;
    return {
      name: repo,
      label: "OpenSearch doc-v3-gte",
      description: "inference-free queries (IDF table); GTE (NewForMaskedLM, rotary positions) document encoder",
      query: inferenceFree(
        hub,
        { value: { weighting: "per-token", files: OPENSEARCH_QUERY_FILES }, evidence: "verified", source: tree },
        { value: null, evidence: "not-verified", source: tree, note: "changed by commit 7b838cb 'update max length'; the new value was not read" },
      ),
      document: {
        hub,
        architecture: {
          value: "NewForMaskedLM",
          evidence: "verified",
          source: tree,
          note: "Hub tags new + custom_code (auto_map → Alibaba-NLP/new-impl); config.json itself was not read",
        },
        shape: {
          value: null,
          evidence: "not-verified",
          source: tree,
          note: "config.json (1.41 kB) was not read; 12 × 768 (heads 12, intermediate 3072) fits the 550 MB file size",
        },
        activation: {
          value: "log1p_relu",
          evidence: "inferred",
          source: `${OPENSEARCH}-doc-v3-gte/tree/main/document_1_SpladePooling`,
          note: "document_1_SpladePooling/config.json is 112 B, the log1p_relu size; the card's log(1+log(1+relu)) only seen quoted by third parties",
        },
        specialTokens: OPENSEARCH_DOC_TOKENS,
        maxLength: { value: null, evidence: "not-verified", source: tree, note: "changed by commit 7b838cb 'update max length'; the new value was not read" },
      },
      ...openSearchTerms(tree, 54.6, card),
      parameters: [
        { metric: "parameters", value: 133, evidence: "verified", source: card },
        { metric: "parameters", value: 137, evidence: "verified", source: ST_TABLE },
      ],
      sizes: [{ half: "document", file: "model.safetensors", size: "550 MB", source: tree }],
      reference: null,
    };
  })(),
  (() => {
    const repo = "naver/splade-v3-doc";
    const page = `${HF}/naver/splade-v3-doc`;
    const gated = "the repo is gated: file list, config and revision were not read";
    const hub: HubSource = { repo, revision: "main", pinned: false, source: page, note: gated };
    return {
      name: repo,
      label: "SPLADE-v3-Doc",
      description: "NAVER's SPLADE-Doc: a query is its bag of tokens, all weighing 1; BERT document encoder",
      query: {
        kind: "inference-free",
        hub,
        weights: {
          value: { weighting: "uniform", files: [] },
          evidence: "verified",
          source: `${NAVER_SPLADE}/splade/hf/models.py`,
          note: "NAVER's SpladeDoc; whether the Hub repo ships a weight file or a sentence-transformers query folder was not read",
        },
        // generate_bow sets 1 at every input id, then clean_bow zeroes [CLS], [SEP] and [MASK].
        specialTokens: { value: { addSpecialTokens: true, dropSpecialIds: true }, evidence: "verified", source: `${NAVER_SPLADE}/splade/hf/models.py` },
        maxLength: { value: null, evidence: "not-verified", source: page, note: gated },
      },
      document: {
        hub,
        architecture: { value: "BertForMaskedLM", evidence: "inferred", source: page, note: `Hub tags bert + fill-mask; ${gated}` },
        shape: { value: null, evidence: "not-verified", source: page, note: gated },
        activation: {
          value: "relu",
          evidence: "verified",
          source: `${NAVER_SPLADE}/splade/utils/utils.py`,
          note: "NAVER's splade_max: log(1 + relu(logits)), max over masked positions",
        },
        specialTokens: {
          value: { addSpecialTokens: true, dropSpecialIds: false },
          evidence: "verified",
          source: `${NAVER_SPLADE}/splade/utils/utils.py`,
          note: "splade_max zeroes nothing; the query side drops the special ids",
        },
        maxLength: { value: null, evidence: "not-verified", source: page, note: gated },
      },
      license: {
        ...CC_BY_NC_SA_4,
        evidence: "verified",
        source: page,
        note: "the card's citation block and NAVER's code licence; the Hub licence tag was not read",
      },
      gated: { value: true, evidence: "verified", source: page },
      quality: [
        { metric: "MS MARCO dev MRR@10", value: 37.8, evidence: "verified", source: page },
        { metric: "BEIR-13 nDCG@10", value: 47.0, evidence: "verified", source: page },
      ],
      parameters: [{ metric: "parameters", value: 109, evidence: "verified", source: ST_TABLE }],
      sizes: [],
      reference: null,
    };
  })(),
];

/**
 * What the converter takes from an entry for one half, under ConvertOptions' names: the catalogue model it belongs
 * to, its licence, max length, and its SPLADE rules — an inference-free query's weighting (`queryWeights`), a
 * transformer's activation and whether its vector drops the special token ids (`activation`, `dropSpecialIds`).
 */
export interface HalfRules {
  model: string;
  license: string;
  /** Absent where the catalogue has not read it: the converter then takes the model's own. */
  maxLength?: number;
  queryWeights?: "uniform";
  activation?: SpladeActivation;
  dropSpecialIds?: boolean;
}

export function halfRules(entry: ModelDescription, role: "query" | "doc"): HalfRules {
  const half: QueryHalf | TransformerHalf = role === "query" ? entry.query : entry.document;
  const rules: HalfRules = { model: entry.name, license: entry.license.name };
  if (half.maxLength.value !== null) rules.maxLength = half.maxLength.value;
  if ("kind" in half && half.kind === "inference-free") {
    // A per-token table's layout is read from the folder; only "uniform" has no file to say it.
    if (half.weights.value.weighting === "uniform") rules.queryWeights = "uniform";
    return rules;
  }
  return { ...rules, activation: half.activation.value, dropSpecialIds: half.specialTokens.value.dropSpecialIds };
}

/**
 * The entry a converted half belongs to: the one its manifest names (`model`, written by fetch --model and convert
 * --model), else — for folders converted before the field existed — the one whose repo for that half it came from.
 */
export function catalogueModelOf(manifest: { model?: string; role: "query" | "doc"; source: { repo: string } }): ModelDescription | undefined {
  if (manifest.model !== undefined) return CATALOGUE.find((m) => m.name === manifest.model);
  return CATALOGUE.find((m) => (manifest.role === "query" ? m.query : m.document).hub.repo === manifest.source.repo);
}

/** The model `npm run model -- fetch` takes when none is named. */
export const DEFAULT_MODEL: ModelDescription = CATALOGUE[0];

/** The entry called `name`; a `not_found` ModelError listing the known names otherwise. */
export function catalogueEntry(name: string): ModelDescription {
  const entry = CATALOGUE.find((m) => m.name === name);
  if (entry) return entry;
  throw new ModelError(
    "not_found",
    `"${name}" is not in the model catalogue — known models: ${CATALOGUE.map((m) => m.name).join(", ")} (\`npm run model -- list\` describes them)`,
  );
}

/**
 * Why the Worker cannot serve the entry's query half, or undefined when it can. An inference-free table needs no kernel.
 * A transformer needs an architecture the kernel runs (BERT, DistilBERT), a shape its size checks take, and a load
 * that fits a Worker's isolate (src/kernel/contract.ts, docs/performance.md), counted with the decoder tied to the word
 * embeddings as BERT's and DistilBERT's masked-LM heads are (transformers' `tie_word_embeddings` default; efficient-SPLADE's
 * checkpoint) — the converter checks the checkpoint itself (encoder-bin.ts). The activation and epsilon change no size.
 */
export function unservedQuery(query: QueryHalf): string | undefined {
  if (query.kind === "inference-free") return undefined;
  const architecture = query.architecture.value;
  if (!(ARCHITECTURES as readonly string[]).includes(architecture)) return `the Worker's kernel runs ${ARCHITECTURES.join(" and ")}, not ${architecture}`;
  // convert.ts refuses any other rule for a query encoder: the kernel pools with log(1 + relu) and zeroes no id.
  if (query.activation.value !== "relu" || query.specialTokens.value.dropSpecialIds)
    return `the Worker's kernel pools with log(1 + relu) and drops no special id, not ${query.activation.value}${query.specialTokens.value.dropSpecialIds ? " with the special ids dropped" : ""}`;
  const [shape, vocab, positions] = [query.shape.value, query.vocabSize.value, query.maxLength.value];
  if (shape === null || vocab === null || positions === null) return "the query encoder's shape, vocabulary or max length was not read";
  const config: KernelConfig = {
    hidden_size: shape.hidden,
    num_heads: shape.heads,
    num_layers: shape.layers,
    intermediate_size: shape.intermediate,
    activation: "gelu",
    layer_norm_eps: 1e-12,
    vocab_size: vocab,
    positions,
    token_type: architecture === "BertForMaskedLM",
    tied: true,
  };
  return unsupportedBy(config) ?? unsupportedOnWorker(config);
}

/**
 * Whether splade-edge serves the entry: the Worker serves its query half (unservedQuery) and the converter reads its
 * document architecture (BERT, DistilBERT, GTE NewForMaskedLM).
 */
export function servable(entry: ModelDescription): boolean {
  const documents: readonly string[] = [...ARCHITECTURES, GTE_ARCHITECTURE];
  return unservedQuery(entry.query) === undefined && documents.includes(entry.document.architecture.value);
}
