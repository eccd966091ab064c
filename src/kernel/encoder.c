// The transformer trunk of a masked-LM encoder (BertForMaskedLM / DistilBertForMaskedLM, post-LayerNorm) as a WASM
// SIMD128 kernel, in the same module as the SPLADE head (splade-head.c): token ids in, the MLM head's hidden states out
// (after its transform, activation and LayerNorm), ready for the head's int8 pass.
//
// One sequence per call, every token attended: right padding never reaches the kernel (the caller passes each row's
// real tokens), so there is no attention mask, and a sequence costs what its own length costs.
//
// Float32 throughout, as the converted ONNX graph computes it; the LayerNorm statistics and the softmax run in float64
// (cheap at this size). The activations are vectorized float32 approximations accurate to a few float32 roundings.
// Together they keep this kernel within ~1e-6 of the float64 reference forward pass (src/model/reference.ts).
//
// Weights arrive in the layout the converter writes (src/model/encoder-bin.ts, to src/kernel/contract.ts): Linear weights transposed to [in, out] so
// the inner loop broadcasts one input and updates 16 outputs; query, key and value concatenated into one [n, 3n].
#include "simd.h"

#include "erf-table.h"


#define MAX_LAYERS 48
#define MAX_HIDDEN 1024

enum activation { ACT_GELU = 0, ACT_GELU_TANH = 1, ACT_RELU = 2 };
enum layer_tensor {
  QKV_W, QKV_B, ATT_OUT_W, ATT_OUT_B, ATT_NORM_W, ATT_NORM_B,
  FFN_IN_W, FFN_IN_B, FFN_OUT_W, FFN_OUT_B, OUT_NORM_W, OUT_NORM_B, LAYER_TENSORS
};

/**
 * Written by the caller (src/kernel/encoder-kernel.ts) as 32-bit words; pointers are offsets into this memory. Its word
 * counts, MAX_LAYERS, MAX_HIDDEN and the enums above are mirrored in src/kernel/contract.ts and pinned by
 * test/kernel/contract.test.ts.
 */
typedef struct {
  int32_t hidden, heads, layers, intermediate, activation, vocab, positions;
  float eps;
  const float *word, *position, *token_type, *emb_norm_w, *emb_norm_b;
  const float *head_w, *head_b, *head_norm_w, *head_norm_b;
  const float* layer[MAX_LAYERS][LAYER_TENSORS];
} Model;

/** Words of Model before `layer`, and words per layer: the caller's layout. */
EXPORT(model_words) int model_words(void) { return (int)(sizeof(Model) / 4); }

// ── Transcendental functions ───────────────────────────────────────────────────────────────────────────

/** e^x for x ≤ 709: 2^k · e^r with |r| ≤ ln2/2, e^r by its Taylor series to degree 12 (error < 1e-16 relative). */
INLINE double exp64(double x) {
  if (x < -745.0) return 0.0;
  const double k = __builtin_nearbyint(x * 1.4426950408889634);
  const double r = (x - k * 0.6931471803691238) - k * 1.9082149292705877e-10;
  double p = 1.0 / 479001600.0;
  static const double inv_fact[] = {1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0,
                                    1.0 / 720.0,      1.0 / 120.0,     1.0 / 24.0,      1.0 / 6.0,     0.5, 1.0, 1.0};
  for (int i = 0; i < 12; i++) p = p * r + inv_fact[i];
  // 2^k in two steps so that k down to −1074 stays representable.
  const int64_t ki = (int64_t)k;
  const int64_t half = ki / 2;
  const double s1 = __builtin_bit_cast(double, (uint64_t)(half + 1023) << 52);
  const double s2 = __builtin_bit_cast(double, (uint64_t)(ki - half + 1023) << 52);
  return p * s1 * s2;
}

/** e^y for float32x4 y (clamped to [−87, 88]): 2^k · e^r, |r| ≤ ln2/2, e^r by Taylor to degree 7 (< 6e-9 relative). */
INLINE v128_t exp_f32x4(v128_t y) {
  y = wasm_f32x4_pmin(wasm_f32x4_pmax(y, wasm_f32x4_splat(-87.0f)), wasm_f32x4_splat(88.0f));
  const v128_t k = wasm_f32x4_nearest(wasm_f32x4_mul(y, wasm_f32x4_splat(1.44269504f)));
  // ln 2 split so that k · hi is exact for |k| < 2^11.
  v128_t r = wasm_f32x4_sub(y, wasm_f32x4_mul(k, wasm_f32x4_splat(0.693145751953125f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(k, wasm_f32x4_splat(1.428606820309417e-6f)));
  static const float inv_fact[] = {1.0f / 5040, 1.0f / 720, 1.0f / 120, 1.0f / 24, 1.0f / 6, 0.5f, 1.0f, 1.0f};
  v128_t p = wasm_f32x4_splat(inv_fact[0]);
  for (int i = 1; i < 8; i++) p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(inv_fact[i]));
  const v128_t scale = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(k), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, scale);
}

/** GELU, erf form: x·Φ(x) with Φ from erfc(|x|/√2) = e^(−z²)·erfcx(z) (erf-table.h), so no precision is lost in the tails. */
INLINE v128_t gelu_f32x4(v128_t x) {
  const v128_t z = wasm_f32x4_pmin(wasm_f32x4_mul(wasm_f32x4_abs(x), wasm_f32x4_splat(0.70710678f)), wasm_f32x4_splat(ERFCX_ZMAX));
  const v128_t t = wasm_f32x4_div(wasm_f32x4_splat(1.0f), wasm_f32x4_add(wasm_f32x4_splat(1.0f), wasm_f32x4_div(z, wasm_f32x4_splat(ERFCX_K))));
  const v128_t u = wasm_f32x4_sub(wasm_f32x4_mul(wasm_f32x4_sub(t, wasm_f32x4_splat(ERFCX_T_MIN)), wasm_f32x4_splat(2.0f / (1.0f - ERFCX_T_MIN))), wasm_f32x4_splat(1.0f));
  const v128_t u2 = wasm_f32x4_add(u, u);
  v128_t b1 = wasm_f32x4_splat(0.0f), b2 = b1;
  for (int i = ERFCX_DEGREE; i >= 1; i--) {
    const v128_t b0 = wasm_f32x4_add(wasm_f32x4_sub(wasm_f32x4_mul(u2, b1), b2), wasm_f32x4_splat(ERFCX_COEFFS[i]));
    b2 = b1;
    b1 = b0;
  }
  const v128_t erfcx = wasm_f32x4_add(wasm_f32x4_sub(wasm_f32x4_mul(u, b1), b2), wasm_f32x4_splat(ERFCX_COEFFS[0]));
  const v128_t half_erfc = wasm_f32x4_mul(wasm_f32x4_mul(exp_f32x4(wasm_f32x4_neg(wasm_f32x4_mul(z, z))), erfcx), wasm_f32x4_splat(0.5f));
  const v128_t phi = wasm_v128_bitselect(wasm_f32x4_sub(wasm_f32x4_splat(1.0f), half_erfc), half_erfc, wasm_f32x4_ge(x, wasm_f32x4_splat(0.0f)));
  return wasm_f32x4_mul(x, phi);
}

/** GELU, tanh form: 0.5·x·(1 + tanh(w)) = x / (1 + e^(−2w)), w = √(2/π)·(x + 0.044715·x³). */
INLINE v128_t gelu_tanh_f32x4(v128_t x) {
  const v128_t x3 = wasm_f32x4_mul(wasm_f32x4_mul(x, x), x);
  const v128_t w = wasm_f32x4_mul(wasm_f32x4_add(x, wasm_f32x4_mul(x3, wasm_f32x4_splat(0.044715f))), wasm_f32x4_splat(-2.0f * 0.7978845608f));
  return wasm_f32x4_div(x, wasm_f32x4_add(wasm_f32x4_splat(1.0f), exp_f32x4(w)));
}

/** The activation over `count` floats (a multiple of 4), in place. */
static void activate(float* x, long count, int activation) {
  for (long i = 0; i < count; i += 4) {
    const v128_t v = wasm_v128_load(x + i);
    wasm_v128_store(x + i, activation == ACT_GELU ? gelu_f32x4(v)
                           : activation == ACT_GELU_TANH ? gelu_tanh_f32x4(v)
                                                          : wasm_f32x4_pmax(v, wasm_f32x4_splat(0.0f)));
  }
}

// ── Building blocks ─────────────────────────────────────────────────────────────────────────────────────────────────

#ifndef GEMM_TOKENS
#define GEMM_TOKENS 2
#endif
#ifndef GEMM_VECS
#define GEMM_VECS 4
#endif
#define GEMM_OUTS (4 * GEMM_VECS)

/** `tb` (≤ GEMM_TOKENS) tokens × GEMM_OUTS outputs of y = x·W + b (+ res): W is [in, out]. */
INLINE void gemm_tile(const float* x, int in, const float* w, const float* b, int out, int o, float* y, const float* res,
                      int tb) {
  v128_t acc[GEMM_TOKENS][GEMM_VECS];
  for (int k = 0; k < tb; k++)
    for (int j = 0; j < GEMM_VECS; j++) acc[k][j] = wasm_v128_load(b + o + 4 * j);
  for (int i = 0; i < in; i++) {
    const float* wi = w + (long)i * out + o;
    v128_t wv[GEMM_VECS];
    for (int j = 0; j < GEMM_VECS; j++) wv[j] = wasm_v128_load(wi + 4 * j);
    for (int k = 0; k < tb; k++) {
      const v128_t xs = wasm_v128_load32_splat(x + (long)k * in + i);
      for (int j = 0; j < GEMM_VECS; j++) acc[k][j] = madd(xs, wv[j], acc[k][j]);
    }
  }
  for (int k = 0; k < tb; k++)
    for (int j = 0; j < GEMM_VECS; j++) {
      v128_t v = acc[k][j];
      if (res) v = wasm_f32x4_add(v, wasm_v128_load(res + (long)k * out + o + 4 * j));
      wasm_v128_store(y + (long)k * out + o + 4 * j, v);
    }
}

/** y [T, out] = x [T, in] · W [in, out] + b (+ res [T, out]); out is a multiple of GEMM_OUTS. */
static void gemm(const float* x, int t_count, int in, const float* w, const float* b, int out, float* y, const float* res) {
  for (int o = 0; o < out; o += GEMM_OUTS) {
    int t = 0;
    for (; t + GEMM_TOKENS <= t_count; t += GEMM_TOKENS)
      gemm_tile(x + (long)t * in, in, w, b, out, o, y + (long)t * out, res ? res + (long)t * out : 0, GEMM_TOKENS);
    const float* rest_res = res ? res + (long)t * out : 0;
    switch (t_count - t) {
#if GEMM_TOKENS > 4
      case 5: gemm_tile(x + (long)t * in, in, w, b, out, o, y + (long)t * out, rest_res, 5); break;
      case 4: gemm_tile(x + (long)t * in, in, w, b, out, o, y + (long)t * out, rest_res, 4); break;
#endif
#if GEMM_TOKENS > 3
      case 3: gemm_tile(x + (long)t * in, in, w, b, out, o, y + (long)t * out, rest_res, 3); break;
#endif
#if GEMM_TOKENS > 2
      case 2: gemm_tile(x + (long)t * in, in, w, b, out, o, y + (long)t * out, rest_res, 2); break;
#endif
      case 1: gemm_tile(x + (long)t * in, in, w, b, out, o, y + (long)t * out, rest_res, 1); break;
    }
  }
}

/** LayerNorm of each of T rows of n, in place; mean and variance in float64 (two passes, as the reference). */
static void layer_norm(float* x, int t_count, int n, const float* w, const float* b, float eps) {
  for (int t = 0; t < t_count; t++) {
    float* row = x + (long)t * n;
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += row[i];
    const double mean = sum / n;
    double sq = 0.0;
    for (int i = 0; i < n; i++) sq += (row[i] - mean) * (row[i] - mean);
    const double scale = 1.0 / __builtin_sqrt(sq / n + (double)eps);
    for (int i = 0; i < n; i++) row[i] = (float)((row[i] - mean) * scale) * w[i] + b[i];
  }
}

INLINE float dot(const float* a, const float* b, int d) {
  v128_t acc = wasm_f32x4_splat(0.0f);
  for (int j = 0; j < d; j += 4) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(a + j), wasm_v128_load(b + j)));
  acc = wasm_f32x4_add(acc, wasm_i32x4_shuffle(acc, acc, 2, 3, 0, 1));
  acc = wasm_f32x4_add(acc, wasm_i32x4_shuffle(acc, acc, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(acc, 0);
}

/**
 * Scaled dot-product attention over all T tokens for every head: ctx [T, n] from qkv [T, 3n] (query | key | value,
 * head h at columns h·d … h·d + d − 1 of each). `p` is scratch for T float64 probabilities.
 */
static void attention(const float* qkv, int t_count, int n, int heads, float* ctx, double* p) {
  const int d = n / heads, stride = 3 * n;
  const double scale = 1.0 / __builtin_sqrt((double)d);
  for (int h = 0; h < heads; h++) {
    for (int t = 0; t < t_count; t++) {
      const float* q = qkv + (long)t * stride + h * d;
      double max = -__builtin_inf();
      for (int s = 0; s < t_count; s++) {
        p[s] = dot(q, qkv + (long)s * stride + n + h * d, d) * scale;
        if (p[s] > max) max = p[s];
      }
      double sum = 0.0;
      for (int s = 0; s < t_count; s++) sum += (p[s] = exp64(p[s] - max));
      const double inv = 1.0 / sum;
      v128_t acc[MAX_HIDDEN / 4];
      for (int j = 0; j < d / 4; j++) acc[j] = wasm_f32x4_splat(0.0f);
      for (int s = 0; s < t_count; s++) {
        const v128_t ps = wasm_f32x4_splat((float)(p[s] * inv));
        const float* v = qkv + (long)s * stride + 2 * n + h * d;
        for (int j = 0; j < d / 4; j++) acc[j] = wasm_f32x4_add(acc[j], wasm_f32x4_mul(ps, wasm_v128_load(v + 4 * j)));
      }
      float* c = ctx + (long)t * n + h * d;
      for (int j = 0; j < d / 4; j++) wasm_v128_store(c + 4 * j, acc[j]);
    }
  }
}

// ── The forward pass ────────────────────────────────────────────────────────────────────────────────────────────────

/** Floats of scratch `encoder_forward` needs for up to `t_max` tokens. */
EXPORT(scratch_floats)
int scratch_floats(const Model* m, int t_max) {
  // x, attended, ctx [T, n]; qkv [T, 3n]; ffn [T, intermediate]; p: T float64.
  return t_max * (6 * m->hidden + m->intermediate + 2);
}

/**
 * The MLM head's hidden states [T, n] for token ids [T] into `out`. Returns 0; −1 for an id outside the vocabulary
 * or T outside [1, positions]; −2 for sizes the kernel does not support.
 */
EXPORT(encoder_forward)
int encoder_forward(const Model* m, const int32_t* ids, int t_count, float* scratch, float* out) {
  const int n = m->hidden, inter = m->intermediate;
  if (n <= 0 || n > MAX_HIDDEN || n % 16 != 0 || inter % 16 != 0 || m->heads <= 0 || n % (4 * m->heads) != 0 ||
      m->layers < 0 || m->layers > MAX_LAYERS)
    return -2;
  if (t_count < 1 || t_count > m->positions) return -1;
  for (int t = 0; t < t_count; t++)
    if (ids[t] < 0 || ids[t] >= m->vocab) return -1;
  float* x = scratch;
  float* attended = x + (long)t_count * n;
  float* ctx = attended + (long)t_count * n;
  float* qkv = ctx + (long)t_count * n;
  float* ffn = qkv + (long)t_count * 3 * n;
  double* p = (double*)(((uintptr_t)(ffn + (long)t_count * inter) + 7) & ~(uintptr_t)7);

  // Embeddings: word + token type 0 (BERT) + position, in the reference's order, then LayerNorm.
  for (int t = 0; t < t_count; t++) {
    const float* w = m->word + (long)ids[t] * n;
    const float* pos = m->position + (long)t * n;
    float* row = x + (long)t * n;
    for (int i = 0; i < n; i++) row[i] = (m->token_type ? w[i] + m->token_type[i] : w[i]) + pos[i];
  }
  layer_norm(x, t_count, n, m->emb_norm_w, m->emb_norm_b, m->eps);

  for (int l = 0; l < m->layers; l++) {
    const float* const* L = m->layer[l];
    gemm(x, t_count, n, L[QKV_W], L[QKV_B], 3 * n, qkv, 0);
    attention(qkv, t_count, n, m->heads, ctx, p);
    gemm(ctx, t_count, n, L[ATT_OUT_W], L[ATT_OUT_B], n, attended, x);
    layer_norm(attended, t_count, n, L[ATT_NORM_W], L[ATT_NORM_B], m->eps);
    gemm(attended, t_count, n, L[FFN_IN_W], L[FFN_IN_B], inter, ffn, 0);
    activate(ffn, (long)t_count * inter, m->activation);
    gemm(ffn, t_count, inter, L[FFN_OUT_W], L[FFN_OUT_B], n, x, attended);
    layer_norm(x, t_count, n, L[OUT_NORM_W], L[OUT_NORM_B], m->eps);
  }

  // The MLM head up to the decoder: transform, activation, LayerNorm.
  gemm(x, t_count, n, m->head_w, m->head_b, n, out, 0);
  activate(out, (long)t_count * n, m->activation);
  layer_norm(out, t_count, n, m->head_norm_w, m->head_norm_b, m->eps);
  return 0;
}
