// The whole encoder on the kernel (encoder.c + splade-head.c, through SpladeKernel) against the float64 forward pass
// (src/model/reference.ts): the generated fixtures at their real configs, and small in-memory models for what the
// fixtures do not cover (gelu_new, relu, an untied decoder, more layers and heads).
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { buildWasm, clangVersion, CLANG, CLANG_VERSION, ERF_HEADER, WASM_BUILDS } from "../../src/kernel/build.ts";
import { KernelWeightsError, SpladeKernel } from "../../src/kernel/encoder-kernel.ts";
import { ERFCX_ZMAX, erfcx, erfcxCoefficients, erfcxFit, erfHeader } from "../../src/kernel/erf-table.ts";
import { kernelMemoryBytes, type KernelLayout } from "../../src/kernel/contract.ts";
import { buildKernelWeights } from "../../src/model/encoder-bin.ts";
import { loadEncoder, parseConfig, type Activation, type EncoderConfig, type MlmEncoder } from "../../src/model/architectures.ts";
import { memoryCheckpoint } from "../../src/model/tensor.ts";
import { openCheckpoint } from "../../src/model/checkpoint/index.ts";
import { FIXTURE_ROOT } from "../../src/model/fixture.ts";
import { randomWeights } from "../../src/model/random.ts";
import { referenceSplade } from "../../src/model/reference.ts";
import { seededUniform } from "../../src/model/random.ts";
import { CLS, SEP, dense, kernelModule, randomIds } from "./harness.ts";

/** The bar every response must meet against the float64 reference; the kernel keeps ~1e-6. */
const VS_REFERENCE = 1e-4;
/** A term whose reference weight is below this may be 0 on one side (float32 cannot decide the sign of its logit). */
const TIE = 1e-6;

function fixtureModel(name: string): MlmEncoder {
  const dir = `${FIXTURE_ROOT}/hf/${name}`;
  return loadEncoder(parseConfig(JSON.parse(readFileSync(`${dir}/config.json`, "utf8")), "config.json"), openCheckpoint(`${dir}/model.safetensors`));
}

function expectMatchesReference(kernel: SpladeKernel, model: MlmEncoder, ids: number[]): void {
  const expected = referenceSplade(model, ids);
  const out = kernel.encode(ids);
  const got = dense(out, expected.length);
  let worst = 0;
  const disagree: number[] = [];
  for (let v = 0; v < expected.length; v++) {
    worst = Math.max(worst, Math.abs(got[v] - expected[v]));
    if (got[v] > 0 !== expected[v] > 0 && Math.max(got[v], expected[v]) > TIE) disagree.push(v);
  }
  expect(worst).toBeLessThanOrEqual(VS_REFERENCE);
  expect(disagree).toEqual([]);
  expect([...out.indices]).toEqual([...out.indices].sort((a, b) => a - b));
}

function kernelOf(model: MlmEncoder, maxLength: number): { kernel: SpladeKernel; layout: KernelLayout; bytes: Uint8Array } {
  const { bytes, layout } = buildKernelWeights(model, maxLength);
  return { kernel: SpladeKernel.create(kernelModule(), bytes, layout), layout, bytes };
}

describe.each(["query-sparse", "query", "doc"])("the %s fixture on the kernel", (name) => {
  const model = fixtureModel(name);
  const { kernel, layout } = kernelOf(model, 256);

  it("holds the decoder once when it is tied", () => {
    expect(layout.config.tied).toBe(true);
    expect(layout.tensors["decoder.weight"]).toBeUndefined();
  });

  it.each([1, 2, 10, 33, 256])("matches the float64 forward pass at T = %i", (length) => {
    const ids = length === 1 ? [CLS] : length === 2 ? [CLS, SEP] : randomIds(length, 700 + length);
    expectMatchesReference(kernel, model, ids);
  });

  it("gives a sequence the same bits whatever ran before it", () => {
    const ids = randomIds(12, 5);
    const first = kernel.encode(ids);
    kernel.encode(randomIds(200, 6));
    const again = kernel.encode(ids);
    expect([again.indices, again.values]).toEqual([first.indices, first.values]);
  });
});

/** A small model of `config` from the seed; optionally with its own decoder matrix instead of the tied one. */
function smallModel(config: Partial<EncoderConfig> & { activation: Activation }, seed: number, untied = false): MlmEncoder {
  const full: EncoderConfig = {
    architecture: "BertForMaskedLM",
    vocabSize: 3000,
    hiddenSize: 64,
    numLayers: 3,
    numHeads: 4,
    intermediateSize: 192,
    maxPositions: 64,
    typeVocabSize: 2,
    layerNormEps: 1e-12,
    ...config,
  };
  const model = loadEncoder(full, memoryCheckpoint(randomWeights(full, { seed, std: 0.2 })));
  if (!untied) return model;
  const u = seededUniform(seed + 1);
  const decoder = Float32Array.from(model.head.decoder.data, () => (u() - 0.5) * 0.6);
  return { ...model, head: { ...model.head, decoder: { shape: model.head.decoder.shape, data: decoder } } };
}

/** Seeded token ids below 3000: within the small models' vocabulary. */
const ids = (length: number, seed: number) => {
  const u = seededUniform(seed);
  return Array.from({ length }, () => Math.floor(u() * 3000));
};

describe("small models on the kernel", () => {
  it.each<[string, Partial<EncoderConfig> & { activation: Activation }, boolean]>([
    ["BERT, gelu_new", { activation: "gelu_new" }, false],
    ["BERT, relu", { activation: "relu" }, false],
    ["BERT, gelu, untied decoder", { activation: "gelu" }, true],
    ["DistilBERT, gelu, 1 head of 64", { architecture: "DistilBertForMaskedLM", typeVocabSize: 0, numHeads: 1, activation: "gelu" }, false],
    [
      "BERT, gelu, 8 heads of 16, 1 layer, no FFN width beyond 16",
      { numHeads: 8, hiddenSize: 128, numLayers: 1, intermediateSize: 16, activation: "gelu" },
      false,
    ],
  ])("%s matches the float64 forward pass", (_, config, untied) => {
    const model = smallModel(config, 40, untied);
    const { kernel, layout } = kernelOf(model, 64);
    expect(layout.config.tied).toBe(!untied);
    for (const length of [1, 7, 64]) expectMatchesReference(kernel, model, ids(length, length));
  });

  it("refuses ids outside the vocabulary and lengths beyond its positions, and keeps working", () => {
    const model = smallModel({ activation: "gelu" }, 41);
    const { kernel } = kernelOf(model, 16);
    expect(() => kernel.encode([1, 3000])).toThrow(/token id 3000 at 1 is outside the vocabulary \[0, 3000\)/);
    expect(() => kernel.encode([1, -1])).toThrow(RangeError);
    expect(() => kernel.encode([1.5])).toThrow(RangeError);
    expect(() => kernel.encode([])).toThrow(/0 tokens: the kernel encodes 1 to 16/);
    expect(() => kernel.encode(ids(17, 1))).toThrow(/17 tokens/);
    expectMatchesReference(kernel, model, ids(16, 2));
  });

  it("refuses sizes encoder.c does not run, when writing and when loading", () => {
    expect(() => buildKernelWeights(smallModel({ activation: "gelu", hiddenSize: 72, intermediateSize: 144, numHeads: 2 }, 44), 16)).toThrow(
      /the splade-edge kernel cannot run this model: hidden size 72: the kernel needs a multiple of 16/,
    );
    const { bytes, layout } = buildKernelWeights(smallModel({ activation: "gelu" }, 45), 16);
    const narrowHeads = { ...layout, config: { ...layout.config, num_heads: 32 } };
    expect(() => SpladeKernel.create(kernelModule(), bytes, narrowHeads)).toThrow(/32 heads of width 2: the kernel needs a head width that is a multiple of 4/);
  });

  it("refuses to write weights that are not finite", () => {
    const model = smallModel({ activation: "gelu" }, 43);
    model.layers[1].intermediate.weight.data[5] = NaN;
    expect(() => buildKernelWeights(model, 16)).toThrow(/layers\.1\.intermediate\.weight: value \d+ is NaN — the checkpoint holds a non-finite weight/);
  });

  it("refuses weights that do not match their table", () => {
    const { bytes, layout } = buildKernelWeights(smallModel({ activation: "gelu" }, 42), 16);
    expect(() => SpladeKernel.create(kernelModule(), bytes.subarray(0, bytes.length - 4), layout)).toThrow(KernelWeightsError);
    const { "layers.1.qkv.weight": _, ...missing } = layout.tensors;
    expect(() => SpladeKernel.create(kernelModule(), bytes, { ...layout, tensors: missing })).toThrow(/tensor layers\.1\.qkv\.weight is missing/);
    const wrongShape = { ...layout.tensors, "head.norm.bias": [layout.tensors["head.norm.bias"][0], 32] };
    expect(() => SpladeKernel.create(kernelModule(), bytes, { ...layout, tensors: wrongShape })).toThrow(/head\.norm\.bias is \[32\], expected \[64\]/);
    const outside = { ...layout.tensors, "decoder.bias": [bytes.length - 8, 3000] };
    expect(() => SpladeKernel.create(kernelModule(), bytes, { ...layout, tensors: outside })).toThrow(/lies outside the file/);
    expect(() => SpladeKernel.create(kernelModule(), bytes, { ...layout, format: "other" as KernelLayout["format"] })).toThrow(
      /not splade-edge\/kernel-weights@1/,
    );
  });
});

describe("SpladeKernel.load", () => {
  const model = smallModel({ activation: "gelu" }, 46);
  const { bytes, layout } = buildKernelWeights(model, 16);
  /** The same encoder.bin as three files of uneven size, cut mid-tensor: byte ranges, not tensors, make a part. */
  const cuts = [0, 1001, Math.floor(bytes.length / 2) + 3, bytes.length];
  const parts = cuts.slice(1).map((end, i) => ({ file: `encoder-${i}.bin`, bytes: end - cuts[i], sha256: "" }));
  const split: KernelLayout = { ...layout, parts };
  const files = new Map(parts.map((part, i) => [part.file, bytes.slice(cuts[i], cuts[i + 1])]));

  it("puts each part at its place: the same bits as the whole encoder.bin, whichever part arrives first", async () => {
    const whole = SpladeKernel.create(kernelModule(), bytes, layout);
    // The last part arrives first, the first last.
    const read = (file: string) => new Promise<Uint8Array>((resolve) => setTimeout(() => resolve(files.get(file)!), 30 - 10 * Number(file[8])));
    const loaded = await SpladeKernel.load(kernelModule(), split, read);
    for (const length of [1, 7, 16]) {
      const sequence = ids(length, length);
      expect(loaded.hidden(sequence)).toEqual(whole.hidden(sequence));
      const [a, b] = [loaded.encode(sequence), whole.encode(sequence)];
      expect([[...a.indices], [...a.values]]).toEqual([[...b.indices], [...b.values]]);
    }
    expectMatchesReference(loaded, model, ids(9, 3));
    expect([loaded.memoryBytes, whole.memoryBytes]).toEqual([kernelMemoryBytes(layout.config), kernelMemoryBytes(layout.config)]);
  });

  it("names a part that is not the size its table lists, and a table whose parts do not add up", async () => {
    const short = async (file: string) => (file === "encoder-1.bin" ? files.get(file)!.subarray(4) : files.get(file)!);
    await expect(SpladeKernel.load(kernelModule(), split, short)).rejects.toThrow(
      new KernelWeightsError(`encoder-1.bin holds ${parts[1].bytes - 4} bytes, not the ${parts[1].bytes} its table lists`),
    );
    const missing = { ...split, parts: parts.slice(0, 2) };
    await expect(SpladeKernel.load(kernelModule(), missing, async (file) => files.get(file)!)).rejects.toThrow(
      `encoder-{0…1}.bin: the parts' sizes do not add up to the ${bytes.length} bytes the table lists`,
    );
  });
});

describe("the GELU's erfc", () => {
  it("fits erfcx to 3e-7 relative on [0, ZMAX] with float32 coefficients, as the committed erf-table.h says", () => {
    const c = erfcxCoefficients();
    let worst = 0;
    for (let i = 0; i <= 20_000; i++) {
      const z = (i / 20_000) * ERFCX_ZMAX;
      worst = Math.max(worst, Math.abs(erfcxFit(c, z) / erfcx(z) - 1));
    }
    expect(worst).toBeLessThan(3e-7);
    expect(readFileSync(ERF_HEADER, "utf8")).toBe(erfHeader());
  });
});

describe("the committed kernel builds", () => {
  const version = clangVersion();
  const current = version?.startsWith(CLANG_VERSION) ?? false;
  // .ci/run installs clang-16 and sets SPLADE_REQUIRE_CLANG=1: there a missing or other compiler fails the test.
  const required = process.env.SPLADE_REQUIRE_CLANG === "1";
  const reason = current || required ? "" : ` — skipped: ${version ?? `${CLANG} is not installed`}; needs ${CLANG_VERSION} (apt-get install clang-16 lld-16)`;
  // Every committed module: the encoder kernel's two builds and the search scorer.
  const builds = WASM_BUILDS.map((build) => ({ build, file: basename(build.file), sources: build.sources.join(" + ") }));
  it.skipIf(!current && !required).each(builds)(`$file ($sources) is what the committed sources compile to${reason}`, ({ build }) => {
    expect(version?.split(" (")[0] ?? `${CLANG} is not installed`).toBe(CLANG_VERSION);
    expect(Buffer.from(buildWasm(build)).equals(readFileSync(build.file))).toBe(true);
  });
});
