// The isolate's model state (src/worker/model.ts) on the generated query model, through assets that can be emptied and
// refilled: a failed load is forgotten so the next request retries (as when `npm run model -- fetch` fills the folder
// while `wrangler dev` runs), one load serves every request, and the load reports each of its stages.
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { listVocabulary } from "../../src/model/tokenizer-json";
import { IsolateModel } from "../../src/worker/model";
import { ApiError } from "../../src/worker/errors";
import { maxDifference, type Golden } from "./golden";
import { tokenizerCases } from "./tokenizer-cases";

const golden = JSON.parse(inject("goldenJson")) as Golden;

/** env.ASSETS with the files in `missing` answering 404, and the path of every request made (`query/encoder.bin`). */
function assets(missing: Set<string>): { binding: Fetcher; requests: string[] } {
  const requests: string[] = [];
  const fetch = (input: RequestInfo | URL) => {
    const path = new URL(input instanceof Request ? input.url : input).pathname.slice(1);
    requests.push(path);
    return missing.has(path) ? Promise.resolve(new Response("not found", { status: 404 })) : env.ASSETS.fetch(input);
  };
  return { binding: { fetch } as unknown as Fetcher, requests };
}

/** The isolate's model, which for the generated query model these tests serve is a transformer on the kernel. */
async function kernelModel(isolate: IsolateModel, binding: Fetcher) {
  const model = await isolate.model(binding);
  if (model.kind !== "transformer") throw new Error(`the generated query model is a transformer, not ${model.kind}`);
  return model;
}

describe("IsolateModel", () => {
  it("forgets a load that failed on a missing encoder.bin, and the next request loads and encodes", async () => {
    const missing = new Set(["query/encoder.bin"]);
    const { binding, requests } = assets(missing);
    const isolate = new IsolateModel();
    const failed = await isolate.model(binding).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(ApiError);
    expect((failed as ApiError).message).toContain("model/query/encoder.bin is missing");
    expect(isolate.loadedModel()).toBeUndefined();
    expect(isolate.prepareInBackground()).toBeUndefined();

    missing.clear();
    const model = await isolate.model(binding);
    expect(isolate.loadedModel()).toBe(model);
    // The manifest loaded the first time is kept: only the model's files are asked for again.
    expect(requests.filter((p) => p === "query/manifest.json")).toHaveLength(1);
    expect(requests.filter((p) => p === "query/encoder.bin")).toHaveLength(2);
    const [query] = golden.queries;
    const [vector] = await model.encoder.encode([query.text]);
    expect(vector.tokens).toBe(query.ids.length);
    expect(maxDifference({ indices: [...vector.indices], values: [...vector.values] }, query.weights)).toBeLessThanOrEqual(1e-4);
  });

  it("forgets a manifest that was missing", async () => {
    const missing = new Set(["query/manifest.json"]);
    const { binding } = assets(missing);
    const isolate = new IsolateModel();
    await expect(isolate.manifest(binding)).rejects.toThrow("model/query/manifest.json is missing");
    await expect(isolate.model(binding)).rejects.toThrow("model/query/manifest.json is missing");
    expect(isolate.loadedManifest()).toBeUndefined();
    missing.clear();
    expect((await isolate.model(binding)).manifest).toBe(isolate.loadedManifest());
  });

  it("loads once for concurrent requests, and its int8 preparation runs once, then is done", async () => {
    const { binding, requests } = assets(new Set());
    const isolate = new IsolateModel();
    const [a, b] = await Promise.all([kernelModel(isolate, binding), kernelModel(isolate, binding)]);
    expect(a).toBe(b);
    expect(requests.filter((p) => p === "query/encoder.bin")).toHaveLength(1);
    expect(a.kernel.head.prepared).toBe(false);
    const preparing = isolate.prepareInBackground();
    expect(preparing).toBeDefined();
    expect(isolate.prepareInBackground()).toBe(preparing);
    await preparing;
    expect(a.kernel.head.prepared).toBe(true);
    expect(isolate.prepareInBackground()).toBeUndefined();
  });

  it("tokenizes from worker-tokenizer.json as Hugging Face's Rust tokenizers do from tokenizer.json, and names every id as it does", async () => {
    const { encoder } = await new IsolateModel().model(assets(new Set()).binding);
    const { cases } = inject("tokenizerGolden");
    const differing = tokenizerCases().filter(
      (c, i) =>
        encoder.tokenizer.encode(c.text).length !== cases[i].ids.length ||
        (cases[i].ids.length <= 256 && encoder.tokenizer.encode(c.text).ids.join() !== cases[i].ids.join()),
    );
    expect(differing).toEqual([]);
    const vocab = (JSON.parse(inject("tokenizerGolden").tokenizerJson) as { model: { vocab: Record<string, number> } }).model.vocab;
    const named = Object.entries(vocab).filter(([token, id]) => encoder.tokenizer.token(id) !== token);
    expect(named).toEqual([]);
    expect(encoder.tokenizer.vocabSize).toBe(Object.keys(vocab).length);
  });

  it("reports every stage of the load, each step within the part it belongs to", async () => {
    const { timings } = await kernelModel(new IsolateModel(), assets(new Set()).binding);
    const stages: Array<keyof typeof timings> = [
      "load-manifest",
      "load-tokenizer",
      "load-kernel",
      "tokenizer-fetch",
      "tokenizer-parse",
      "tokenizer-build",
      "kernel-fetch",
      "kernel-instantiate",
      "kernel-copy",
      "kernel-setup",
    ];
    expect(Object.keys(timings).sort()).toEqual([...stages].sort());
    // `load-*` are when each part was ready, from the load's start; the steps of a part add up to at most that.
    const kernelSteps = timings["kernel-fetch"] + timings["kernel-instantiate"] + timings["kernel-copy"] + timings["kernel-setup"];
    const tokenizerSteps = timings["tokenizer-fetch"] + timings["tokenizer-parse"] + timings["tokenizer-build"];
    expect(timings["load-kernel"]).toBeGreaterThanOrEqual(timings["load-manifest"] + kernelSteps - 0.01);
    expect(timings["load-tokenizer"]).toBeGreaterThanOrEqual(timings["load-manifest"] + tokenizerSteps - 0.01);
  });
});

describe("listVocabulary (worker-tokenizer.json)", () => {
  const wordPiece = (vocab: Record<string, number>) => ({ model: { type: "WordPiece", unk_token: "[UNK]", vocab }, added_tokens: [] });

  it("lists the tokens in id order and keeps the rest of tokenizer.json", () => {
    expect(listVocabulary({ ...wordPiece({ b: 1, "[UNK]": 2, a: 0 }), normalizer: null })).toEqual({
      model: { type: "WordPiece", unk_token: "[UNK]", vocab: ["a", "b", "[UNK]"] },
      added_tokens: [],
      normalizer: null,
    });
  });

  it.each([
    ["an id twice", { a: 0, b: 0 }],
    ["a gap", { a: 0, b: 2 }],
    ["a negative id", { a: -1, b: 0 }],
  ])("refuses a vocabulary with %s", (_, vocab) => {
    expect(() => listVocabulary(wordPiece(vocab))).toThrow("is not the ids 0 to 1 once each");
  });

  it("refuses a model that is not WordPiece", () => {
    expect(() => listVocabulary({ model: { type: "BPE", vocab: { a: 0 } } })).toThrow("no WordPiece vocabulary");
  });
});
