// Query lines for engines that read integer impacts as repeated terms: Anserini (`-impact -pretokenized`, TSV
// topics) and PISA (`qid:terms`, `--weighted`). Each term appears round-half-even(w × factor) times, heaviest first.
import type { FormatContext, FormatItem, FormatOptions, OutputFormat } from "./types.ts";
import { formatWeights } from "./weights.ts";

const QUANTIZE = 100;

// A query that quantizes to nothing gets the one filler term naver/splade writes for empty queries and documents
// alike (token 998, weight 1) rather than an empty line: Anserini's TsvIntTopicReader trims the line and takes
// split("\t")[1], so a bare "qid<TAB>" throws and aborts the whole run. The filler matches only documents that were
// themselves empty, so the query still retrieves nothing meaningful — as an empty query would.
const EMPTY_QUERY_TERM = "[unused993]";

function repeatedTerms({ vector }: FormatItem, ctx: FormatContext, options: FormatOptions): string {
  const w = formatWeights(vector, options, QUANTIZE);
  if (w.indices.length === 0) return EMPTY_QUERY_TERM;
  return w.indices.map((id, k) => Array<string>(w.values[k]).fill(ctx.token(id)).join(" ")).join(" ");
}

// Whitespace would also split the TREC run lines (`qid Q0 docid rank score tag`) both engines write.
function lineIdProblem(id: string): string | undefined {
  if (id === "") return "id must not be empty on a query line";
  if (/\s/.test(id)) return `id ${JSON.stringify(id)} contains whitespace, which breaks query lines and TREC run files`;
  return undefined;
}

export const anserini: OutputFormat = {
  name: "anserini",
  description: "Anserini query line: qid<TAB>term term … (each term repeated round(w × quantize) times, default 100)",
  kind: "text",
  requires: [],
  defaultQuantize: QUANTIZE,
  render(item, ctx, options) {
    return `${item.id}\t${repeatedTerms(item, ctx, options)}`;
  },
  invalidId: lineIdProblem,
};

export const pisa: OutputFormat = {
  name: "pisa",
  description: "PISA query line for --weighted: qid:term term … (each term repeated round(w × quantize) times, default 100)",
  kind: "text",
  requires: [],
  defaultQuantize: QUANTIZE,
  render(item, ctx, options) {
    return `${item.id}:${repeatedTerms(item, ctx, options)}`;
  },
  invalidId(id) {
    if (id.includes(":")) return `id ${JSON.stringify(id)} contains ":", and PISA reads the query id up to the first ":"`;
    return lineIdProblem(id);
  },
};
