// POST /embed_sparse: text-embeddings-inference's request and answer, and its answers to an empty list, an empty, too
// long or one too many input as TEI v1.9.3 gives them (router/src/http/server.rs, core/src/tokenization.rs), so TEI
// clients work unchanged. TEI's wire spelling of those errors is a TeiError, which errors.ts answers with TEI's own
// `error_type` and status; every other failure (a body that is not JSON, the token budget) answers as on /encode.
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { teiSparse } from "../../encoder/formats/index.ts";
import { TeiError } from "../errors";
import { checkTokenBudget, MAX_QUERIES, rateLimit } from "../limits";
import {
  answersOf,
  BODY_ERRORS,
  ENCODE_ERRORS,
  ENCODED_HEADERS,
  errorExamples,
  errorResponses,
  type Example,
  invalid,
  jsonAnswer,
  jsonBody,
  KEYED,
  LIMITED_ERRORS,
} from "../openapi";
import { requireJson } from "../requests";
import { settingsOf, type AppEnv } from "../settings";
import { encodeTimed, encodeTiming, loadEncoderTimed } from "./encoding";

const EMBED_SPARSE_EXAMPLES: Record<string, Example> = {
  batch: {
    summary: "Two inputs, truncating long ones",
    request: { inputs: ["red planet", "ringed planet"], truncate: true },
    response: jsonAnswer([
      [
        { index: 2417, value: 1.87 },
        { index: 4774, value: 2.02 },
        { index: 7733, value: 2.41 },
      ],
      [
        { index: 3614, value: 1.95 },
        { index: 4774, value: 2.2 },
      ],
    ]),
  },
  single: { summary: "One input as a string", request: { inputs: "red planet" }, response: jsonAnswer([[{ index: 4774, value: 2.02 }]]) },
  "no-inputs": {
    summary: "An empty list (TEI's 400 Empty)",
    request: { inputs: [] },
    response: { status: 400, value: { error: "`inputs` cannot be empty", error_type: "Empty" } },
  },
  "bad-truncate": {
    summary: "truncate that is not a boolean",
    request: { inputs: "mars", truncate: "yes" },
    response: invalid("truncate must be true or false"),
  },
};

/** POST /embed_sparse as text-embeddings-inference takes it; fields TEI knows and we do not use are ignored. */
const embedSparseBody = z
  .object(
    {
      inputs: z
        .union([z.string(), z.array(z.string())], { error: "must be a string or a list of strings" })
        .meta({ description: `One text or a list of 1 to ${MAX_QUERIES}; the answer is one list of {index, value} per text.` }),
      truncate: z
        .boolean({ error: "must be true or false" })
        .nullish()
        .meta({ description: "Cut a text longer than the model's maximum length (keeping the final [SEP]) instead of refusing it (default false)." }),
      truncation_direction: z
        .literal("Right", {
          error: (issue) =>
            typeof issue.input === "string"
              ? `${JSON.stringify(issue.input)} is not supported: splade-edge truncates on the right, keeping the final [SEP] (must be "Right")`
              : 'must be "Right"',
        })
        .nullish()
        // zod-to-openapi 9 writes a nullable literal as {"type": ["string", "null"], "enum": ["Right"]}, which refuses null.
        .meta({ description: 'Only "Right" (TEI\'s default) is supported.', enum: ["Right", null] }),
    },
    { error: "the request body must be a JSON object" },
  )
  .transform(({ inputs, truncate }) => ({ inputs: typeof inputs === "string" ? [inputs] : inputs, truncate: truncate ?? false }));

const teiAnswer = z
  .array(z.array(z.strictObject({ index: z.int().nonnegative(), value: z.number() })))
  .meta({ description: "One list per input of its non-zero terms as {index: token id, value: weight}, index ascending (TEI's answer)." });

const embedSparseRoute = createRoute({
  method: "post",
  path: "/embed_sparse",
  summary: "text-embeddings-inference's /embed_sparse",
  description: `TEI's request and answer, and TEI v1.9.3's errors: 400 {"error_type": "Empty"} for an empty list, 422 {"error_type": "Validation"} for an empty, too long (truncate false) or one too many (over ${MAX_QUERIES}) input, so TEI clients work unchanged. Fields TEI knows and splade-edge does not use are ignored.`,
  middleware: [rateLimit, encodeTiming, requireJson] as const,
  request: { body: jsonBody(embedSparseBody, EMBED_SPARSE_EXAMPLES) },
  ...KEYED,
  responses: {
    200: {
      description: "One list of non-zero terms per input.",
      headers: ENCODED_HEADERS,
      content: { "application/json": { schema: teiAnswer, examples: answersOf(EMBED_SPARSE_EXAMPLES, 200) } },
    },
    ...errorResponses([...BODY_ERRORS, ...LIMITED_ERRORS, ...ENCODE_ERRORS], errorExamples(EMBED_SPARSE_EXAMPLES), true),
  },
});

export function registerEmbedSparse(app: OpenAPIHono<AppEnv>): void {
  app.openapi(embedSparseRoute, async (c) => {
    const { inputs, truncate } = c.req.valid("json");
    if (inputs.length === 0) throw new TeiError("Empty", "`inputs` cannot be empty");
    if (inputs.some((s) => s === "")) throw new TeiError("Validation", "Input validation error: `inputs` cannot be empty");
    if (inputs.length > MAX_QUERIES) throw new TeiError("Validation", `batch size ${inputs.length} > maximum allowed batch size ${MAX_QUERIES}`);
    const encoder = await loadEncoderTimed(c);
    const vectors = await encodeTimed(c, encoder, inputs, {}, (tokenized) => {
      checkTokenBudget(tokenized, settingsOf(c.env).maxBatchTokens);
      const tooLong = truncate ? undefined : tokenized.find((t) => t.truncated);
      if (tooLong) {
        const max = encoder.tokenizer.maxLength;
        throw new TeiError("Validation", `Input validation error: \`inputs\` must have less than ${max} tokens. Given: ${tooLong.length}`);
      }
    });
    return c.json(vectors.map(teiSparse), 200);
  });
}
