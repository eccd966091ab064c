// Generated MS MARCO-like passages for benchmarks: seeded, English-like text built from the model's own vocabulary.
//
// - Passage length in words is log-normal (median 55, σ 0.45: mean ≈ 61, 5th percentile ≈ 26, 95th ≈ 115, clipped
//   to [8, 220]): MS MARCO passages average 50–60 words with a long right tail, and that spread is what
//   length-bucketed batching exploits, so a uniform length would misstate it.
// - Words follow Zipf's law over the vocabulary's whole-word entries, which BERT's vocab.txt lists roughly by
//   frequency (after the ~2,000 special, unused and single-character entries): common short words dominate and
//   word lengths come out as in running text. One word in twelve is a rare word glued from a word piece and one or
//   two "##" continuations, so the tokenizer splits it into several tokens, as it does rare words.
// - Sentences of ~14 words with commas, the odd number, capitalized starts.
import { seededUniform } from "../../src/model/random.ts";

export const PASSAGE_WORDS = { median: 55, sigma: 0.45, min: 8, max: 220 } as const;

const ZIPF_EXPONENT = 1.0;
const RARE_WORD = 1 / 12;
const SENTENCE_END = 1 / 14;
const COMMA = 1 / 12;
const NUMBER = 1 / 50;

/** Draws from a discrete distribution given its cumulative weights. */
function sampler(cumulative: Float64Array, uniform: () => number): () => number {
  const total = cumulative[cumulative.length - 1];
  return () => {
    const x = uniform() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

function zipf(n: number): Float64Array {
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let r = 0; r < n; r++) cumulative[r] = sum += 1 / (r + 1) ** ZIPF_EXPONENT;
  return cumulative;
}

/**
 * `count` passages from `vocab` (vocab.txt entries in id order), reproducible from `seed`.
 * Returns plain strings; ids are the caller's (their position, as MS MARCO numbers its passages).
 */
export function generatePassages(vocab: readonly string[], count: number, seed: number): string[] {
  const words = vocab.filter((t) => /^[a-z]{2,}$/.test(t) || t === "a");
  const pieces = vocab.filter((t) => /^##[a-z]{2,}$/.test(t)).map((t) => t.slice(2));
  const uniform = seededUniform(seed);
  const word = sampler(zipf(words.length), uniform);
  const piece = sampler(zipf(pieces.length), uniform);
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const passages: string[] = [];
  for (let p = 0; p < count; p++) {
    const length = Math.round(Math.min(PASSAGE_WORDS.max, Math.max(PASSAGE_WORDS.min, PASSAGE_WORDS.median * Math.exp(PASSAGE_WORDS.sigma * normal()))));
    let text = "";
    let capital = true;
    for (let w = 0; w < length; w++) {
      let next: string;
      if (uniform() < NUMBER) next = String(Math.floor(uniform() * 10 ** (1 + Math.floor(uniform() * 4))));
      else if (uniform() < RARE_WORD) next = words[word()] + pieces[piece()] + (uniform() < 0.3 ? pieces[piece()] : "");
      else next = words[word()];
      if (capital) next = next[0].toUpperCase() + next.slice(1);
      capital = false;
      const last = w === length - 1;
      if (last || uniform() < SENTENCE_END) {
        next += ".";
        capital = true;
      } else if (uniform() < COMMA) next += ",";
      text += w === 0 ? next : ` ${next}`;
    }
    passages.push(text);
  }
  return passages;
}
