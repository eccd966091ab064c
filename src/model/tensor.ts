import { checkpointError } from "./errors.ts";
/** A dense float32 tensor, row-major. Checkpoint readers widen F16/BF16 to this on read. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

/** Tensors by their checkpoint name. */
export type TensorMap = Map<string, Tensor>;

/** A checkpoint file opened for reading; tensors are decoded only when asked for. */
export interface Checkpoint {
  /** Path of the file, used in every error message. */
  readonly file: string;
  names(): string[];
  has(name: string): boolean;
  /** Stored dtype as the format names it (safetensors "F32", torch "FloatStorage" → "F32", …). */
  dtype(name: string): string;
  shape(name: string): number[];
  /** Decodes one tensor to float32; throws a checkpoint ModelError for unknown names or non-float dtypes. */
  get(name: string): Tensor;
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * A Checkpoint over a table of entries: the readers differ only in what an entry is and how it decodes.
 * `describe` gives an entry's stored dtype and shape; `decode` turns it into float32 (or throws).
 */
export function checkpointOver<E>(
  file: string,
  entries: ReadonlyMap<string, E>,
  describe: (entry: E) => { dtype: string; shape: readonly number[] },
  decode: (entry: E, name: string) => Tensor,
): Checkpoint {
  const entry = (name: string): E => {
    const e = entries.get(name);
    if (e === undefined) throw checkpointError("no such tensor", { file, tensor: name });
    return e;
  };
  return {
    file,
    names: () => [...entries.keys()],
    has: (name) => entries.has(name),
    dtype: (name) => describe(entry(name)).dtype,
    shape: (name) => [...describe(entry(name)).shape],
    get: (name) => decode(entry(name), name),
  };
}

/** A Checkpoint over tensors already in memory (generated weights, tests). */
export function memoryCheckpoint(tensors: TensorMap, file = "<memory>"): Checkpoint {
  return checkpointOver(
    file,
    tensors,
    (t) => ({ dtype: "F32", shape: t.shape }),
    (t) => t,
  );
}
