// Checkpoint readers against files written by real PyTorch 1.13 (test/fixtures/torch/make_fixtures.py).
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { zipSync } from "fflate";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadEncoder, parseConfig } from "../../src/model/architectures.ts";
import { floatToBFloat16, floatToHalf, halfToFloat } from "../../src/model/checkpoint/dtypes.ts";
import { encodeSafetensors, openCheckpoint, openSafetensors, openTorch } from "../../src/model/checkpoint/index.ts";
import type { Checkpoint, TensorMap } from "../../src/model/tensor.ts";

const FIXTURES = fileURLToPath(new URL("../fixtures/torch/", import.meta.url));
const fixture = (model: string, file: string) => join(FIXTURES, model, file);
const open = (model: string, file: string) => openCheckpoint(fixture(model, file));
const config = (model: string) => parseConfig(JSON.parse(readFileSync(fixture(model, "config.json"), "utf8")), fixture(model, "config.json"));
const tmp = () => mkdtempSync(join(tmpdir(), "splade-edge-checkpoint-"));

const TIED = {
  bert: { "cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight", "cls.predictions.decoder.bias": "cls.predictions.bias" },
  distilbert: { "vocab_projector.weight": "distilbert.embeddings.word_embeddings.weight" },
} as const;

const floatNames = (ckpt: Checkpoint) => ckpt.names().filter((n) => ["F32", "F16", "BF16"].includes(ckpt.dtype(n)));

function bf16ToFloat(b: number): number {
  return new Float32Array(new Uint32Array([b << 16]).buffer)[0];
}

describe.each(["bert", "distilbert"] as const)("%s: torch.save zip and safetensors of the same weights", (model) => {
  const torch = open(model, "pytorch_model.bin");
  const safetensors = open(model, "model.safetensors");

  it("lists the same tensors, plus the tied ones save_pretrained leaves out of safetensors", () => {
    expect(torch.names().sort()).toEqual([...safetensors.names(), ...Object.keys(TIED[model])].sort());
    expect(torch.names()[0]).toBe(model === "bert" ? "bert.embeddings.position_ids" : "distilbert.embeddings.word_embeddings.weight");
  });

  it("decodes every tensor identically, strided views included", () => {
    for (const name of safetensors.names()) {
      expect(torch.dtype(name), name).toBe(safetensors.dtype(name));
      expect(torch.shape(name), name).toEqual(safetensors.shape(name));
      if (safetensors.dtype(name) === "F32") expect(torch.get(name), name).toEqual(safetensors.get(name));
    }
  });

  it("reads tensors that share a storage with the tensor they are tied to", () => {
    for (const [tied, source] of Object.entries(TIED[model])) {
      expect(torch.get(tied), tied).toEqual(safetensors.get(source));
    }
  });
});

describe("strided and offset views (BERT fixture)", () => {
  const torch = open("bert", "pytorch_model.bin");
  const safetensors = open("bert", "model.safetensors");
  it.each([
    ["transposed (strides [1, 8])", "bert.encoder.layer.0.attention.self.query.weight"],
    ["fused QKV storage, offset 64", "bert.encoder.layer.1.attention.self.key.weight"],
    ["fused QKV storage, offset 128", "bert.encoder.layer.1.attention.self.value.weight"],
    ["every other column (strides [32, 2])", "bert.encoder.layer.1.output.dense.weight"],
  ])("%s", (_, name) => {
    const t = torch.get(name);
    expect(t).toEqual(safetensors.get(name));
    expect(new Set(t.data).size).toBe(t.data.length);
  });

  it("accepts bytes already read, even a pooled Buffer at an odd offset", () => {
    for (const file of ["pytorch_model.bin", "model.safetensors"]) {
      const path = fixture("bert", file);
      const pooled = Buffer.concat([Buffer.from([0]), readFileSync(path)]).subarray(1);
      const ckpt = openCheckpoint(path, pooled);
      for (const name of floatNames(safetensors)) expect(ckpt.get(name), name).toEqual(safetensors.get(name));
    }
  });

  it("returns a fresh array on every get", () => {
    const name = "bert.embeddings.word_embeddings.weight";
    torch.get(name).data.fill(0);
    expect(torch.get(name)).toEqual(safetensors.get(name));
  });
});

describe.each([
  { model: "bert-f16", base: "bert", dtype: "F16", encode: floatToHalf, decode: halfToFloat, epsilon: 2 ** -11, tiny: 2 ** -25 },
  { model: "distilbert-bf16", base: "distilbert", dtype: "BF16", encode: floatToBFloat16, decode: bf16ToFloat, epsilon: 2 ** -8, tiny: 0 },
])("$model: half-precision torch checkpoint", ({ model, base, dtype, encode, decode, epsilon, tiny }) => {
  const half = open(model, "pytorch_model.bin");
  const full = open(base, "model.safetensors");

  it(`stores ${dtype} and widens to the F32 weights within ${dtype} rounding`, () => {
    for (const name of floatNames(full)) {
      expect(half.dtype(name)).toBe(dtype);
      const h = half.get(name).data;
      const f = full.get(name).data;
      expect(h.length).toBe(f.length);
      for (let i = 0; i < f.length; i++) {
        expect(Math.abs(h[i] - f[i])).toBeLessThanOrEqual(Math.abs(f[i]) * epsilon + tiny);
        // torch's .to(dtype) rounds to nearest even, like our encoder: the values agree bit for bit.
        expect(h[i]).toBe(decode(encode(f[i])));
      }
    }
  });

  it("keeps the tied decoder on the word-embedding storage", () => {
    const [[tied, source]] = Object.entries(TIED[base as keyof typeof TIED]);
    expect(half.get(tied)).toEqual(half.get(source));
  });
});

describe("LayerNorm gamma/beta names", () => {
  it("load through loadEncoder to the same encoder as weight/bias", () => {
    const gammaBeta = open("bert-gamma-beta", "pytorch_model.bin");
    expect(gammaBeta.has("bert.embeddings.LayerNorm.gamma")).toBe(true);
    expect(gammaBeta.has("bert.embeddings.LayerNorm.weight")).toBe(false);
    const expected = loadEncoder(config("bert"), open("bert", "model.safetensors"));
    expect(loadEncoder(config("bert-gamma-beta"), gammaBeta)).toEqual(expected);
    expect(loadEncoder(config("bert"), open("bert", "pytorch_model.bin"))).toEqual(expected);
  });

  it("DistilBERT loads through loadEncoder from either file", () => {
    const c = config("distilbert");
    expect(loadEncoder(c, open("distilbert", "pytorch_model.bin"))).toEqual(loadEncoder(c, open("distilbert", "model.safetensors")));
  });
});

describe("encodeSafetensors", () => {
  const values = new Float32Array([0, -0, 1 / 3, -2.5, 1e-40, 65504, 3.4e38, Infinity, -Infinity, NaN, 1 + 2 ** -11, 2 ** -24]);
  const tensors: TensorMap = new Map([
    ["b.second", { shape: [3, 4], data: values }],
    ["a.first", { shape: [2], data: new Float32Array([1, 2]) }],
  ]);

  it("round-trips F32 exactly, in insertion order, header padded with spaces to 8 bytes", () => {
    const bytes = encodeSafetensors(tensors, { metadata: { format: "pt" } });
    const headerBytes = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerBytes % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + headerBytes));
    expect(header).toMatch(/^\{"__metadata__":\{"format":"pt"\},"b\.second":\{"dtype":"F32","shape":\[3,4\],"data_offsets":\[0,48\]\},"a\.first":.*\} *$/);
    const ckpt = openSafetensors("roundtrip.safetensors", bytes);
    expect(ckpt.names()).toEqual(["b.second", "a.first"]);
    expect(ckpt.get("b.second")).toEqual({ shape: [3, 4], data: values });
    expect(ckpt.get("a.first")).toEqual({ shape: [2], data: new Float32Array([1, 2]) });
  });

  it.each([
    // value, f16 bits, bf16 bits
    [1 / 3, 0x3555, 0x3eab],
    [1, 0x3c00, 0x3f80],
    [-2, 0xc000, 0xc000],
    [65504, 0x7bff, 0x4780],
    [65520, 0x7c00, 0x4780], // f16: halfway to the next power of two rounds to even, i.e. infinity
    [1 + 2 ** -11, 0x3c00, 0x3f80], // tie: stays on the even mantissa
    [1 + 3 * 2 ** -11, 0x3c02, 0x3f80], // tie: goes up to the even mantissa
    [1 + 3 * 2 ** -8, 0x3c0c, 0x3f82], // bf16 tie: up to the even mantissa
    [2 ** -24, 0x0001, 0x3380], // smallest f16 subnormal
    [2 ** -25, 0x0000, 0x3300], // f16 tie between 0 and the smallest subnormal: 0
    [3 * 2 ** -26, 0x0001, 0x3340],
    [Infinity, 0x7c00, 0x7f80],
  ])("%d → f16 %i, bf16 %i", (value, f16, bf16) => {
    expect(floatToHalf(value)).toBe(f16);
    expect(floatToBFloat16(value)).toBe(bf16);
    for (const [dtype, bits] of [
      ["F16", f16],
      ["BF16", bf16],
    ] as const) {
      const bytes = encodeSafetensors(new Map([["x", { shape: [1], data: new Float32Array([value]) }]]), { dtype });
      expect(bytes[bytes.length - 2] | (bytes[bytes.length - 1] << 8)).toBe(bits);
    }
  });

  it.each(["F16", "BF16"] as const)("round-trips %s within its rounding, NaN included", (dtype) => {
    const [epsilon, tiny] = dtype === "F16" ? [2 ** -11, 2 ** -25] : [2 ** -8, 0];
    const data = Float32Array.from({ length: 200 }, (_, i) => Math.sin(i * 12.9898) * 10 ** ((i % 7) - 3));
    const back = openSafetensors("half.safetensors", encodeSafetensors(new Map([["x", { shape: [200], data }]]), { dtype })).get("x");
    back.data.forEach((v, i) => expect(Math.abs(v - data[i])).toBeLessThanOrEqual(Math.abs(data[i]) * epsilon + tiny));
    const nan = openSafetensors("nan.safetensors", encodeSafetensors(new Map([["x", { shape: [1], data: new Float32Array([NaN]) }]]), { dtype }));
    expect(nan.get("x").data[0]).toBeNaN();
  });

  it.each(["F32", "F16", "BF16"] as const)("reads %s data at an unaligned offset", (dtype) => {
    const bytes = encodeSafetensors(tensors, { dtype });
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const aligned = openSafetensors("aligned.safetensors", bytes);
    const unaligned = openSafetensors("unaligned.safetensors", shifted.subarray(1));
    for (const name of aligned.names()) expect(unaligned.get(name)).toEqual(aligned.get(name));
  });

  it("refuses data that does not match the shape", () => {
    expect(() => encodeSafetensors(new Map([["x", { shape: [2, 2], data: new Float32Array(3) }]]))).toThrow(
      /tensor "x": shape \[2, 2\] needs 4 values, data has 3/,
    );
  });
});

describe("non-float tensors are listed but not decoded", () => {
  it.each(["model.safetensors", "pytorch_model.bin"])("bert %s: position_ids", (file) => {
    const ckpt = open("bert", file);
    expect(ckpt.dtype("bert.embeddings.position_ids")).toBe("I64");
    expect(ckpt.shape("bert.embeddings.position_ids")).toEqual([1, 16]);
    expect(() => ckpt.get("bert.embeddings.position_ids")).toThrow(
      new RegExp(`bert/${file.replace(".", "\\.")}: tensor "bert\\.embeddings\\.position_ids": non-float dtype I64`),
    );
  });

  it("an unknown name is an error naming it", () => {
    expect(() => open("bert", "pytorch_model.bin").get("nope")).toThrow(/pytorch_model\.bin: tensor "nope": no such tensor/);
  });
});

describe("bad checkpoints", () => {
  const safetensorsBytes = readFileSync(fixture("bert", "model.safetensors"));
  const torchBytes = readFileSync(fixture("bert", "pytorch_model.bin"));
  const writeTmp = (name: string, bytes: Uint8Array) => {
    const file = join(tmp(), name);
    writeFileSync(file, bytes);
    return file;
  };

  it("a missing file names the path", () => {
    expect(() => openCheckpoint("/nonexistent/model.safetensors")).toThrow(/\/nonexistent\/model\.safetensors: checkpoint file not found/);
  });

  it("a truncated safetensors file names the first tensor that runs past the end", () => {
    const file = writeTmp("model.safetensors", safetensorsBytes.subarray(0, safetensorsBytes.length - 40));
    expect(() => openCheckpoint(file)).toThrow(
      /model\.safetensors: tensor "cls\.predictions\.transform\.LayerNorm\.weight": data ends at byte \d+ but the file holds only \d+ bytes of tensor data: the file is truncated/,
    );
  });

  it.each([
    ["shorter than 8 bytes", new Uint8Array([1, 2, 3]), /x\.safetensors: file is 3 bytes, too short/],
    ["cut inside the header", safetensorsBytes.subarray(0, 100), /x\.safetensors: header length \d+ runs past the end of the file \(100 bytes\)/],
    ["a header that is not JSON", encodeHeader("{not json"), /x\.safetensors: header is not valid JSON/],
    [
      "offsets inconsistent with the shape",
      encodeHeader('{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}', 16),
      /x\.safetensors: tensor "w": data_offsets \[0, 12\] hold 12 bytes, but F32 \[2, 2\] needs 16/,
    ],
    ["an unknown dtype", encodeHeader('{"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,2]}}', 2), /x\.safetensors: tensor "w": unknown dtype "Q4"/],
  ])("a safetensors file %s", (_, bytes, message) => {
    expect(() => openSafetensors("x.safetensors", bytes)).toThrow(message);
  });

  it("a truncated zip", () => {
    const file = writeTmp("pytorch_model.bin", torchBytes.subarray(0, Math.floor(torchBytes.length * 0.6)));
    expect(() => openCheckpoint(file)).toThrow(/pytorch_model\.bin: not a readable zip archive .*truncated or corrupt/);
  });

  it("the legacy (pre-1.6) torch.save format", () => {
    const file = writeTmp("pytorch_model.bin", new Uint8Array([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]));
    expect(() => openCheckpoint(file)).toThrow(/pytorch_model\.bin: legacy torch\.save format \(PyTorch < 1\.6\) is not supported; re-save/);
  });

  it("a shape that does not match the config (loadEncoder)", () => {
    const raw = JSON.parse(readFileSync(fixture("bert", "config.json"), "utf8"));
    const c = parseConfig({ ...raw, vocab_size: 41 }, "config.json");
    expect(() => loadEncoder(c, open("bert", "pytorch_model.bin"))).toThrow(
      /pytorch_model\.bin: tensor "bert\.embeddings\.word_embeddings\.weight": shape \[40, 8\] does not match the config, expected \[41, 8\]/,
    );
  });

  it("a missing tensor (loadEncoder)", () => {
    const full = open("bert", "model.safetensors");
    const missing = "bert.encoder.layer.1.output.dense.weight";
    const kept: TensorMap = new Map(
      floatNames(full)
        .filter((n) => n !== missing)
        .map((n) => [n, full.get(n)]),
    );
    const file = writeTmp("model.safetensors", encodeSafetensors(kept));
    expect(() => loadEncoder(config("bert"), openCheckpoint(file))).toThrow(
      /model\.safetensors: tensor "bert\.encoder\.layer\.1\.output\.dense\.weight": missing \(expected shape \[8, 16\] for BertForMaskedLM\)/,
    );
  });

  it("an unknown architecture (parseConfig)", () => {
    expect(() => parseConfig({ architectures: ["RobertaForMaskedLM"], vocab_size: 40 }, "some/config.json")).toThrow(
      /some\/config\.json: unknown architecture "RobertaForMaskedLM"/,
    );
  });
});

describe("pickle globals outside the allowlist are refused, never called", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("refuses the os.system payload of a malicious torch.save file, with no side effect", () => {
    const file = fixture("malicious", "pytorch_model.bin");
    // The payload is really there: CPython pickles os.system as posix.system on Linux.
    const raw = Buffer.from(readFileSync(file)).toString("latin1");
    expect(raw).toContain("posix\nsystem\n");
    expect(raw).toContain("echo pwned > pwned-by-pickle.txt");
    const stdout = vi.spyOn(process.stdout, "write");
    expect(() => openCheckpoint(file)).toThrow(/malicious\/pytorch_model\.bin: refusing pickle global "posix\.system"/);
    expect(stdout.mock.calls.flat().join("")).not.toContain("pwned");
    expect(existsSync("pwned-by-pickle.txt")).toBe(false);
    expect(existsSync(fixture("malicious", "pwned-by-pickle.txt"))).toBe(false);
  });

  it.each([
    ["os", "system"],
    ["builtins", "eval"],
    ["__builtin__", "getattr"],
    ["torch", "load"],
  ])("%s.%s", (module, name) => {
    // PROTO 2, GLOBAL module\nname\n, SHORT_BINUNICODE "echo pwned", TUPLE1, REDUCE, STOP
    const pickle = Uint8Array.from(`\x80\x02c${module}\n${name}\n\x8c\x0aecho pwned\x85R.`, (c) => c.charCodeAt(0));
    const zip = zipSync({ "archive/data.pkl": pickle, "archive/version": new TextEncoder().encode("3\n") }, { level: 0 });
    expect(() => openTorch("evil.bin", zip)).toThrow(new RegExp(`^evil\\.bin: refusing pickle global "${module}\\.${name}"`));
  });
});

/** A safetensors file with this header text and `dataBytes` zero bytes of data. */
function encodeHeader(json: string, dataBytes = 0): Uint8Array {
  const text = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + text.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  return out;
}
