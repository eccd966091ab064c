// The rules every format shares, in one place: the weights a side writes (quantization, the engine's term names,
// its non-zero limit, what an empty vector becomes), and the id and option checks that callers run before the
// model is touched.
import { KindedError } from "../../kinded-error.ts";
import type { EngineWeights, Format, FormatContext, FormatItem, FormatOptions, OptionName, DocumentSide, QuerySide } from "./types.ts";
import { formatWeights } from "./weights.ts";

/** What an engine would refuse of a vector or of the request that asked for it. */
export type FormatErrorKind =
  /** An option the side does not read or a value out of range, or an id the engine cannot take. */
  | "request"
  /** No terms left after top_k, min_weight and quantize, for an engine that refuses an empty sparse vector. */
  | "empty"
  /** More non-zero terms than the engine takes in one sparse vector. */
  | "too_many_terms"
  /** A query weight above the engine's cap. */
  | "weight_cap";

/** Named for the caller: the Worker answers every kind with a 422, encode-corpus names the input line (exit 65, or skips). */
export class FormatError extends KindedError<FormatErrorKind> {}

export type Role = "query" | "document";

const PLURAL: Record<Role, string> = { query: "queries", document: "documents" };

// naver/splade (splade/tasks/transformer_evaluator.py) gives a vector that quantizes to nothing the one term
// "[unused993]" (token 998) with weight 1, so Anserini never meets an empty vector: its TSV topic reader throws on a
// bare "qid<TAB>", and an empty JsonVectorCollection document has nothing to index. The filler matches only other
// empty vectors, so an empty query still retrieves nothing meaningful.
export const EMPTY_FILLER = { id: 998, term: "[unused993]", weight: 1 } as const;

function label(role: Role, id: string): string {
  return `${role} ${JSON.stringify(id)}`;
}

/** The weights `format` writes for this item, or a FormatError the engine would have answered with. */
export function engineWeights(format: Format, role: Role, item: FormatItem, ctx: FormatContext, options: FormatOptions): EngineWeights {
  const w = formatWeights(item.vector, options, format.defaultQuantize);
  if (w.indices.length === 0) {
    if (format.empty === "filler") return { indices: [EMPTY_FILLER.id], values: [EMPTY_FILLER.weight], terms: [EMPTY_FILLER.term] };
    if (format.empty === "refuse") {
      throw new FormatError(
        "empty",
        `${label(role, item.id)} has no terms left (after top_k, min_weight and quantize), and ${format.engine} refuses an empty sparse vector`,
      );
    }
  }
  const max = format.maxTerms;
  if (max && w.indices.length > max.limit) {
    throw new FormatError(
      "too_many_terms",
      `${label(role, item.id)} has ${w.indices.length} non-zero terms; ${max.engine} takes at most ${max.limit} per sparse vector — keep the heaviest with top_k ${max.limit} (encode-corpus: --top-k ${max.limit})`,
    );
  }
  const maxWeight = role === "query" ? format.maxQueryWeight : undefined;
  // Weights come heaviest first (FormatItem's contract, kept by quantize): the first is the largest.
  if (maxWeight && w.values.length > 0 && w.values[0] > maxWeight.limit) {
    throw new FormatError(
      "weight_cap",
      `${label(role, item.id)} has a weight of ${w.values[0]}; ${maxWeight.engine} takes query weights up to ${maxWeight.limit} — use a smaller quantize factor`,
    );
  }
  const rename = format.term;
  const terms = w.indices.map((id) => (rename ? rename(ctx.token(id)) : ctx.token(id)));
  return { indices: w.indices, values: w.values, terms };
}

/** The side of `format` for `role`, if it has one. */
export function sideOf(format: Format, role: "query"): QuerySide | undefined;
export function sideOf(format: Format, role: "document"): DocumentSide | undefined;
export function sideOf(format: Format, role: Role): QuerySide | DocumentSide | undefined;
export function sideOf(format: Format, role: Role): QuerySide | DocumentSide | undefined {
  return role === "query" ? format.query : format.document;
}

/**
 * Everything wrong with these options for one side, as messages naming the option: required ones not given (an
 * empty string counts as not given), ones this side would ignore, and values the engine would refuse. `spell` names
 * an option as the caller's users write it (`"field"` in the HTTP API, `--field` on the command line).
 */
export function optionProblems(format: Format, role: Role, options: FormatOptions, spell: (name: OptionName) => string = (n) => `"${n}"`): string[] {
  const side = sideOf(format, role);
  if (!side) return [`format "${format.name}" has no ${role} side`];
  const problems: string[] = [];
  for (const name of side.requires) {
    if (options[name] === undefined || options[name] === "") problems.push(`format "${format.name}" requires the ${spell(name)} option for ${PLURAL[role]}`);
  }
  for (const [name, value] of Object.entries(options) as Array<[OptionName, unknown]>) {
    if (value === undefined || name === "quantize") continue;
    if (!side.accepts.includes(name)) {
      const takes = side.accepts.length > 0 ? ` (it takes ${side.accepts.map(spell).join(", ")})` : "";
      problems.push(`format "${format.name}" takes no ${spell(name)} option for ${PLURAL[role]}${takes}`);
    } else if (typeof value === "string" && value !== "") {
      const problem = side.invalidOption?.(name, value);
      if (problem) problems.push(problem);
    }
  }
  return problems;
}

/** Why this side of `format` cannot write `id`, naming the item, or undefined. */
export function idProblem(format: Format, role: Role, id: string): string | undefined {
  const problem = sideOf(format, role)?.invalidId?.(id);
  return problem === undefined ? undefined : `${label(role, id)}: ${problem}`;
}

// --- id and name rules more than one engine has ---

/** Ids on query lines and in TREC run files (`qid Q0 docid rank score tag`): whitespace would split them. */
export function lineIdProblem(id: string): string | undefined {
  if (id === "") return "an id must not be empty here";
  if (/\s/.test(id)) return "the id contains whitespace, which splits query lines and TREC run files";
  return undefined;
}

const encoder = new TextEncoder();

/** Elasticsearch and OpenSearch refuse an `_id` over 512 bytes of UTF-8, and an empty one. */
export function bulkIdProblem(id: string): string | undefined {
  if (id === "") return "an _id must not be empty";
  const bytes = encoder.encode(id).length;
  return bytes > 512 ? `an _id is at most 512 bytes, this one is ${bytes}` : undefined;
}
