// One entry point for weights on disk: the format is chosen by the file's magic bytes, not its name, because
// Hub repositories name files freely (`pytorch_model.bin` is a zip, a `.bin` may also be safetensors).
import type { Checkpoint } from "../tensor.ts";
import { readCheckpointFile } from "./file.ts";
import { openSafetensors } from "./safetensors.ts";
import { openTorch } from "./torch.ts";

export { encodeSafetensors, openSafetensors, type EncodeSafetensorsOptions } from "./safetensors.ts";
export { openTorch } from "./torch.ts";

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const PICKLE_PROTOCOL_2 = [0x80, 0x02];

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}

/**
 * Opens a PyTorch zip checkpoint or a safetensors file (read from disk unless `bytes` is given); errors name the path
 * (and the tensor, where one is at fault).
 */
export function openCheckpoint(path: string, bytes: Uint8Array = readCheckpointFile(path)): Checkpoint {
  // A bare pickle is a pre-1.6 torch.save file; openTorch explains that it is not supported.
  if (startsWith(bytes, ZIP_MAGIC) || startsWith(bytes, PICKLE_PROTOCOL_2)) return openTorch(path, bytes);
  return openSafetensors(path, bytes);
}
