// `--shard i/n`: which records of the input one machine encodes.
//
// Shard i takes the i-th of n contiguous runs of the input, cut at window boundaries: concatenating the outputs of
// shards 0..n-1 then gives the unsharded output byte for byte, because
// - contiguous runs keep input order (a round-robin split would interleave and need a merge step);
// - every window (the unit sorted by length and cut into model batches, at record positions k·W) lies whole in one
//   shard, so each shard runs exactly the batches the unsharded run would, and float results cannot differ in the
//   last bits because a batch was padded differently.
// Cutting by position needs the record count up front: a sharded run reads its input twice (a fast count, then
// the shard's records), so it takes a file, not stdin.

export interface Shard {
  index: number;
  count: number;
}

/** Parses "i/n" (0 ≤ i < n); undefined when malformed, for the caller to word the usage error. */
export function parseShard(text: string): Shard | undefined {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) return undefined;
  const [index, count] = [Number(match[1]), Number(match[2])];
  return count >= 1 && index < count ? { index, count } : undefined;
}

/** Records [start, end) of `total` that shard i of n encodes, with windows of `window` records kept whole. */
export function shardRange(total: number, window: number, shard: Shard): { start: number; end: number } {
  const windows = Math.ceil(total / window);
  const first = Math.floor((shard.index * windows) / shard.count);
  const last = Math.floor(((shard.index + 1) * windows) / shard.count);
  return { start: Math.min(total, first * window), end: Math.min(total, last * window) };
}
