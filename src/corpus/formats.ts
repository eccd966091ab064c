// Document files search engines ingest, one line per document. The numbers (quantization, float32 printing) and
// the ordered JSON come from the query formats (src/encoder/formats/), so a document and a query written for the
// same engine always agree on term names and rounding.
import { elasticsearchTerm, type FormatOptions } from "../encoder/formats/index.ts";
import { TermWeights, toJson } from "../encoder/formats/json.ts";
import { formatWeights } from "../encoder/formats/weights.ts";
import type { SparseVector } from "../encoder/sparse.ts";
import type { CorpusDocument } from "./records.ts";

export type DocumentFormatName = "anserini" | "jsonl" | "ids" | "pretokenized";

export interface DocumentFormat {
  name: DocumentFormatName;
  description: string;
  /** Quantization factor when --quantize is not given (integer-only formats). */
  defaultQuantize?: number;
  /** One document as one line (no newline), and how many terms it holds. */
  render(doc: CorpusDocument, vector: SparseVector, token: (id: number) => string, options: FormatOptions): { line: string; terms: number };
}

const QUANTIZE = 100;

// naver/splade (splade/tasks/transformer_evaluator.py) gives a document whose vector quantizes to nothing the one
// term "[unused993]" (id 998) with weight 1, so that Anserini never meets an empty vector.
export const EMPTY_DOCUMENT_TERM = "[unused993]";

/** A format of integer impacts (default ×100), with naver/splade's filler for a document that quantizes to nothing. */
function impactFormat(name: DocumentFormatName, description: string, shape: (doc: CorpusDocument, impacts: TermWeights) => object): DocumentFormat {
  return {
    name,
    description,
    defaultQuantize: QUANTIZE,
    render(doc, vector, token, options) {
      const w = formatWeights(vector, options, QUANTIZE);
      const impacts = w.indices.length === 0 ? new TermWeights([EMPTY_DOCUMENT_TERM], [1]) : new TermWeights(w.indices.map(token), w.values);
      return { line: toJson(shape(doc, impacts)), terms: impacts.terms.length };
    },
  };
}

const anserini = impactFormat(
  "anserini",
  'Anserini JsonVectorCollection: {"id","contents","vector":{term: int}} (-impact -pretokenized)',
  (doc, impacts) => ({ id: doc.id, contents: doc.text, vector: impacts }),
);

// Repeating each term by its integer impact is how a bag-of-words indexer stores an impact as a term frequency.
// Anserini's JsonCollection reads {"id","contents"} (other keys become extra fields) and PISA's `parse_collection
// -f jsonl --tokenizer whitespace` reads {"title","content"} (title = the document's unique name): one line with
// both pairs is the one shape both accept.
const pretokenized = impactFormat(
  "pretokenized",
  'terms repeated by integer impact: {"id","contents","title","content"} for Anserini JsonCollection and PISA jsonl',
  (doc, impacts) => {
    const text = impacts.terms.map((t, k) => Array<string>(impacts.values[k]).fill(t).join(" ")).join(" ");
    return { id: doc.id, contents: text, title: doc.id, content: text };
  },
);

// Elasticsearch and OpenSearch store {term: weight} maps as rank_features / sparse_vector fields, which reject
// dots in feature names; the same rewrite as the elasticsearch query format keeps documents and queries aligned.
const jsonl: DocumentFormat = {
  name: "jsonl",
  description: '{"id","vector":{term: weight}}, float32 weights, "." in terms written "__" as Elasticsearch requires',
  render(doc, vector, token, options) {
    const w = formatWeights(vector, options);
    const names = w.indices.map((id) => elasticsearchTerm(token(id)));
    return { line: toJson({ id: doc.id, vector: new TermWeights(names, w.values) }), terms: names.length };
  },
};

const ids: DocumentFormat = {
  name: "ids",
  description: '{"id","indices","values"}: token ids and float32 weights, for Qdrant and Pinecone bulk loads',
  render(doc, vector, _token, options) {
    const w = formatWeights(vector, options);
    return { line: toJson({ id: doc.id, indices: w.indices, values: w.values }), terms: w.indices.length };
  },
};

export const DOCUMENT_FORMATS: Readonly<Record<DocumentFormatName, DocumentFormat>> = Object.freeze({ anserini, jsonl, ids, pretokenized });
export const DOCUMENT_FORMAT_NAMES = Object.keys(DOCUMENT_FORMATS) as DocumentFormatName[];

export function isDocumentFormatName(s: string): s is DocumentFormatName {
  return Object.hasOwn(DOCUMENT_FORMATS, s);
}
