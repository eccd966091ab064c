import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The Worker's one JSON line per request (src/worker/log.ts) would be hundreds of lines of test output; its
    // content is asserted in test/worker/public.test.ts, which spies on console.log.
    onConsoleLog: (log) => !log.startsWith('{"method":'),
    projects: [
      {
        test: {
          name: "node",
          root: ".",
          include: [
            "test/model/**/*.test.ts",
            "test/cli/**/*.test.ts",
            "test/encoder/**/*.test.ts",
            "test/kernel/**/*.test.ts",
            "test/engines/**/*.test.ts",
            "test/eval/**/*.test.ts",
            "test/corpus/**/*.test.ts",
            "test/index/**/*.test.ts",
            "test/bundle/**/*.test.ts",
            "test/browser/**/*.test.ts",
            "test/dev/**/*.test.ts",
          ],
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      "test/worker/vitest.config.ts",
      "test/worker/inference-free/vitest.config.ts",
    ],
  },
});
