// `npm run fixture`: the generated checkpoints (real architectures, seeded random weights) and their
// conversions, for tests and `npm run demo`. Their output means nothing; every manifest says random_weights.
import { defineCommand } from "citty";
import { ensureFixtureModels, FIXTURE_ROOT, FIXTURES, FULL_SIZE_FIXTURES } from "../model/fixture.ts";
import { runCli } from "./run.ts";

await runCli(
  defineCommand({
    meta: { name: "fixture", description: "Write generated SPLADE checkpoints (random weights) and convert them" },
    args: {
      out: { type: "string", description: "Folder", default: FIXTURE_ROOT },
      "full-size": {
        type: "boolean",
        description: "Also the doc model at its real size (doc-full: DistilBERT 6 × 768, ~265 MB, plus as much for its model.onnx)",
      },
    },
    async run({ args }) {
      const started = performance.now();
      const specs = args["full-size"] ? [...FIXTURES, ...FULL_SIZE_FIXTURES] : FIXTURES;
      const made = await ensureFixtureModels(args.out, (name) => console.error(`converting ${name}…`), specs);
      for (const name of Object.keys(made.models)) console.log(`${name}: ${made.hf[name]} → ${made.models[name]}`);
      console.error(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    },
  }),
);
