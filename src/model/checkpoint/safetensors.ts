// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian header length, a
// JSON header {name: {dtype, shape, data_offsets: [begin, end]}} with offsets relative to the end of the header,
// then the raw little-endian tensor bytes.
import { checkpointError } from "../errors.ts";
import { checkpointOver, numel, type Checkpoint, type TensorMap } from "../tensor.ts";
import { DTYPE_BYTES, decodeFloats, encodeFloats, isFloatDType, undecodableDType, type FloatDType } from "./dtypes.ts";
import { readCheckpointFile } from "./file.ts";

interface Entry {
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

// The reference implementation refuses larger headers too (safetensors MAX_HEADER_SIZE).
const MAX_HEADER_BYTES = 100_000_000;

function isDims(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((d) => Number.isSafeInteger(d) && d >= 0);
}

function parseHeader(file: string, bytes: Uint8Array): { entries: Map<string, Entry>; dataStart: number } {
  if (bytes.length < 8) {
    throw checkpointError(`file is ${bytes.length} bytes, too short for a safetensors header (truncated?)`, { file });
  }
  const headerBytes = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (headerBytes > MAX_HEADER_BYTES || headerBytes > bytes.length - 8) {
    throw checkpointError(`header length ${headerBytes} runs past the end of the file (${bytes.length} bytes): truncated, or not a safetensors file`, { file });
  }
  const dataStart = 8 + headerBytes;
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (cause) {
    throw checkpointError(`header is not valid JSON (${(cause as Error).message}): not a safetensors file`, { file }, { cause });
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw checkpointError("header is not a JSON object: not a safetensors file", { file });
  }
  const dataBytes = bytes.length - dataStart;
  const entries = new Map<string, Entry>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const where = { file, tensor: name };
    const { dtype, shape, data_offsets: offsets } = (raw ?? {}) as Record<string, unknown>;
    if (typeof dtype !== "string" || !(dtype in DTYPE_BYTES)) {
      throw checkpointError(`unknown dtype ${JSON.stringify(dtype)}`, where);
    }
    if (!isDims(shape)) throw checkpointError(`shape ${JSON.stringify(shape)} is not a list of sizes`, where);
    if (!isDims(offsets) || offsets.length !== 2 || offsets[0] > offsets[1]) {
      throw checkpointError(`data_offsets ${JSON.stringify(offsets)} are not [begin, end]`, where);
    }
    const [begin, end] = offsets;
    const expected = numel(shape) * DTYPE_BYTES[dtype];
    if (end - begin !== expected) {
      throw checkpointError(`data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but ${dtype} [${shape.join(", ")}] needs ${expected}`, where);
    }
    entries.set(name, { dtype, shape, begin, end });
  }
  const first = [...entries].sort((a, b) => a[1].begin - b[1].begin).find(([, e]) => e.end > dataBytes);
  if (first) {
    throw checkpointError(
      `data ends at byte ${first[1].end} but the file holds only ${dataBytes} bytes of tensor data: the file is truncated (re-download it)`,
      { file, tensor: first[0] },
    );
  }
  return { entries, dataStart };
}

/** Opens a safetensors file (read from disk unless `bytes` is given); F32/F16/BF16 tensors decode to float32. */
export function openSafetensors(file: string, bytes: Uint8Array = readCheckpointFile(file)): Checkpoint {
  const { entries, dataStart } = parseHeader(file, bytes);
  return checkpointOver(
    file,
    entries,
    (e) => e,
    (e, name) => {
      if (!isFloatDType(e.dtype)) throw undecodableDType(e.dtype, { file, tensor: name });
      return { shape: [...e.shape], data: decodeFloats(bytes.subarray(dataStart + e.begin, dataStart + e.end), e.dtype) };
    },
  );
}

export interface EncodeSafetensorsOptions {
  /** Stored dtype of every tensor; F16 and BF16 round to nearest even. Default F32. */
  dtype?: FloatDType;
  /** String metadata, stored as `__metadata__` (save_pretrained writes {"format": "pt"}). */
  metadata?: Record<string, string>;
}

/** Serializes tensors, in insertion order, to safetensors bytes (header padded with spaces to 8 bytes as upstream). */
export function encodeSafetensors(tensors: TensorMap, opts: EncodeSafetensorsOptions = {}): Uint8Array {
  const dtype = opts.dtype ?? "F32";
  const header: Record<string, unknown> = opts.metadata ? { __metadata__: opts.metadata } : {};
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (t.data.length !== numel(t.shape)) {
      throw new RangeError(`tensor "${name}": shape [${t.shape.join(", ")}] needs ${numel(t.shape)} values, data has ${t.data.length}`);
    }
    const data = encodeFloats(t.data, dtype);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + data.length] };
    chunks.push(data);
    offset += data.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + headerBytes + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerBytes);
  let at = 8 + headerBytes;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
