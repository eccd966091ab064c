// JSON text for the formats' values, keeping term → weight maps in weight order. JSON.stringify cannot: it hoists
// integer-like keys, and 848 vocabulary entries ("2019", "1", …) are integer-like.

/** A term → weight map that serializes in the order given. */
export class TermWeights {
  constructor(
    readonly terms: readonly string[],
    readonly values: readonly number[],
  ) {}
}

/** Serializes plain JSON values and TermWeights (in their own order). */
export function toJson(value: unknown): string {
  if (value instanceof TermWeights) {
    return `{${value.terms.map((t, k) => `${JSON.stringify(t)}:${JSON.stringify(value.values[k])}`).join(",")}}`;
  }
  if (Array.isArray(value)) return `[${value.map(toJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}
