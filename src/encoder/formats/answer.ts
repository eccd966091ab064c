// The pieces the JSON query sides build their answer schemas from (`QuerySide.answer(z)`): zod schemas of one query's
// answer, which the Worker's GET /openapi.json publishes (src/worker/routes/encode.ts collects them) and its tests
// check real answers against. They describe what `render` writes; nothing validates an answer at run time. Built with
// the zod the caller hands in: the encoder core imports none, so the CLIs, which never need it, do not bundle it.
import type * as zod from "zod";

export type Zod = typeof zod.z;
export type AnswerSchema = zod.ZodType;

/** term → weight, in weight order (TermWeights). */
export const termWeights = (z: Zod) => z.record(z.string(), z.number()).meta({ description: "term → weight, heaviest first" });
export const tokenIds = (z: Zod) => z.array(z.int().nonnegative()).meta({ description: "token ids (0-based), heaviest first" });
export const tokenWeights = (z: Zod) => z.array(z.number()).meta({ description: "the weights of `indices`, in the same order" });

/** What the model's own views (terms, ids) say beside the vector. */
export const encodedFields = (z: Zod) => ({
  model: z.string().meta({ description: "the model's Hub id" }),
  tokens: z.int().min(2).meta({ description: "tokens fed to the model, [CLS] and [SEP] included" }),
  truncated: z.boolean().meta({ description: "whether the query was cut to the model's maximum length (keeping the final [SEP])" }),
});
