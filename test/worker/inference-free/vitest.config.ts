import { fileURLToPath } from "node:url";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { INFERENCE_FREE_MODEL } from "./fixture.ts";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

// The same Worker as test/worker/vitest.config.ts (production wrangler.toml), serving a generated inference-free query
// model instead: its assets folder's query/ is what global-setup.ts converts from a generated OpenSearch-layout repo.
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: `${repoRoot}/wrangler.toml` },
      miniflare: { assets: { directory: `${repoRoot}/${INFERENCE_FREE_MODEL.assets}` } },
    }),
  ],
  resolve: { preserveSymlinks: true },
  test: {
    name: "worker-inference-free",
    root: repoRoot,
    include: ["test/worker/inference-free/**/*.test.ts"],
    globalSetup: ["test/worker/inference-free/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
