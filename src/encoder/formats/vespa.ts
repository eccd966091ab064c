// Vespa query input for a mapped tensor<float>(token{}), in the short form the tensor guide's POST example uses
// ({"label": value}); the key is the flat `input.query(NAME)` parameter, so it merges into a body next to yql.
import { TermWeights, toJson } from "./json.ts";
import type { OutputFormat } from "./types.ts";
import { formatWeights } from "./weights.ts";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const vespa: OutputFormat = {
  name: "vespa",
  description: 'Vespa query input for tensor<float>(token{}): {"input.query(F)":{term: weight}}, F defaults to "q"',
  kind: "json",
  requires: [],
  render({ vector }, ctx, options) {
    const w = formatWeights(vector, options);
    const cells = new TermWeights(w.indices.map((id) => ctx.token(id)), w.values);
    return toJson({ [`input.query(${options.field ?? "q"})`]: cells });
  },
  invalidField(field) {
    return IDENTIFIER.test(field)
      ? undefined
      : `Vespa query input "${field}" must be an identifier (letters, digits, _), as declared in the rank profile's inputs`;
  },
};
