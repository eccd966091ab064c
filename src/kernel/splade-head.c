// The SPLADE head as a WASM SIMD128 kernel: w[v] = log1p(relu(max_t (H_t·E_v) + b_v)) for the hidden states H [T, n]
// that leave the MLM head's LayerNorm and the decoder E [V, n] (the tied word embeddings) with its bias b [V].
//
// Exact by default, in two passes:
//   1. an int8 pass over the whole vocabulary (E quantized per row at load, H per token per call) gives every term an
//      approximate max logit and a PROVABLE upper bound on it (derivation below); terms whose upper bound is ≤ 0 are
//      exactly 0 after relu and are dropped;
//   2. the remaining candidates are rescored in float32 over every token, with the same code (same summation order)
//      as a float32 scan of the whole vocabulary, so the result is bit-identical to that scan.
// The caller applies log1p to the returned max logits (all > 0): JavaScript's Math.log1p is correctly rounded enough
// and keeps this file free of a libm.
//
// Two builds of the same source (build.ts): kernel.wasm, plain SIMD128, runs everywhere; kernel-relaxed.wasm (-DRELAXED,
// relaxed SIMD) runs the int8 pass on the relaxed int8 dots, 16 multiply-adds per instruction against 8 for plain
// i32x4.dot_i16x8_s and its widening loads — as one vpdpbusd per 16 where the CPU has AVX-VNNI (dot_i8_u7_add picks the
// form, int8_dot_fused() tells which this engine runs well). They take their second operand as 7-bit unsigned, so
// the relaxed build quantizes tokens to [−63, 63] and feeds p + 64 ∈ [1, 127]: then every lane is fully specified by
// the spec (no implementation-defined case), and p·q = (p + 64)·q − 64·Σq exactly in int32, Σq kept per row. The
// bound below holds for either grid (the scale is max|x|/Q for Q = 127 or 63, still 17 significant bits). workerd's
// V8 (14.7) computes it exactly in every tier; Node 20's V8 (11.3) gets it wrong in its baseline tier (docs/facts.md), which
// is why callers choose the build (encoder-kernel.ts) and int8_selftest() checks it before use.
//
// Memory is the module's own (exported as `memory`); the caller lays out every buffer and grows memory itself, so
// the module needs no imports and a Worker instantiates it from a CompiledWasm module.
//
// ── The bound ──────────────────────────────────────────────────────────────────────────────────────────────────────
// Notation: x = H_t, e = E_v (float32 vectors of length n), ℓ = x·e + b the real-number logit, u = 2⁻²⁴.
// Quantization (load time per row v with x := e; per call per token t): the scale c = max|x_i| / 127 rounded UP to 17
// significant bits, k_i = round(fl(x_i / c)) ∈ [−127, 127]. Then c·k_i is exact in float32 (17 + 7 bits), and so is
// the residual x_i − c·k_i (Sterbenz: k_i ≥ 1 implies fl(x_i/c) ≥ k_i − ½, so x_i/c ≥ k_i − ½ ≥ k_i/2, and
// x_i/c ≤ k_i + ½ ≤ 2k_i; k_i = 0 leaves x_i itself). Norms are float32 sums of squares of these exact values (4 lanes
// of n/4 terms, then a 2-level tree: relative error ≤ γ_{n/4+3}), square-rooted and multiplied by
// μ = 1 + (n/4 + 8)·2⁻²³, which more than covers that error and the two roundings after it: upper bounds.
//   Row v:   s = c, q = k, ε = e − s·q;   α_v ≥ ‖ε‖₂,  β_v ≥ ‖s·q‖₂.
//   Token t: r = c, p = k, δ = x − r·p;   A_t ≥ ‖x‖₂,  B_t ≥ ‖δ‖₂,  P_t ≥ ‖r·p‖₂.
// Identity: x·e − (r·p)·(s·q) = x·(e − s·q) + (x − r·p)·(s·q) = x·ε + δ·(s·q), so by Cauchy–Schwarz
//   |x·e − r·s·(p·q)| ≤ A_t·α_v + B_t·β_v.                                                                   (1)
// d = p·q is computed exactly in int32 (|d| ≤ n·127² < 2²⁴ for n ≤ 1024, so it is also exact as a float32).
// Hence, with s ≥ 0, α, β ≥ 0 and Â = max_t A_t, B̂ = max_t B_t, P̂ = max_t P_t:
//   max_t ℓ_tv ≤ s_v·max_t(r_t·d_tv) + b_v + α_v·Â + β_v·B̂.                                                  (2)
// Float slack. The kernel does not compute ℓ but L̂ = fl(fl(x·e) + b) in the rescoring pass: each of 4 lanes sums
// n/4 products in order, then a 2-level tree, so |fl(x·e) − x·e| ≤ γ_{n/4+3}·Σ|x_i·e_i| ≤ γ·A_t·(α_v + β_v)
// (‖e‖ ≤ ‖ε‖ + ‖s·q‖), and the bias add costs u·|x·e + b|. The bound itself is evaluated in float32: m = max_t
// fl(r_t·d_tv) and U = s·m + (b + ρ|b|) + α·c1 + β·c2 are ~8 roundings of terms each at most
//   S = Â·α + Â·β + P̂·β + B̂·β + |b|     (s·|r·d| ≤ ‖r·p‖·‖s·q‖ = P_t·β by Cauchy–Schwarz).
// All of it together is below (n/4 + 12)·u·2S; the kernel adds ρ·S with ρ = 2u·(n/4 + 16) (≈ 5.7e-6 for n = 128),
// i.e. it evaluates
//   U_v = s_v·m_v + (b_v + ρ|b_v|) + α_v·c1 + β_v·c2,   c1 = Â(1 + ρ),   c2 = B̂(1 + ρ) + ρ(Â + P̂)          (3)
// (c1, c2 computed in float64 and rounded up). Then L̂_tv ≤ U_v for every t, and every term with max_t L̂_tv > 0
// has U_v > 0: the candidates are a superset of the float32 result's non-zero terms, and rescoring them in float32
// gives exactly the float32 scan. The test suite checks (1) term by term in float64 and the superset property.
// The approximate mode returns s_v·m_v + b_v, whose error is at most α_v·Â + β_v·B̂ (plus float slack).
#include "simd.h"


/** Rows per int8 group: the interleaved layout puts 4 rows side by side so one i32x4 holds 4 terms' dots. */
#define GROUP 4
/**
 * Groups per int8 tile (GB × 4 terms) and at most TB tokens per int8 tile: GB·TB i32x4 accumulators + 2 rows + 1 token
 * in registers. The relaxed build's dot needs no temporaries, so it holds 10 (measured in workerd: 0.85× the time of 8
 * at T = 10); the plain build spills at 10 (1.5×).
 */
#ifndef GB
#define GB 2
#endif
#ifndef TB
#ifdef RELAXED
#define TB 5
#else
#define TB 4
#endif
#endif
_Static_assert(TB >= 1 && TB <= 5, "int8_max has a case for every tile of 1 to 5 tokens, no more");
#define MAX_HIDDEN 1024
#ifdef RELAXED
#define TOKEN_QMAX 63.0f
#define TOKEN_OFFSET 64
#else
#define TOKEN_QMAX 127.0f
#endif
#define ROUND_UP (1.0 + 0x1p-20)
#define U32 0x1p-24

enum mode { MODE_CANDIDATES = 0, MODE_APPROX = 1, MODE_BOUNDS = 2 };

INLINE double rho_for(int n) { return 2.0 * U32 * (n / 4 + 16); }

INLINE float hsum(v128_t v) {
  v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(v, 0);
}

INLINE float hmax(v128_t v) {
  v = wasm_f32x4_pmax(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  v = wasm_f32x4_pmax(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(v, 0);
}

/** An upper bound on the square root of a float32 sum of squares of n/4 + 3 depth (see μ above). */
INLINE float norm_up(float sum_sq, int n) { return __builtin_sqrtf(sum_sq) * (1.0f + (float)(n / 4 + 8) * 0x1p-23f); }

/** ≥ max_abs / qmax with at most 17 significant bits: the next float32 above the quotient, rounded up. */
INLINE float scale_for(float max_abs, float qmax) {
  const uint32_t bits = (__builtin_bit_cast(uint32_t, max_abs / qmax) + 0x80u) & ~0x7Fu;
  return __builtin_bit_cast(float, bits);
}

/**
 * Quantizes x [n] to k (int16, in [−qmax, qmax]) with the scale c written to *scale, and writes the float32 sums of
 * squares of x, of the residual x − c·k and of c·k to sums[0..2].
 */
INLINE void quantize(const float* x, int n, float qmax, int16_t* k_out, float* scale, float* sums) {
  v128_t m = wasm_f32x4_splat(0.0f);
  for (int i = 0; i < n; i += 4) m = wasm_f32x4_pmax(m, wasm_f32x4_abs(wasm_v128_load(x + i)));
  const float max_abs = hmax(m);  // pmax drops NaN; the sum of squares below keeps it
  if (max_abs == 0.0f) {
    for (int i = 0; i < n; i += 8) wasm_v128_store(k_out + i, wasm_i16x8_splat(0));
    *scale = sums[0] = sums[1] = sums[2] = 0.0f;
    return;
  }
  const float c = scale_for(max_abs, qmax);
  const v128_t cv = wasm_f32x4_splat(c), lo = wasm_f32x4_splat(-qmax), hi = wasm_f32x4_splat(qmax);
  v128_t x_sq = wasm_f32x4_splat(0.0f), r_sq = x_sq, ck_sq = x_sq;
  for (int i = 0; i < n; i += 8) {
    v128_t k[2];
    for (int h = 0; h < 2; h++) {
      const v128_t xv = wasm_v128_load(x + i + 4 * h);
      k[h] = wasm_f32x4_pmin(wasm_f32x4_pmax(wasm_f32x4_nearest(wasm_f32x4_div(xv, cv)), lo), hi);
      const v128_t ck = wasm_f32x4_mul(k[h], cv);
      const v128_t res = wasm_f32x4_sub(xv, ck);
      x_sq = wasm_f32x4_add(x_sq, wasm_f32x4_mul(xv, xv));
      r_sq = wasm_f32x4_add(r_sq, wasm_f32x4_mul(res, res));
      ck_sq = wasm_f32x4_add(ck_sq, wasm_f32x4_mul(ck, ck));
    }
    wasm_v128_store(k_out + i, wasm_i16x8_narrow_i32x4(wasm_i32x4_trunc_sat_f32x4(k[0]), wasm_i32x4_trunc_sat_f32x4(k[1])));
  }
  *scale = c;
  sums[0] = hsum(x_sq);
  sums[1] = hsum(r_sq);
  sums[2] = hsum(ck_sq);
}

/**
 * Load time: quantizes E [v, n] into the interleaved int8 layout of vp ≥ v rows — group g of 4 rows at eq + g·4n;
 * plain: k-pair j at + 8j, [v0 k, v0 k+1, v1 k, v1 k+1, v2 …, v3 …]; relaxed: k-quad j at + 16j, [v0 k … k+3, v1 …,
 * v2 …, v3 …] — and writes s, α, β, Σq and the padded bias b + ρ|b| of every row. Rows v … vp−1 are zero (E is not read there) and b must hold −inf for them, which keeps them out of every
 * answer. Rows [from, to) only (multiples of 4), so that a caller can spread the work. Returns 0, −1 on sizes it does
 * not support, −2 when E holds a non-finite value.
 */
EXPORT(prepare)
int prepare(const float* e, const float* b, int v_count, int vp, int n, int8_t* eq, float* s_out, float* alpha_out,
            float* beta_out, float* b_pad_out, int32_t* qsum_out, int from, int to) {
  if (n <= 0 || n > MAX_HIDDEN || n % 16 != 0 || vp % (GROUP * GB) != 0 || v_count > vp || vp - v_count >= GROUP * GB) return -1;
  if (from < 0 || from > to || to > vp || from % GROUP != 0 || to % GROUP != 0) return -1;
  const double rho = rho_for(n);
  int16_t k[GROUP][MAX_HIDDEN];
  for (int v0 = from; v0 < to; v0 += GROUP) {
    for (int l = 0; l < GROUP; l++) {
      const int v = v0 + l;
      float sums[3] = {0.0f, 0.0f, 0.0f};
      if (v < v_count) {
        quantize(e + (long)v * n, n, 127.0f, k[l], s_out + v, sums);
        if (!(sums[0] <= 0x1p127f)) return -2;
      } else {
        for (int i = 0; i < n; i++) k[l][i] = 0;
        s_out[v] = 0.0f;
      }
      int32_t qsum = 0;
      for (int i = 0; i < n; i++) qsum += k[l][i];
      qsum_out[v] = qsum;
      alpha_out[v] = norm_up(sums[1], n);
      beta_out[v] = norm_up(sums[2], n);
      const double bias = b[v];
      b_pad_out[v] = bias > -__builtin_inf() ? (float)(bias + rho * __builtin_fabs(bias) * ROUND_UP) : (float)bias;
    }
    int8_t* group = eq + (long)v0 * n;
    for (int i = 0; i < n; i += 16) {
      v128_t rows[GROUP];
      for (int l = 0; l < GROUP; l++) rows[l] = wasm_i8x16_narrow_i16x8(wasm_v128_load(k[l] + i), wasm_v128_load(k[l] + i + 8));
#ifdef RELAXED
      // A 4 × 4 transpose of 32-bit (k … k+3) quads.
      const v128_t t0 = wasm_i32x4_shuffle(rows[0], rows[1], 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(rows[0], rows[1], 2, 6, 3, 7);
      const v128_t t2 = wasm_i32x4_shuffle(rows[2], rows[3], 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(rows[2], rows[3], 2, 6, 3, 7);
      wasm_v128_store(group + 4 * i, wasm_i64x2_shuffle(t0, t2, 0, 2));
      wasm_v128_store(group + 4 * i + 16, wasm_i64x2_shuffle(t0, t2, 1, 3));
      wasm_v128_store(group + 4 * i + 32, wasm_i64x2_shuffle(t1, t3, 0, 2));
      wasm_v128_store(group + 4 * i + 48, wasm_i64x2_shuffle(t1, t3, 1, 3));
#else
      // A 4 × 8 transpose of 16-bit (k, k+1) pairs.
      const v128_t a = wasm_i16x8_shuffle(rows[0], rows[1], 0, 8, 1, 9, 2, 10, 3, 11);
      const v128_t bb = wasm_i16x8_shuffle(rows[0], rows[1], 4, 12, 5, 13, 6, 14, 7, 15);
      const v128_t c = wasm_i16x8_shuffle(rows[2], rows[3], 0, 8, 1, 9, 2, 10, 3, 11);
      const v128_t d = wasm_i16x8_shuffle(rows[2], rows[3], 4, 12, 5, 13, 6, 14, 7, 15);
      wasm_v128_store(group + 4 * i, wasm_i32x4_shuffle(a, c, 0, 4, 1, 5));
      wasm_v128_store(group + 4 * i + 16, wasm_i32x4_shuffle(a, c, 2, 6, 3, 7));
      wasm_v128_store(group + 4 * i + 32, wasm_i32x4_shuffle(bb, d, 0, 4, 1, 5));
      wasm_v128_store(group + 4 * i + 48, wasm_i32x4_shuffle(bb, d, 2, 6, 3, 7));
#endif
    }
  }
  return 0;
}

/**
 * Per call: quantizes H [T, n] per token into p and r, and writes the constants of (3): consts = [c1, c2, Â, B̂].
 * p holds int16 k ∈ [−127, 127] (plain: for the widening dot), or uint8 k + 64, k ∈ [−63, 63] (relaxed). Returns 0,
 * or −1 when H holds a non-finite value (no bound can hold then).
 */
EXPORT(quantize_tokens)
int quantize_tokens(const float* h, int t_count, int n, void* p, float* r, float* consts) {
  const double rho = rho_for(n);
  double a_max = 0.0, b_max = 0.0, p_max = 0.0;
  for (int t = 0; t < t_count; t++) {
    float sums[3];
#ifdef RELAXED
    int16_t k[MAX_HIDDEN];
    quantize(h + (long)t * n, n, TOKEN_QMAX, k, r + t, sums);
    uint8_t* pt_out = (uint8_t*)p + (long)t * n;
    for (int i = 0; i < n; i += 16) {
      const v128_t lo = wasm_i16x8_add(wasm_v128_load(k + i), wasm_i16x8_splat(TOKEN_OFFSET));
      const v128_t hi = wasm_i16x8_add(wasm_v128_load(k + i + 8), wasm_i16x8_splat(TOKEN_OFFSET));
      wasm_v128_store(pt_out + i, wasm_u8x16_narrow_i16x8(lo, hi));
    }
#else
    quantize(h + (long)t * n, n, TOKEN_QMAX, (int16_t*)p + (long)t * n, r + t, sums);
#endif
    if (!(sums[0] <= 0x1p127f)) return -1;
    const double at = norm_up(sums[0], n), bt = norm_up(sums[1], n), pt = norm_up(sums[2], n);
    a_max = at > a_max ? at : a_max;
    b_max = bt > b_max ? bt : b_max;
    p_max = pt > p_max ? pt : p_max;
  }
  consts[0] = (float)(a_max * (1.0 + rho) * ROUND_UP);
  consts[1] = (float)((b_max * (1.0 + rho) + rho * (a_max + p_max)) * ROUND_UP);
  consts[2] = (float)a_max;
  consts[3] = (float)b_max;
  return 0;
}


#ifdef RELAXED
/**
 * acc + the sums of 4 adjacent products of a (int8) and b (7-bit unsigned) per int32 lane, in one of two ways that
 * give the same exact result for these operands. `fused`: i32x4.relaxed_dot_i8x16_i7x16_add_s, which V8 (14.7) lowers
 * to one vpdpbusd where the CPU has AVX-VNNI, and otherwise to three instructions (pmaddubsw, pmaddwd by a splat of 1
 * rebuilt each time, paddd) with the accumulator at the end of the chain, which made the pass latency-bound. Not fused:
 * i16x8.relaxed_dot_i8x16_i7x16_s (pairs, |sum| ≤ 2·127·127 fits int16) then a pairwise widening add, where only the
 * final add is on the accumulator's chain. int8_dot_fused() tells the caller which one this engine runs faster.
 */
INLINE v128_t dot_i8_u7_add(v128_t a, v128_t b, v128_t acc, int fused) {
  if (fused) return (v128_t)__builtin_wasm_relaxed_dot_i8x16_i7x16_add_s_i32x4((__i8x16)a, (__i8x16)b, (__i32x4)acc);
  return wasm_i32x4_add(acc, wasm_i32x4_extadd_pairwise_i16x8((v128_t)__builtin_wasm_relaxed_dot_i8x16_i7x16_s_i16x8((__i8x16)a, (__i8x16)b)));
}
#endif

/**
 * best[g] = max(best[g], r_t · (E-group g · p_t)) over `tb` tokens from t0, for GB groups from `eq` (rows v0 …);
 * `fused` as for dot_i8_u7_add (relaxed build only).
 */
INLINE void int8_tile(const int8_t* eq, const int32_t* qsum, const void* p, const float* r, int n, int t0, int tb,
                      int fused, v128_t* best) {
  v128_t acc[GB][TB];
#ifdef RELAXED
  // Σ (q + 0)·(p + 64) starts from −64·Σq, which leaves Σ q·p.
  for (int g = 0; g < GB; g++) {
    const v128_t start = wasm_i32x4_neg(wasm_i32x4_shl(wasm_v128_load(qsum + g * GROUP), 6));
    for (int k = 0; k < tb; k++) acc[g][k] = start;
  }
  const uint8_t* pu = (const uint8_t*)p;
  for (int j = 0; j < n / 4; j++) {
    v128_t rows[GB];
    for (int g = 0; g < GB; g++) rows[g] = wasm_v128_load(eq + g * GROUP * n + 16 * j);
    for (int k = 0; k < tb; k++) {
      const v128_t token = wasm_v128_load32_splat(pu + (long)(t0 + k) * n + 4 * j);
      for (int g = 0; g < GB; g++) acc[g][k] = dot_i8_u7_add(rows[g], token, acc[g][k], fused);
    }
  }
#else
  (void)qsum, (void)fused;
  const int16_t* ps = (const int16_t*)p;
  for (int g = 0; g < GB; g++)
    for (int k = 0; k < tb; k++) acc[g][k] = wasm_i32x4_splat(0);
  for (int j = 0; j < n / 2; j++) {
    v128_t rows[GB];
    for (int g = 0; g < GB; g++) rows[g] = wasm_i16x8_load8x8(eq + g * GROUP * n + 8 * j);
    for (int k = 0; k < tb; k++) {
      const v128_t token = wasm_v128_load32_splat(ps + (long)(t0 + k) * n + 2 * j);
      for (int g = 0; g < GB; g++) acc[g][k] = wasm_i32x4_add(acc[g][k], wasm_i32x4_dot_i16x8(rows[g], token));
    }
  }
#endif
  for (int k = 0; k < tb; k++) {
    const v128_t rt = wasm_f32x4_splat(r[t0 + k]);
    for (int g = 0; g < GB; g++) best[g] = wasm_f32x4_pmax(best[g], wasm_f32x4_mul(wasm_f32x4_convert_i32x4(acc[g][k]), rt));
  }
}

/**
 * best[g] = max over all T tokens of r_t · (E-group g · p_t), for the GB groups of one tile. The tokens go in the
 * fewest tiles of at most TB, as even as can be (T = 10, TB = 4: 4 + 3 + 3, not 4 + 4 + 2): a tile of few tokens has
 * too few independent accumulators to hide the dot's latency. Every case names its tile size as a constant, so that
 * int8_tile unrolls with its accumulators in registers.
 */
INLINE void int8_max(const int8_t* tile, const int32_t* qsum, const void* p, const float* r, int n, int t_count, int fused,
                     v128_t* best) {
  for (int g = 0; g < GB; g++) best[g] = wasm_f32x4_splat(-__builtin_inff());
  const int tiles = (t_count + TB - 1) / TB, small = t_count / tiles, big_tiles = t_count % tiles;
  for (int i = 0, t = 0; i < tiles; i++) {
    const int tb = small + (i < big_tiles);
    switch (tb) {
#if TB == 5
      case 5: int8_tile(tile, qsum, p, r, n, t, 5, fused, best); break;
#endif
      case 4: int8_tile(tile, qsum, p, r, n, t, 4, fused, best); break;
      case 3: int8_tile(tile, qsum, p, r, n, t, 3, fused, best); break;
      case 2: int8_tile(tile, qsum, p, r, n, t, 2, fused, best); break;
      default: int8_tile(tile, qsum, p, r, n, t, 1, fused, best); break;
    }
    t += tb;
  }
}

/**
 * The int8 pass over rows [from, to) (multiples of 8) for T quantized tokens. MODE_CANDIDATES writes the ids with
 * U_v > 0 to `ids`; MODE_APPROX writes ids and approximate max logits s·m + b for those > 0; MODE_BOUNDS writes, for
 * every row v, the approximate max logit s·m + b to vals[v] and the margin U − (s·m + b) of (3) to ids[v]
 * reinterpreted as float32. `fused` picks the relaxed build's dot (dot_i8_u7_add; the same result either way). Returns
 * the number of ids written (to − from for MODE_BOUNDS). Callers cut the vocabulary into a few calls: V8 swaps in a
 * function's optimized code only between calls, so a first request's long pass would otherwise run entirely on the
 * baseline tier.
 */
EXPORT(int8_pass)
int int8_pass(const int8_t* eq, const float* s, const float* alpha, const float* beta, const float* b, const float* b_pad,
              const int32_t* qsum, int from, int to, int n, const void* p, const float* r, int t_count, const float* consts,
              int fused, int mode, int32_t* ids, float* vals) {
#ifndef RELAXED
  (void)fused;
#endif
  const v128_t c1 = wasm_f32x4_splat(consts[0]), c2 = wasm_f32x4_splat(consts[1]);
  const v128_t zero = wasm_f32x4_splat(0.0f);
  int count = 0;
  for (int v0 = from; v0 < to; v0 += GROUP * GB) {
    const int8_t* tile = eq + (long)v0 * n;
    const int32_t* tile_qsum = qsum + v0;
    v128_t best[GB];
#ifdef RELAXED
    if (fused) int8_max(tile, tile_qsum, p, r, n, t_count, 1, best);
    else int8_max(tile, tile_qsum, p, r, n, t_count, 0, best);
#else
    int8_max(tile, tile_qsum, p, r, n, t_count, 0, best);
#endif
    for (int g = 0; g < GB; g++) {
      const int v = v0 + g * GROUP;
      const v128_t scaled = wasm_f32x4_mul(wasm_v128_load(s + v), best[g]);
      if (mode == MODE_CANDIDATES) {
        v128_t upper = wasm_f32x4_add(scaled, wasm_v128_load(b_pad + v));
        upper = wasm_f32x4_add(upper, wasm_f32x4_mul(wasm_v128_load(alpha + v), c1));
        upper = wasm_f32x4_add(upper, wasm_f32x4_mul(wasm_v128_load(beta + v), c2));
        uint32_t bits = wasm_i32x4_bitmask(wasm_f32x4_gt(upper, zero));
        while (bits) {
          ids[count++] = v + __builtin_ctz(bits);
          bits &= bits - 1;
        }
      } else {
        const v128_t approx = wasm_f32x4_add(scaled, wasm_v128_load(b + v));
        if (mode == MODE_APPROX) {
          uint32_t bits = wasm_i32x4_bitmask(wasm_f32x4_gt(approx, zero));
          float lanes[GROUP];
          wasm_v128_store(lanes, approx);
          while (bits) {
            const int lane = __builtin_ctz(bits);
            ids[count] = v + lane;
            vals[count++] = lanes[lane];
            bits &= bits - 1;
          }
        } else {
          v128_t margin = wasm_f32x4_sub(wasm_v128_load(b_pad + v), wasm_v128_load(b + v));
          margin = wasm_f32x4_add(margin, wasm_f32x4_mul(wasm_v128_load(alpha + v), c1));
          margin = wasm_f32x4_add(margin, wasm_f32x4_mul(wasm_v128_load(beta + v), c2));
          wasm_v128_store(vals + v, approx);
          wasm_v128_store(ids + v, margin);
          count += GROUP;
        }
      }
    }
  }
  return count;
}

/** The dots of 4 rows with `tb` tokens from t0, as one f32x4 over the rows per token, max-folded into *best. */
INLINE void f32_tile(const float* e0, const float* e1, const float* e2, const float* e3, const float* h, int n, int t0,
                     int tb, v128_t bias, v128_t* best) {
  v128_t acc[4][2];
  for (int i = 0; i < 4; i++) acc[i][0] = acc[i][1] = wasm_f32x4_splat(0.0f);
  for (int k = 0; k < n; k += 4) {
    const v128_t r0 = wasm_v128_load(e0 + k), r1 = wasm_v128_load(e1 + k), r2 = wasm_v128_load(e2 + k), r3 = wasm_v128_load(e3 + k);
    for (int j = 0; j < tb; j++) {
      const v128_t x = wasm_v128_load(h + (long)(t0 + j) * n + k);
      acc[0][j] = madd(r0, x, acc[0][j]);
      acc[1][j] = madd(r1, x, acc[1][j]);
      acc[2][j] = madd(r2, x, acc[2][j]);
      acc[3][j] = madd(r3, x, acc[3][j]);
    }
  }
  // A 4×4 transpose-and-add: every row's 4 lanes are summed in the same order, whatever its slot in the tile.
  for (int j = 0; j < tb; j++) {
    const v128_t x01 = wasm_f32x4_add(wasm_i32x4_shuffle(acc[0][j], acc[1][j], 0, 4, 1, 5), wasm_i32x4_shuffle(acc[0][j], acc[1][j], 2, 6, 3, 7));
    const v128_t x23 = wasm_f32x4_add(wasm_i32x4_shuffle(acc[2][j], acc[3][j], 0, 4, 1, 5), wasm_i32x4_shuffle(acc[2][j], acc[3][j], 2, 6, 3, 7));
    const v128_t dots = wasm_f32x4_add(wasm_i32x4_shuffle(x01, x23, 0, 1, 4, 5), wasm_i32x4_shuffle(x01, x23, 2, 3, 6, 7));
    *best = wasm_f32x4_pmax(*best, wasm_f32x4_add(dots, bias));
  }
}

/**
 * The float32 pass: for the `count` rows listed in `ids` (or rows first … first + count − 1 when `ids` is null), the max over T
 * tokens of fl(fl(H_t·E_v) + b_v). Writes the rows whose max is > 0 and that max to out_ids / out_vals (which may
 * alias `ids`: a row is written only after it has been read) and returns how many.
 */
EXPORT(f32_pass)
int f32_pass(const float* e, const float* b, int n, const float* h, int t_count, const int32_t* ids, int first, int count,
             int32_t* out_ids, float* out_vals) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  int written = 0;
  for (int i = 0; i < count; i += 4) {
    int32_t row[4];
    for (int k = 0; k < 4; k++) {
      const int at = i + k < count ? i + k : count - 1;
      row[k] = ids ? ids[at] : first + at;
    }
    const v128_t bias = wasm_f32x4_make(b[row[0]], b[row[1]], b[row[2]], b[row[3]]);
    v128_t best = wasm_f32x4_splat(-__builtin_inff());
    const float *e0 = e + (long)row[0] * n, *e1 = e + (long)row[1] * n, *e2 = e + (long)row[2] * n, *e3 = e + (long)row[3] * n;
    int t = 0;
    for (; t + 2 <= t_count; t += 2) f32_tile(e0, e1, e2, e3, h, n, t, 2, bias, &best);
    if (t < t_count) f32_tile(e0, e1, e2, e3, h, n, t, 1, bias, &best);
    const int valid = count - i < 4 ? count - i : 4;
    uint32_t bits = wasm_i32x4_bitmask(wasm_f32x4_gt(best, zero)) & ((1u << valid) - 1);
    float lanes[4];
    wasm_v128_store(lanes, best);
    while (bits) {
      const int lane = __builtin_ctz(bits);
      out_ids[written] = row[lane];
      out_vals[written++] = lanes[lane];
      bits &= bits - 1;
    }
  }
  return written;
}

/**
 * 1 when this engine's i32x4.relaxed_dot_i8x16_i7x16_add_s is not x64's three-instruction fallback, so that the int8
 * pass should run the fused form. The probe feeds the second operand 255, outside the 7 bits the kernel ever uses, where
 * the relaxed-SIMD spec lets engines differ: the fallback's pmaddubsw saturates each pair sum 2·255·127 to 32767 (lane
 * 65534), while vpdpbusd (AVX-VNNI) sums the four products exactly and vpdpbssd or Arm's sdot read 255 as −1. Only
 * speed depends on the answer: both forms agree on every operand the pass feeds them (int8_selftest). 0 in the plain build.
 */
EXPORT(int8_dot_fused)
int int8_dot_fused(void) {
#ifdef RELAXED
  const v128_t lanes = (v128_t)__builtin_wasm_relaxed_dot_i8x16_i7x16_add_s_i32x4((__i8x16)wasm_i8x16_splat(127), (__i8x16)wasm_u8x16_splat(255),
                                                                                 (__i32x4)wasm_i32x4_splat(0));
  return wasm_i32x4_extract_lane(lanes, 0) != 2 * 32767;
#else
  return 0;
#endif
}

/**
 * Checks, once per instance, that the int8 dot of this build computes exactly what the spec says on the extremes it
 * can meet (q = ±127, p + 64 ∈ [1, 127]), in the pair form and, where int8_dot_fused() picks it, the fused form: 0
 * when it does. The plain build has nothing relaxed to check.
 */
EXPORT(int8_selftest)
int int8_selftest(void) {
#ifdef RELAXED
  int8_t a[16];
  uint8_t b[16];
  int bad = 0;
  for (int trial = 0; trial < 8; trial++) {
    int32_t expect[4] = {trial, -trial, 7 * trial, 0};
    for (int i = 0; i < 16; i++) {
      a[i] = (int8_t)((i + trial) % 3 == 0 ? -127 : (i * 37 + trial * 11) % 255 - 127);
      b[i] = (uint8_t)(trial == 0 ? 127 : 1 + (i * 53 + trial * 29) % 127);
      expect[i / 4] += a[i] * b[i];
    }
    const v128_t acc = wasm_i32x4_make(trial, -trial, 7 * trial, 0), want = wasm_v128_load(expect);
    for (int fused = 0; fused <= int8_dot_fused(); fused++)
      bad |= !wasm_i32x4_all_true(wasm_i32x4_eq(dot_i8_u7_add(wasm_v128_load(a), wasm_v128_load(b), acc, fused), want));
  }
  return bad;
#else
  return 0;
#endif
}
