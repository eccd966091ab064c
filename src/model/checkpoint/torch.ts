// PyTorch checkpoints as torch.save writes them since 1.6: a zip (stored entries) holding `<archive>/data.pkl`,
// a pickle of the state dict whose tensors point at raw storages `<archive>/data/<key>` through persistent ids.
//
// A pickle is a program: unpickling calls whatever globals it names (a checkpoint can run `os.system`). Here the
// globals resolve only against the allowlist below, small pure functions that build inert descriptors, and any other
// global aborts the parse the moment the parser meets it. Descriptors are frozen so a later BUILD opcode cannot
// rewrite them, and every view is checked against its storage before any tensor is listed.
import { unzipSync } from "fflate";
import { Parser } from "pickleparser";
import { ModelError, checkpointError } from "../errors.ts";
import { checkpointOver, numel, type Checkpoint, type Tensor } from "../tensor.ts";
import { DTYPE_BYTES, decodeFloats, isFloatDType, undecodableDType } from "./dtypes.ts";
import { readCheckpointFile } from "./file.ts";

/** torch.<Name>Storage → safetensors dtype name. */
const STORAGE_DTYPES: Readonly<Record<string, string>> = {
  DoubleStorage: "F64",
  FloatStorage: "F32",
  HalfStorage: "F16",
  BFloat16Storage: "BF16",
  LongStorage: "I64",
  IntStorage: "I32",
  ShortStorage: "I16",
  CharStorage: "I8",
  ByteStorage: "U8",
  BoolStorage: "BOOL",
};

/** A storage class named by the pickle (torch.FloatStorage, …); only ever compared, never called. */
class StorageType {
  constructor(readonly dtype: string) {
    Object.freeze(this);
  }
}

/** One `<archive>/data/<key>` entry, typed. */
class Storage {
  readonly length: number;
  constructor(
    readonly key: string,
    readonly dtype: string,
    readonly bytes: Uint8Array,
  ) {
    this.length = Math.floor(bytes.length / DTYPE_BYTES[dtype]);
    Object.freeze(this);
  }
}

/** A tensor view: storage + offset + shape + strides, all in elements. */
class TensorView {
  readonly shape: readonly number[];
  readonly stride: readonly number[];
  constructor(
    readonly storage: Storage,
    readonly offset: number,
    shape: number[],
    stride: number[],
  ) {
    this.shape = Object.freeze([...shape]);
    this.stride = Object.freeze([...stride]);
    Object.freeze(this);
  }
}

const isIndex = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isIndexList = (v: unknown): v is number[] => Array.isArray(v) && v.every(isIndex);

/** torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata?) */
function rebuildTensor(storage: unknown, offset: unknown, size: unknown, stride: unknown): TensorView {
  if (!(storage instanceof Storage) || !isIndex(offset) || !isIndexList(size) || !isIndexList(stride) || size.length !== stride.length) {
    throw new TypeError("_rebuild_tensor_v2 called with arguments that are not (storage, offset, size, stride)");
  }
  return new TensorView(storage, offset, size, stride);
}

/** torch._utils._rebuild_parameter(data, requires_grad, backward_hooks[, state]): the parameter is its data. */
function rebuildParameter(data: unknown): TensorView {
  if (!(data instanceof TensorView)) throw new TypeError("_rebuild_parameter called on something that is not a tensor");
  return data;
}

/** collections.OrderedDict(): a Map, the type the parser's SETITEMS fills. */
function orderedDict(items?: unknown): Map<unknown, unknown> {
  return new Map(Array.isArray(items) ? (items as Array<[unknown, unknown]>) : []);
}

type Global = (...args: never[]) => unknown;

function allowlist(): Map<string, Global> {
  const globals = new Map<string, Global>([
    ["collections.OrderedDict", orderedDict],
    ["torch._utils._rebuild_tensor_v2", rebuildTensor],
    ["torch._utils._rebuild_parameter", rebuildParameter],
    ["torch._utils._rebuild_parameter_with_state", rebuildParameter],
  ]);
  for (const [name, dtype] of Object.entries(STORAGE_DTYPES)) {
    globals.set(`torch.${name}`, new StorageType(dtype) as unknown as Global);
  }
  return globals;
}

/** The parser's name resolver: the allowlisted global, or a checkpoint ModelError for anything else. */
function allowlistResolver(file: string): { resolve(module: string, name: string): Global } {
  const globals = allowlist();
  return {
    resolve(module, name) {
      const found = globals.get(`${module}.${name}`);
      if (found) return found;
      throw checkpointError(
        `refusing pickle global "${module}.${name}": a checkpoint may only hold tensors and dicts, and nothing in it is executed. ` +
          "Use model.safetensors if the publisher provides one",
        { file },
      );
    },
  };
}

function readArchive(file: string, bytes: Uint8Array): { pickle: Uint8Array; entries: Record<string, Uint8Array>; prefix: string } {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (cause) {
    throw checkpointError(`not a readable zip archive (${(cause as Error).message}): the file is truncated or corrupt (re-download it)`, { file }, { cause });
  }
  const pickles = Object.keys(entries).filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pickles.length !== 1) {
    throw checkpointError(`zip archive has ${pickles.length} "<archive>/data.pkl" entries, expected one: not a torch.save checkpoint`, { file });
  }
  const prefix = pickles[0].slice(0, -"data.pkl".length);
  const byteorder = entries[`${prefix}byteorder`];
  if (byteorder && new TextDecoder().decode(byteorder).trim() !== "little") {
    throw checkpointError("big-endian torch checkpoint is not supported", { file });
  }
  return { pickle: entries[pickles[0]], entries, prefix };
}

/** The state dict's tensors, in pickle order, with every view checked against its storage. */
function unpickleStateDict(file: string, bytes: Uint8Array): Map<string, TensorView> {
  const { pickle, entries, prefix } = readArchive(file, bytes);
  const storages = new Map<string, Storage>();
  const loadStorage = (pid: unknown): Storage => {
    const [kind, type, key] = Array.isArray(pid) ? pid : [];
    if (kind !== "storage" || !(type instanceof StorageType) || typeof key !== "string") {
      throw checkpointError(`unexpected persistent id ${JSON.stringify(pid)} in data.pkl`, { file });
    }
    const cached = storages.get(key);
    if (cached) return cached;
    const data = entries[`${prefix}data/${key}`];
    if (!data) throw checkpointError(`storage "${prefix}data/${key}" is missing from the zip archive`, { file });
    const storage = new Storage(key, type.dtype, data);
    storages.set(key, storage);
    return storage;
  };
  let root: unknown;
  try {
    root = new Parser({
      nameResolver: allowlistResolver(file),
      persistentResolver: { resolve: loadStorage },
      unpicklingTypeOfDictionary: "Map",
    }).parse(pickle);
  } catch (cause) {
    if (cause instanceof ModelError) throw cause;
    throw checkpointError(`cannot unpickle data.pkl (${(cause as Error).message})`, { file }, { cause });
  }
  if (!(root instanceof Map)) {
    throw checkpointError("data.pkl does not hold a dict of tensors (expected a state_dict saved with torch.save)", { file });
  }
  const tensors = new Map<string, TensorView>();
  for (const [name, value] of root) {
    if (typeof name !== "string" || !(value instanceof TensorView)) continue;
    const { storage, offset, shape, stride } = value;
    const last = offset + spannedElements(shape, stride) - 1;
    if (numel(shape) > 0 && last >= storage.length) {
      throw checkpointError(`view reaches element ${last} of storage data/${storage.key}, which holds ${storage.length}: the file is truncated or corrupt`, {
        file,
        tensor: name,
      });
    }
    tensors.set(name, value);
  }
  if (tensors.size === 0) {
    throw checkpointError("data.pkl holds no tensors at its top level (expected a state_dict saved with torch.save)", { file });
  }
  return tensors;
}

/** Storage elements from a view's first element to its last, inclusive (for a non-empty view). */
function spannedElements(shape: readonly number[], stride: readonly number[]): number {
  return 1 + shape.reduce((sum, d, i) => sum + (d - 1) * stride[i], 0);
}

/** Row-major copy of a strided view; `span` holds the storage elements from the view's offset on. */
function gather(span: Float32Array, shape: readonly number[], stride: readonly number[]): Float32Array {
  const out = new Float32Array(numel(shape));
  const index = shape.map(() => 0);
  let at = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = span[at];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) {
        at += stride[d];
        break;
      }
      at -= (shape[d] - 1) * stride[d];
      index[d] = 0;
    }
  }
  return out;
}

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

function decodeView(view: TensorView, where: { file: string; tensor: string }): Tensor {
  const { storage, offset, shape, stride } = view;
  const dtype = storage.dtype;
  if (!isFloatDType(dtype)) throw undecodableDType(dtype, where);
  const n = numel(shape);
  const size = DTYPE_BYTES[dtype];
  if (n === 0) return { shape: [...shape], data: new Float32Array(0) };
  const contiguous = isContiguous(shape, stride);
  const extent = contiguous ? n : spannedElements(shape, stride);
  const span = decodeFloats(storage.bytes.subarray(offset * size, (offset + extent) * size), dtype);
  return { shape: [...shape], data: contiguous ? span : gather(span, shape, stride) };
}

/** True for the pre-1.6 torch.save format: a bare pickle (protocol 2) instead of a zip. */
function isLegacyTorch(bytes: Uint8Array): boolean {
  return bytes[0] === 0x80 && bytes[1] === 0x02;
}

/**
 * Opens a `pytorch_model.bin` written by torch.save ≥ 1.6 (read from disk unless `bytes` is given). Strided views and
 * shared storages (a decoder tied to the word embeddings) are supported; F32/F16/BF16 decode to float32.
 */
export function openTorch(file: string, bytes: Uint8Array = readCheckpointFile(file)): Checkpoint {
  if (isLegacyTorch(bytes)) {
    throw checkpointError("legacy torch.save format (PyTorch < 1.6) is not supported; re-save with a current PyTorch or use model.safetensors", { file });
  }
  const tensors = unpickleStateDict(file, bytes);
  return checkpointOver(
    file,
    tensors,
    (v) => ({ dtype: v.storage.dtype, shape: v.shape }),
    (v, name) => decodeView(v, { file, tensor: name }),
  );
}
