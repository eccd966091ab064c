// What encoder.c and splade-head.c share: export and inlining attributes, and the one arithmetic step whose
// instruction differs between the plain and the relaxed build.
#pragma once
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name), visibility("default")))
#define INLINE static inline __attribute__((always_inline))

/**
 * c + a·b. The relaxed build uses f32x4.relaxed_madd, which an engine may fuse (one rounding) or not (two) — the same
 * way everywhere in one engine, as the relaxed-SIMD proposal requires, so a build still gives the same bits for the
 * same input. The error analyses of splade-head.c count two roundings per step, which covers either.
 */
INLINE v128_t madd(v128_t a, v128_t b, v128_t c) {
#ifdef RELAXED
  return (v128_t)__builtin_wasm_relaxed_madd_f32x4((__f32x4)a, (__f32x4)b, (__f32x4)c);
#else
  return wasm_f32x4_add(c, wasm_f32x4_mul(a, b));
#endif
}
