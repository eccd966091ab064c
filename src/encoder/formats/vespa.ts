// Vespa: a mapped tensor field `tensor<float>(token{})`; documents as feed operations (JSONL for `vespa feed`,
// one {"put": "id:NAMESPACE:DOCTYPE::ID", "fields": {…}} per line), queries as the `input.query(NAME)` parameter
// that merges into a query body next to yql, in the short form for one mapped dimension ({"label": value}).
// Ranking is the dot product `sum(query(q) * attribute(FIELD))` (the schema snippet is in docs/engines.md).
import { termWeights } from "./answer.ts";
import { TermWeights, toJson } from "./json.ts";
import type { Format, OptionName } from "./types.ts";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

// A document id may hold only "text characters" (com.yahoo.text.Text.isTextCharacter): no C0 control but tab, newline
// and carriage return, no unpaired surrogate (\p{Cs} matches only those under the u flag), no non-character.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what this matches.
const NOT_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFDD0-\uFDDF\p{Noncharacter_Code_Point}]|\p{Cs}/u;

function documentIdProblem(id: string): string | undefined {
  if (id === "") return "a Vespa document id needs a non-empty user-specified part";
  if (NOT_TEXT.test(id)) return "a Vespa document id may hold only text characters (no control characters, unpaired surrogates or non-characters)";
  return undefined;
}

function identifierProblem(what: string) {
  return (name: OptionName, value: string): string | undefined => {
    if (name === "namespace" ? !value.includes(":") && value !== "" : IDENTIFIER.test(value)) return undefined;
    return name === "namespace"
      ? `Vespa namespace ${JSON.stringify(value)} must be non-empty and hold no ":"`
      : `Vespa ${name === "field" ? what : "document type"} ${JSON.stringify(value)} must be an identifier (letters, digits, _)`;
  };
}

export const vespa: Format = {
  name: "vespa",
  engine: "Vespa 8",
  reference: [
    "Vespa documentation (Vespa 8): Document JSON format — put, mapped tensor short form",
    "Vespa documentation (Vespa 8): Documents — document id id:<namespace>:<document-type>::<user-specified>",
    "Vespa documentation (Vespa 8): Tensor user guide — query inputs, sum(query(q) * attribute(f))",
  ],
  query: {
    description: 'Vespa query input for tensor<float>(token{}): {"input.query(F)":{term: weight}}, F defaults to "q"',
    kind: "json",
    answer: (z) =>
      z
        .record(z.string(), termWeights(z))
        .meta({ propertyNames: { pattern: "^input\\.query\\([A-Za-z_][A-Za-z0-9_]*\\)$" }, minProperties: 1, maxProperties: 1 }),
    requires: [],
    accepts: ["field"],
    invalidOption: identifierProblem("query input"),
    render: (_item, w, _ctx, options) => toJson({ [`input.query(${options.field ?? "q"})`]: new TermWeights(w.terms, w.values) }),
  },
  document: {
    description: 'feed JSONL: {"put":"id:NAMESPACE:DOCTYPE::ID","fields":{F:{term: weight}}} (namespace defaults to the document type)',
    requires: ["field", "doctype"],
    accepts: ["field", "doctype", "namespace"],
    invalidOption: identifierProblem("field"),
    invalidId: documentIdProblem,
    render: (item, w, _ctx, options) =>
      toJson({
        put: `id:${options.namespace ?? options.doctype}:${options.doctype}::${item.id}`,
        fields: { [options.field as string]: new TermWeights(w.terms, w.values) },
      }),
  },
};
