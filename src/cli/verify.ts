// `npm run verify`: checks real efficient-SPLADE weights in model/ against the figures sentence-transformers
// publishes for them (tests/sparse_encoder/test_pretrained.py, fp32, atol 0.01). Our CI cannot run it (no Hub
// access); users run it once after `npm run model -- fetch`.
import { defineCommand } from "citty";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { dot } from "../encoder/sparse.ts";
import { loadNodeEncoder } from "../node/ort-node.ts";
import { printJson, runCli, CliError } from "./run.ts";

export const VERIFY_QUERY = "Which planet is known as the Red Planet?";
export const VERIFY_DOCS = [
  "Venus is often called Earth's twin because of its similar size and proximity.",
  "Mars, known for its reddish appearance, is often referred to as the Red Planet.",
  "Jupiter, the largest planet in our solar system, has a prominent red spot.",
  "Saturn, famous for its rings, is sometimes mistaken for the Red Planet.",
];
export const VERIFY_SCORES = [4.89399, 13.49699, 11.25572, 12.38231];
export const VERIFY_TOLERANCE = 0.01;
export { EXIT_NO_WEIGHTS } from "./exit-codes.ts";

await runCli(
  defineCommand({
    meta: { name: "verify", description: "Check real weights in model/ against published scores" },
    args: {
      dir: { type: "string", description: "Folder holding query/ and doc/", default: "model" },
      json: { type: "boolean", description: "Print the result as JSON (also on failure: ok, error, exit_code)" },
    },
    async run({ args }) {
      const missing = ["query", "doc"].filter((r) => !existsSync(join(args.dir, r, "manifest.json")));
      if (missing.length > 0) {
        throw new CliError(
          "no_weights",
          `no converted ${missing.join(" and ")} model in ${args.dir}/ — nothing to verify. Fetch the real weights with \`npm run model -- fetch\` (or convert local copies with \`npm run model -- convert <hf-folder> ${args.dir}/<query|doc>\`), then run \`npm run verify\` again.`,
        );
      }
      const query = await loadNodeEncoder(join(args.dir, "query"));
      const doc = await loadNodeEncoder(join(args.dir, "doc"));
      const generated = [query, doc].filter((m) => m.manifest.random_weights).map((m) => m.manifest.role);
      if (generated.length > 0) {
        throw new CliError(
          "no_weights",
          `${generated.join(" and ")} in ${args.dir}/ hold generated random weights; verify needs the real ones (\`npm run model -- fetch\`).`,
        );
      }
      const [q] = await query.encoder.encode([VERIFY_QUERY]);
      const docs = await doc.encoder.encode(VERIFY_DOCS);
      const rows = docs.map((d, i) => {
        const score = dot(q, d);
        return { document: VERIFY_DOCS[i], score, expected: VERIFY_SCORES[i], ok: Math.abs(score - VERIFY_SCORES[i]) <= VERIFY_TOLERANCE };
      });
      const ok = rows.every((r) => r.ok);
      if (args.json) {
        printJson({ ok, exit_code: ok ? 0 : 1, tolerance: VERIFY_TOLERANCE, query: VERIFY_QUERY, results: rows });
      } else {
        console.log(`query: ${VERIFY_QUERY} (${q.indices.length} terms)`);
        for (const r of rows) console.log(`${r.ok ? "✔" : "✖"} ${r.score.toFixed(5)} (expected ${r.expected.toFixed(5)} ± ${VERIFY_TOLERANCE})  ${r.document}`);
        console.log(
          ok ? "verified: the converted models reproduce the published scores" : "MISMATCH: the converted models do not reproduce the published scores",
        );
      }
      if (!ok) process.exitCode = 1;
    },
  }),
);
