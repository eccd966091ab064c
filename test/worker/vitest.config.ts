import { fileURLToPath } from "node:url";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

// Runs inside workerd with the production wrangler.toml, so the CompiledWasm rule that loads the encoder kernel is the
// one deploys use; only the assets folder is swapped: test/.generated/model, whose query/ is the generated query model
// (global-setup.ts writes it), read at query/<file> as the Worker reads model/query.
export default defineConfig({
  // The repo root, not this folder (test.root below): Vite names files outside its root `/@fs/...`, and the pool then
  // cannot find the `.wasm` modules it compiles.
  plugins: [
    cloudflareTest({
      wrangler: { configPath: `${repoRoot}/wrangler.toml` },
      miniflare: { assets: { directory: `${repoRoot}/test/.generated/model` } },
    }),
  ],
  resolve: { preserveSymlinks: true },
  test: {
    name: "worker",
    root: repoRoot,
    include: ["test/worker/**/*.test.ts"],
    // Its own project, serving another model (inference-free/vitest.config.ts).
    exclude: ["test/worker/inference-free/**"],
    // global-setup.ts generates the models search-index.setup.ts builds the index with: in this order.
    globalSetup: ["test/worker/global-setup.ts", "test/worker/tokenizer-golden.setup.ts", "test/worker/search-index.setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
