// Element types shared by the checkpoint readers, named as safetensors names them, and the float conversions.
// Typed-array views assume a little-endian host, like both file formats (every Node platform we run on is).
import { checkpointError, type ModelError } from "../errors.ts";

/** Bytes per element of every dtype the readers list. */
export const DTYPE_BYTES: Readonly<Record<string, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

/** The dtypes decoded to float32; everything else is listed but not read. */
export type FloatDType = "F32" | "F16" | "BF16";

export function isFloatDType(dtype: string): dtype is FloatDType {
  return dtype === "F32" || dtype === "F16" || dtype === "BF16";
}

/** The error `get` throws for a tensor the readers list but do not decode (position_ids, F64 buffers, …). */
export function undecodableDType(dtype: string, where: { file: string; tensor: string }): ModelError {
  const kind = dtype.startsWith("F") || dtype === "BF16" ? "unsupported float" : "non-float";
  return checkpointError(`${kind} dtype ${dtype}: only F32, F16 and BF16 tensors are read as weights`, where);
}

/** A fresh, aligned copy (not Buffer#slice, which would return a view). */
function copy(bytes: Uint8Array): ArrayBuffer {
  return new Uint8Array(bytes).buffer;
}

/** Reinterprets bytes as 16-bit words, copying only when the offset is odd. */
function uint16s(bytes: Uint8Array): Uint16Array {
  return bytes.byteOffset % 2 === 0 ? new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2) : new Uint16Array(copy(bytes));
}

let halfTable: Float32Array | undefined;

/** All 65536 float16 values, built once: a lookup beats bit twiddling on 100M-element checkpoints. */
function halfToFloatTable(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  return halfTable;
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → float16 bits, round to nearest even (as numpy and torch's .half() do). */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  const rest = mant & 0x1fff;
  let h = sign | (e << 10) | (mant >>> 13);
  // A carry out of the mantissa correctly bumps the exponent (and reaches infinity at the top).
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
  return h;
}

/** float32 → bfloat16 bits, round to nearest even; NaN stays a quiet NaN. */
export function floatToBFloat16(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) & 0x8000) | 0x7fc0;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Decodes little-endian F32/F16/BF16 elements into a fresh Float32Array (never a view of `bytes`). */
export function decodeFloats(bytes: Uint8Array, dtype: FloatDType): Float32Array {
  if (dtype === "F32") {
    return bytes.byteOffset % 4 === 0 ? new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).slice() : new Float32Array(copy(bytes));
  }
  const src = uint16s(bytes);
  if (dtype === "F16") {
    const table = halfToFloatTable();
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = table[src[i]];
    return out;
  }
  const out = new Uint32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] << 16;
  return new Float32Array(out.buffer);
}

/** Encodes float32 values as little-endian F32/F16/BF16 bytes. */
export function encodeFloats(data: Float32Array, dtype: FloatDType): Uint8Array {
  if (dtype === "F32") return new Uint8Array(data.slice().buffer);
  const convert = dtype === "F16" ? floatToHalf : floatToBFloat16;
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = convert(data[i]);
  return new Uint8Array(out.buffer);
}
