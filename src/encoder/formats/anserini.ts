// Anserini (and PISA, below): engines that read integer impacts. Documents are indexed with
// `-impact -pretokenized`; queries are lines whose terms repeat round-half-even(w × factor) times, heaviest first.
// Checked against Anserini's docs/experiments-msmarco-passage-splade-pp.md and its JsonVectorCollection /
// TsvIntTopicReader / TsvStringTopicReader sources (Anserini 0.38–1.x), PISA docs "Parsing" and "Querying"
// (pisa-engine v0.12).
import { TermWeights, toJson } from "./json.ts";
import { lineIdProblem } from "./rules.ts";
import type { EngineWeights, Format } from "./types.ts";

const QUANTIZE = 100;

function repeated(w: EngineWeights): string {
  return w.terms.map((term, k) => Array<string>(w.values[k]).fill(term).join(" ")).join(" ");
}

// JsonCollection reads {"id","contents"} (other keys become extra fields); PISA's `parse_collection -f jsonl
// --tokenizer whitespace` reads {"title","content"} (title = the document's unique name): one line holding both pairs
// is the one shape both accept. Repeating each term by its impact is how a bag-of-words indexer stores an impact as
// a term frequency.
const pretokenizedDocument = {
  description: 'terms repeated by integer impact: {"id","contents","title","content"} for Anserini JsonCollection and PISA jsonl',
  requires: [],
  accepts: [],
  invalidId: lineIdProblem,
  render(item: { id: string }, w: EngineWeights) {
    const text = repeated(w);
    return toJson({ id: item.id, contents: text, title: item.id, content: text });
  },
} as const;

export const anserini: Format = {
  name: "anserini",
  engine: "Anserini",
  reference: [
    "Anserini docs/experiments-msmarco-passage-splade-pp.md (JsonVectorCollection, -impact -pretokenized)",
    "Anserini TsvIntTopicReader (Integer.valueOf on the id) / TsvStringTopicReader",
  ],
  defaultQuantize: QUANTIZE,
  empty: "filler",
  query: {
    description:
      "Anserini topic line qid<TAB>term term … (each term round(w × quantize) times, default 100): -topicReader TsvInt for integer ids, TsvString otherwise",
    kind: "text",
    requires: [],
    accepts: [],
    invalidId: lineIdProblem,
    render: (item, w) => `${item.id}\t${repeated(w)}`,
  },
  document: {
    description: 'Anserini JsonVectorCollection {"id","contents","vector":{term: int}} for -impact -pretokenized (integers, default ×100)',
    requires: [],
    accepts: [],
    invalidId: lineIdProblem,
    render: (item, w) => toJson({ id: item.id, contents: item.text ?? "", vector: new TermWeights(w.terms, w.values) }),
  },
};

export const pisa: Format = {
  name: "pisa",
  engine: "PISA",
  reference: ["PISA docs (pisa-engine v0.12): parse_collection -f jsonl, queries with --weighted and --tokenizer whitespace"],
  defaultQuantize: QUANTIZE,
  empty: "filler",
  query: {
    description: "PISA query line qid:term term … (each term round(w × quantize) times, default 100) for --weighted; query with --tokenizer whitespace",
    kind: "text",
    requires: [],
    accepts: [],
    invalidId(id) {
      if (id.includes(":")) return 'the id contains ":", and PISA reads the query id up to the first ":"';
      return lineIdProblem(id);
    },
    render: (item, w) => `${item.id}:${repeated(w)}`,
  },
  document: pretokenizedDocument,
};

export const pretokenized: Format = {
  name: "pretokenized",
  engine: "Anserini JsonCollection and PISA (bag of words)",
  reference: pisa.reference,
  defaultQuantize: QUANTIZE,
  empty: "filler",
  document: pretokenizedDocument,
};
