// The search scorer's passes over postings and sums (src/index/search.ts, MaxScore term at a time), as a WASM
// SIMD128 module: in JavaScript they were the search's whole time (~6–10 ns a posting in workerd; bench/search-scorer.ts
// compares the two).
//   accumulate: one term's record (index@1, docs/search.md: block table, then per block the LEB128 gaps and the u8
//               impacts) added into one sum per document;
//   histogram:  the sums bucketed for θ (MaxScore's threshold);
//   count_at_least: the sums counted against two values, and the largest — whether a histogram could pay off;
//   collect:    the candidates (document, sum so far) read out in document order, every sum zeroed for the next query;
//               with a least sum (the caller's, chunk by chunk), only those that can still make the top k are handed
//               back to JavaScript.
//
// Sums are float64, as the reference's (src/index/score.ts exactTopK): each is an integer Σ q × impact with q < 2^16
// (score.ts quantizeQuery) and impact ≤ 255, so below 2^24 × terms < 2^53 — exact in any order. A u32 sum would halve
// the memory and the scans, but it overflows at 2^32 / (65535 × 255) ≈ 257 query terms at full weight, and /search
// bounds a query's tokens (SPLADE_MAX_BATCH_TOKENS), not its terms (a SPLADE vector may hold thousands), so no bound
// the route enforces keeps it exact. The bucket and the candidate test compute exactly what search.ts did in
// JavaScript (the same float64 division and sum), so θ and the statistics are unchanged bit for bit.
//
// Memory is the module's own (exported as `memory`); the caller (search-scorer.ts) lays out the sums, the histogram,
// the candidate output and the copy of the record being accumulated, and grows memory itself: no imports, so a Worker
// instantiates it from a CompiledWasm module. Nothing here allocates or needs a stack beyond a few locals.
#include "simd.h"

/** Postings per block (src/index/format.ts BLOCK_SIZE) and bytes of a block table entry (BLOCK_ENTRY). */
#define BLOCK_SIZE 128
#define BLOCK_ENTRY 9

INLINE uint32_t load_u32(const uint8_t *p) {
  uint32_t v;
  __builtin_memcpy(&v, p, 4);
  return v;
}

/**
 * Adds `weight` × impact of every posting of a term's record into `sums` (one per document, `documents` of them).
 * Returns 0, or 1 + the first block that is malformed: its end outside the record or before its start, its gaps not
 * ending where its impacts begin, a document number ≥ `documents` (format.ts decodeBlock's check, and one that keeps
 * every write inside `sums`). Blocks before it are added: the caller zeroes the sums (clear) before the next search.
 */
EXPORT(accumulate)
uint32_t accumulate(const uint8_t *record, uint32_t bytes, uint32_t blocks, uint32_t postings, uint32_t weight, double *sums, uint32_t documents) {
  if (blocks != (postings + BLOCK_SIZE - 1) / BLOCK_SIZE || (uint64_t)blocks * BLOCK_ENTRY > bytes) return 1;
  const uint32_t data = blocks * BLOCK_ENTRY;
  uint32_t at = data;
  uint32_t doc = UINT32_MAX; // the first gap counts from −1
  for (uint32_t b = 0; b < blocks; b++) {
    const uint32_t count = b == blocks - 1 ? postings - b * BLOCK_SIZE : BLOCK_SIZE;
    const uint32_t end = data + load_u32(record + b * BLOCK_ENTRY + 4);
    if (end > bytes || end < at + 2 * count) return b + 1;
    const uint32_t gaps_end = end - count;
    const uint8_t *impact = record + gaps_end;
    if (gaps_end - at == count) {
      // Every gap one byte (so below 128): the common block once a term is in more than 1/128 of the documents. The
      // documents only grow by at most 127 a posting, so checking the block's last one checks them all.
      uint32_t high = 0, span = 0;
      for (uint32_t i = 0; i < count; i++) {
        high |= record[at + i];
        span += record[at + i];
      }
      if ((high & 0x80) || doc + span >= documents) return b + 1;
      for (uint32_t i = 0; i < count; i++) {
        doc += record[at + i];
        sums[doc] += (double)(weight * impact[i]);
      }
    } else {
      for (uint32_t i = 0; i < count; i++) {
        uint32_t byte, gap = 0, shift = 0;
        do {
          if (at >= gaps_end) return b + 1;
          byte = record[at++];
          gap |= (byte & 0x7f) << shift;
          shift += 7;
        } while ((byte & 0x80) && shift < 35);
        doc += gap;
        if (doc >= documents) return b + 1;
        sums[doc] += (double)(weight * impact[i]);
      }
      if (at != gaps_end) return b + 1;
    }
    at = end;
  }
  return 0;
}

/** Sub-histograms: consecutive documents whose sums share a bucket then add to different counters, not one chain. */
#define HISTOGRAMS 8

/** Counters histogram() needs for `buckets` buckets: the caller's layout asks, so the number lives only here. */
EXPORT(histogram_counters)
uint32_t histogram_counters(uint32_t buckets) {
  return HISTOGRAMS * buckets;
}

/**
 * counts[floor(sum / width)] += 1 for every positive sum. `counts` holds HISTOGRAMS × buckets counters (zeroed here);
 * the histogram is its first `buckets`. The caller passes width = (ceiling + 1) / buckets with every sum ≤ ceiling,
 * so the bucket is below `buckets`; it is clamped there anyway, so that no caller's mistake writes outside `counts`.
 */
EXPORT(histogram)
void histogram(const double *sums, uint32_t documents, double width, uint32_t *counts, uint32_t buckets) {
  __builtin_memset(counts, 0, HISTOGRAMS * buckets * sizeof(uint32_t));
  const uint32_t last = buckets - 1;
  const v128_t w = wasm_f64x2_splat(width);
  // floor(s / w) + 2^52 holds the bucket in its low 32 bits (an integer below 2^52 is exact there): cheaper than a
  // saturating conversion of each lane.
  const v128_t magic = wasm_f64x2_splat(0x1p52);
  const v128_t zero = wasm_f64x2_splat(0);
  v128_t zeros = wasm_i64x2_splat(0); // −1 a lane for each zero sum
  uint32_t d = 0;
  for (; d + HISTOGRAMS <= documents; d += HISTOGRAMS) {
#pragma clang loop unroll(full)
    for (uint32_t h = 0; h < HISTOGRAMS; h += 2) {
      // Two divisions an instruction. A zero sum lands in bucket 0 like any other, and is taken off once at the end.
      const v128_t s = wasm_v128_load(sums + d + h);
      const v128_t b = wasm_f64x2_add(wasm_f64x2_floor(wasm_f64x2_div(s, w)), magic);
      const uint32_t b0 = (uint32_t)wasm_i32x4_extract_lane(b, 0), b1 = (uint32_t)wasm_i32x4_extract_lane(b, 2);
      counts[h * buckets + (b0 < last ? b0 : last)]++;
      counts[(h + 1) * buckets + (b1 < last ? b1 : last)]++;
      zeros = wasm_i64x2_add(zeros, wasm_f64x2_eq(s, zero));
    }
  }
  counts[0] += (uint32_t)(wasm_i64x2_extract_lane(zeros, 0) + wasm_i64x2_extract_lane(zeros, 1));
  for (; d < documents; d++) {
    if (!(sums[d] > 0)) continue;
    const uint32_t b = __builtin_wasm_trunc_saturate_u_i32_f64(sums[d] / width);
    counts[b < last ? b : last]++;
  }
  for (uint32_t h = 1; h < HISTOGRAMS; h++)
    for (uint32_t c = 0; c < buckets; c++) counts[c] += counts[h * buckets + c];
}

/**
 * How many sums are ≥ low (returned) and how many ≥ high (*above), and the largest sum (*largest): comparisons only,
 * no division and no scattered counter, so a pass costs a fraction of histogram()'s. search.ts asks it before a
 * histogram, to skip one (and later ones) that cannot let MaxScore stop.
 */
EXPORT(count_at_least)
uint32_t count_at_least(const double *sums, uint32_t documents, double low, double high, uint32_t *above, double *largest) {
  const v128_t l = wasm_f64x2_splat(low), h = wasm_f64x2_splat(high);
  // A comparison is −1 a lane where it holds: subtracting the masks counts, two documents an instruction.
  v128_t lows = wasm_i64x2_splat(0), highs = wasm_i64x2_splat(0), most = wasm_f64x2_splat(0);
  uint32_t d = 0;
  for (; d + 2 <= documents; d += 2) {
    const v128_t s = wasm_v128_load(sums + d);
    lows = wasm_i64x2_sub(lows, wasm_f64x2_ge(s, l));
    highs = wasm_i64x2_sub(highs, wasm_f64x2_ge(s, h));
    most = wasm_f64x2_pmax(most, s);
  }
  uint32_t n = (uint32_t)(wasm_i64x2_extract_lane(lows, 0) + wasm_i64x2_extract_lane(lows, 1));
  uint32_t m = (uint32_t)(wasm_i64x2_extract_lane(highs, 0) + wasm_i64x2_extract_lane(highs, 1));
  double top = wasm_f64x2_extract_lane(most, 0) > wasm_f64x2_extract_lane(most, 1) ? wasm_f64x2_extract_lane(most, 0) : wasm_f64x2_extract_lane(most, 1);
  if (d < documents) {
    n += sums[d] >= low;
    m += sums[d] >= high;
    if (sums[d] > top) top = sums[d];
  }
  *above = m;
  *largest = top;
  return n;
}

/**
 * Documents from…to−1 in order: each non-zero sum is zeroed and, when sum + rest ≥ theta, counted as a candidate and,
 * when also sum ≥ least, written out (docs[n], partial[n]). Returns n; adds the candidates counted to *counted. The
 * outputs must hold to − from entries.
 */
EXPORT(collect)
uint32_t collect(double *sums, uint32_t from, uint32_t to, double rest, double theta, double least, uint32_t *docs, double *partial, uint32_t *counted) {
  const v128_t zero = wasm_f64x2_splat(0), r = wasm_f64x2_splat(rest), t = wasm_f64x2_splat(theta), l = wasm_f64x2_splat(least);
  uint32_t n = 0, candidates = 0;
  uint32_t d = from;
  for (; d + 2 <= to; d += 2) {
    // Two documents at a time: skipped when neither has a sum (sums are ≥ 0: +0.0 is the only zero), counted by
    // masks, and written out one by one only when one of them is (with a floor, few are).
    const v128_t s = wasm_v128_load(sums + d);
    if (!wasm_v128_any_true(s)) continue;
    wasm_v128_store(sums + d, zero);
    const v128_t candidate = wasm_v128_and(wasm_f64x2_ne(s, zero), wasm_f64x2_ge(wasm_f64x2_add(s, r), t));
    const uint32_t mask = wasm_i64x2_bitmask(candidate);
    candidates += (mask & 1) + (mask >> 1);
    const uint32_t out = mask & wasm_i64x2_bitmask(wasm_f64x2_ge(s, l));
    if (out == 0) continue;
    docs[n] = d;
    partial[n] = wasm_f64x2_extract_lane(s, 0);
    n += out & 1;
    docs[n] = d + 1;
    partial[n] = wasm_f64x2_extract_lane(s, 1);
    n += out >> 1;
  }
  if (d < to) {
    const double s = sums[d];
    sums[d] = 0;
    const uint32_t candidate = s != 0 && s + rest >= theta;
    candidates += candidate;
    docs[n] = d;
    partial[n] = s;
    n += candidate & (s >= least);
  }
  *counted += candidates;
  return n;
}

/** Zeroes sums[0…documents): a search that stops on a malformed record leaves none behind for the next. */
EXPORT(clear)
void clear(double *sums, uint32_t documents) {
  __builtin_memset(sums, 0, documents * sizeof(double));
}
