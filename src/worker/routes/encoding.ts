// What the two routes that run the model share: the isolate's encoder, and one timed batch through it. Both report
// their stages in Server-Timing and their token counts in X-Splade-Tokens / X-Splade-Truncated.
import type { Context } from "hono";
import { endTime, setMetric, startTime, timing } from "hono/timing";
import type { EncodedText, SpladeEncoder } from "../../encoder/encoder.ts";
import type { SparsifyOptions } from "../../encoder/sparse.ts";
import type { TokenizedText } from "../../encoder/tokenizer.ts";
import { afterResponse } from "../after-response";
import { isolateModel } from "../model";
import type { AppEnv } from "../settings";

// performance.now() in a deployed Worker advances only on I/O (a Spectre mitigation), so these durations are
// coarse there; under `wrangler dev` they advance, to the millisecond.
/** Server-Timing for a route that runs the model: the stages below, and the request's total. */
export const encodeTiming = timing({ totalDescription: "", crossOrigin: true });

/** The isolate's encoder; the request that waited for its load reports the load's stages in Server-Timing. */
export async function loadEncoderTimed(c: Context<AppEnv>): Promise<SpladeEncoder> {
  const loaded = isolateModel.loadedModel() !== undefined;
  const { encoder, timings } = await isolateModel.model(c.env.ASSETS);
  if (!loaded) for (const [name, ms] of Object.entries(timings)) setMetric(c, name, ms);
  return encoder;
}

/** Tokenizes and encodes in one batch, reporting both stages in Server-Timing; `check` may refuse the tokenized texts. */
export async function encodeTimed(
  c: Context<AppEnv>,
  encoder: SpladeEncoder,
  texts: readonly string[],
  options: SparsifyOptions,
  check?: (tokenized: readonly TokenizedText[]) => void,
): Promise<EncodedText[]> {
  startTime(c, "tokenize");
  const tokenized = texts.map((t) => encoder.tokenizer.encode(t));
  endTime(c, "tokenize");
  check?.(tokenized);
  startTime(c, "inference");
  const vectors = await encoder.encodeTokenized(tokenized, options);
  endTime(c, "inference");
  afterResponse(c, isolateModel.prepareInBackground(), "preparing the kernel's int8 decoder");
  c.header("X-Splade-Tokens", vectors.map((v) => v.tokens).join(","));
  c.header("X-Splade-Truncated", vectors.map((v) => v.truncated).join(","));
  return vectors;
}
