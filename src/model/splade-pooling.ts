// A model's own SPLADE rules, read from its folder as sentence-transformers 5.x reads them (@85ec645, docs/model-sources.md
// §5): the activation from its SpladePooling module's config.json, the special token ids from its tokenizer, and the
// document max length as MLMTransformer takes it.
import { existsSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { SPLADE_ACTIVATIONS, type ModelConfig, type SpladeActivation } from "./architectures.ts";
import { checkpointError } from "./errors.ts";
import type { MaxLengthSource, ModelRole } from "./manifest-format.ts";

async function readJsonObject(file: string): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch (cause) {
    throw checkpointError(cause instanceof SyntaxError ? `not valid JSON: ${cause.message}` : "cannot be read", { file }, { cause });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw checkpointError("must be a JSON object", { file });
  return value as Record<string, unknown>;
}

/**
 * The SpladePooling module folder of a sentence-transformers repo for the role: `document_<i>_SpladePooling` (Router
 * repos, e.g. OpenSearch's doc-v2/v3), `query_<i>_SpladePooling` (naver's query repo), or `<i>_SpladePooling` (a plain
 * SparseEncoder). Undefined when the repo has none (naver's efficient-SPLADE doc repo, a bare transformers folder).
 */
export function spladePoolingFolder(repoDir: string, role: ModelRole): string | undefined {
  const pattern = new RegExp(`^(${role === "doc" ? "document" : "query"}_)?\\d+_SpladePooling$`);
  const found = readdirSync(repoDir).filter((f) => pattern.test(f) && existsSync(join(repoDir, f, "config.json")));
  if (found.length > 1) throw checkpointError(`holds ${found.join(" and ")}: one SpladePooling module per role is expected`, { file: repoDir });
  return found[0];
}

/**
 * The activation of the repo's SpladePooling config for the role (SpladePooling.py: `pooling_strategy` "max" | "sum",
 * `activation_function` "relu" | "log1p_relu"), else undefined. Only max pooling is what SPLADE's graph computes.
 */
export async function readSpladeActivation(repoDir: string, role: ModelRole): Promise<{ activation: SpladeActivation; file: string } | undefined> {
  const folder = spladePoolingFolder(repoDir, role);
  if (!folder) return undefined;
  const file = join(repoDir, folder, "config.json");
  const config = await readJsonObject(file);
  const strategy = config.pooling_strategy ?? "max";
  if (strategy !== "max") throw checkpointError(`"pooling_strategy": ${JSON.stringify(strategy)} is not supported (max only)`, { file });
  const activation = config.activation_function ?? "relu";
  if (!SPLADE_ACTIVATIONS.includes(activation as SpladeActivation)) {
    throw checkpointError(`"activation_function": ${JSON.stringify(activation)} is not supported (${SPLADE_ACTIVATIONS.join(", ")})`, { file });
  }
  return { activation: activation as SpladeActivation, file: `${folder}/config.json` };
}

/** Every token tokenizer.json marks special (BERT: [PAD], [UNK], [CLS], [SEP], [MASK]), by id. */
export function specialTokenIds(tokenizerJson: string): number[] {
  const added = (JSON.parse(tokenizerJson) as { added_tokens?: Array<{ id: number; special?: boolean }> }).added_tokens ?? [];
  return added
    .filter((t) => t.special === true)
    .map((t) => t.id)
    .sort((a, b) => a - b);
}

/**
 * The longest document the model takes, as MLMTransformer's `max_seq_length` is set: sentence_bert_config.json's
 * `max_seq_length`, else min(config max_position_embeddings, tokenizer `model_max_length`); `cap` (--max-length) lowers
 * it. Never above the positions the model has.
 */
export async function documentMaxLength(
  dir: string,
  config: ModelConfig,
  tokenizerConfig: Record<string, unknown> | undefined,
  cap: number | undefined,
): Promise<{ maxLength: number; from: MaxLengthSource }> {
  let own: { maxLength: number; from: MaxLengthSource } = { maxLength: config.maxPositions, from: "config" };
  const stFile = join(dir, "sentence_bert_config.json");
  const fromSt = existsSync(stFile) ? (await readJsonObject(stFile)).max_seq_length : undefined;
  const fromTokenizer = tokenizerConfig?.model_max_length;
  if (typeof fromSt === "number" && Number.isInteger(fromSt) && fromSt > 0) {
    own = { maxLength: Math.min(fromSt, config.maxPositions), from: "sentence_bert_config" };
  } else if (typeof fromTokenizer === "number" && Number.isInteger(fromTokenizer) && fromTokenizer > 0 && fromTokenizer <= config.maxPositions) {
    // transformers writes a huge sentinel (int(1e30)) for "no limit": it is above the positions, so config wins.
    own = { maxLength: fromTokenizer, from: "tokenizer" };
  }
  return cap !== undefined && cap < own.maxLength ? { maxLength: cap, from: "option" } : own;
}
