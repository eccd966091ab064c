// Pins src/kernel/contract.ts to the C it describes: every number and order that both encoder.c / splade-head.c and
// the TypeScript know is read here from the C source (#defines, enums, the Model struct, the size checks) or from the
// committed modules (model_words()) and compared with the contract's constant, so neither side can drift alone.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { KERNEL_BUILDS, KERNEL_DIR } from "../../src/kernel/build.ts";
import {
  KERNEL_ACTIVATIONS,
  KERNEL_BUILD_FILES,
  KERNEL_HEAD_MODES,
  KERNEL_HEAD_WIDTH_MULTIPLE,
  KERNEL_HEAP_BASE,
  KERNEL_LAYER_TENSORS,
  KERNEL_LAYER_WORDS,
  KERNEL_MAX_HIDDEN,
  KERNEL_MAX_LAYERS,
  KERNEL_MODEL_HEADER,
  KERNEL_MODEL_HEADER_WORDS,
  KERNEL_MODEL_WORDS,
  KERNEL_ROW_TILE,
  KERNEL_SIZE_MULTIPLE,
  unsupportedBy,
  type KernelBuildName,
} from "../../src/kernel/contract.ts";

const source = (file: string): string => readFileSync(join(KERNEL_DIR, file), "utf8");
const encoderC = source("encoder.c");
const headC = source("splade-head.c");

function define(c: string, name: string): number {
  const m = new RegExp(`^#define ${name} (\\S+)$`, "m").exec(c);
  if (!m) throw new Error(`no #define ${name}`);
  return Number(m[1]);
}

/** An enum's members in order, with their values (implicit values count on from the last). */
function enumMembers(c: string, name: string): [string, number][] {
  const m = new RegExp(`enum ${name} \\{([^}]*)\\}`).exec(c);
  if (!m) throw new Error(`no enum ${name}`);
  let next = 0;
  return m[1]
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((member) => {
      const [id, value] = member.split("=").map((s) => s.trim());
      next = value === undefined ? next : Number(value);
      return [id, next++];
    });
}

describe("the kernel contract (src/kernel/contract.ts) against the C source", () => {
  it("has encoder.c's and splade-head.c's limits", () => {
    expect(define(encoderC, "MAX_LAYERS")).toBe(KERNEL_MAX_LAYERS);
    expect(define(encoderC, "MAX_HIDDEN")).toBe(KERNEL_MAX_HIDDEN);
    expect(define(headC, "MAX_HIDDEN")).toBe(KERNEL_MAX_HIDDEN);
    // The size checks the kernel makes, which unsupportedBy() and unsupportedHiddenSize() repeat with these constants.
    const m = KERNEL_SIZE_MULTIPLE;
    expect(encoderC).toContain(
      `n <= 0 || n > MAX_HIDDEN || n % ${m} != 0 || inter % ${m} != 0 || m->heads <= 0 || n % (${KERNEL_HEAD_WIDTH_MULTIPLE} * m->heads) != 0`,
    );
    expect(encoderC).toContain("m->layers < 0 || m->layers > MAX_LAYERS");
    expect(headC).toContain(`n <= 0 || n > MAX_HIDDEN || n % ${m} != 0`);
    const config = {
      hidden_size: 64,
      num_heads: 4,
      num_layers: 2,
      intermediate_size: 128,
      activation: "gelu",
      layer_norm_eps: 1e-12,
      vocab_size: 10,
      positions: 8,
      token_type: true,
      tied: true,
    } as const;
    expect(unsupportedBy(config)).toBeUndefined();
    expect(unsupportedBy({ ...config, hidden_size: KERNEL_MAX_HIDDEN + m })).toMatch(/at most 1024/);
    expect(unsupportedBy({ ...config, num_layers: KERNEL_MAX_LAYERS + 1 })).toMatch(/at most 48/);
  });

  it("has encoder.c's activation codes and layer tensor order", () => {
    const activation: Record<string, string> = { ACT_GELU: "gelu", ACT_GELU_TANH: "gelu_new", ACT_RELU: "relu" };
    expect(Object.fromEntries(enumMembers(encoderC, "activation").map(([id, v]) => [activation[id] ?? id, v]))).toEqual(KERNEL_ACTIVATIONS);
    const part: Record<string, string> = {
      QKV: "qkv",
      ATT_OUT: "attention_output",
      ATT_NORM: "attention_norm",
      FFN_IN: "intermediate",
      FFN_OUT: "output",
      OUT_NORM: "output_norm",
    };
    const members = enumMembers(encoderC, "layer_tensor");
    expect(members.at(-1)).toEqual(["LAYER_TENSORS", KERNEL_LAYER_WORDS]);
    const names = members.slice(0, -1).map(([id]) => {
      const [, prefix, wb] = /^(\w+)_([WB])$/.exec(id)!;
      return `${part[prefix]}.${wb === "W" ? "weight" : "bias"}`;
    });
    expect(names).toEqual([...KERNEL_LAYER_TENSORS]);
  });

  it("has the words of encoder.c's Model struct", () => {
    const body = /typedef struct \{([^}]*)\} Model;/.exec(encoderC)![1];
    const [header, layers] = body.split(/const float\* layer\[/);
    expect(layers).toMatch(/^MAX_LAYERS\]\[LAYER_TENSORS\];\s*$/);
    // Every field before `layer` is a 4-byte int32_t, float or (wasm32) pointer: one word per declared name.
    const fields = header
      .split(";")
      .map((d) => d.trim())
      .filter(Boolean)
      .flatMap((d) => {
        const [, type, names] = /^(int32_t|float|const float) (.*)$/s.exec(d)!;
        return names.split(",").map((name) => ({ type, name: name.trim().replace(/^\*/, "") }));
      });
    expect(fields.map((f) => f.name)).toEqual([...KERNEL_MODEL_HEADER]);
    expect(fields.filter((f) => f.type === "float").map((f) => f.name)).toEqual(["eps"]);
    expect(fields.length).toBe(KERNEL_MODEL_HEADER_WORDS);
    expect(KERNEL_MODEL_WORDS).toBe(KERNEL_MODEL_HEADER_WORDS + KERNEL_MAX_LAYERS * KERNEL_LAYER_WORDS);
  });

  it("has splade-head.c's pass modes and int8 tile", () => {
    const mode: Record<string, string> = { MODE_CANDIDATES: "candidates", MODE_APPROX: "approx", MODE_BOUNDS: "bounds" };
    expect(Object.fromEntries(enumMembers(headC, "mode").map(([id, v]) => [mode[id] ?? id, v]))).toEqual(KERNEL_HEAD_MODES);
    expect(define(headC, "GROUP") * define(headC, "GB")).toBe(KERNEL_ROW_TILE);
  });

  it("names the builds build.ts compiles, and each committed module's Model and heap base are the contract's", () => {
    expect(Object.keys(KERNEL_BUILDS).sort()).toEqual(Object.keys(KERNEL_BUILD_FILES).sort());
    for (const [name, file] of Object.entries(KERNEL_BUILD_FILES) as [KernelBuildName, string][]) {
      expect(KERNEL_BUILDS[name].file).toBe(join(KERNEL_DIR, file));
      expect(existsSync(KERNEL_BUILDS[name].file)).toBe(true);
      let module: WebAssembly.Module;
      try {
        module = new WebAssembly.Module(readFileSync(KERNEL_BUILDS[name].file));
      } catch {
        continue; // relaxed SIMD on an engine without it (Node 20): the Worker project runs that build
      }
      const wasm = new WebAssembly.Instance(module, {}).exports as { model_words(): number; __heap_base: WebAssembly.Global };
      expect(wasm.model_words(), name).toBe(KERNEL_MODEL_WORDS);
      // Where the kernel's memory starts: kernelMemoryBytes counts from it.
      expect(wasm.__heap_base.value, name).toBe(KERNEL_HEAP_BASE);
    }
  });
});

describe("the runtimes and the build code", () => {
  // The Worker, the CLIs that encode and the inference thread they run the model on: what a user runs, as opposed to
  // the converter and `npm run build:kernel`. They take the kernel's names from contract.ts and the graph's from the
  // manifest, so neither build script (nor onnx-proto, which the graph builder needs) is part of them.
  const RUNTIMES = ["src/worker/index.ts", "src/cli/encode-corpus.ts", "src/cli/eval.ts", "src/node/inference-thread.ts"];
  const BUILD_CODE = ["src/kernel/build.ts", "src/model/onnx/build.ts"];

  it.each(RUNTIMES)("%s imports neither build script", async (entry) => {
    // Packages stay external: only the project's own modules are listed, with every path from the entry followed.
    const { metafile } = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      metafile: true,
      platform: "node",
      format: "esm",
      packages: "external",
      external: ["*.wasm"],
      logLevel: "silent",
    });
    const modules = Object.keys(metafile.inputs);
    expect(modules).toContain(entry);
    expect(modules.filter((m) => BUILD_CODE.includes(m))).toEqual([]);
  });
});
