// `npm run verify`: checks the converted pair in model/ — query/ on the kernel the Worker runs, doc/ as encode-corpus
// runs it — against an output of that model's real weights that someone published, which the model catalogue
// carries per model (src/model/catalogue.ts `reference`, with its source): scores of a query against documents, and
// for some models single tokens' weights. Our CI cannot run it on real weights (no Hub access); users run it once
// after `npm run model -- fetch --model NAME`.
import { defineCommand } from "citty";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { dot, type SparseVector } from "../encoder/sparse.ts";
import { catalogueModelOf, type ModelDescription } from "../model/catalogue.ts";
import type { ModelManifest } from "../model/manifest-format.ts";
import { loadNodeEncoder } from "../node/ort-node.ts";
import { loadQueryFolder } from "../node/query-model.ts";
import { printJson, runCli, CliError } from "./run.ts";

export { EXIT_NO_WEIGHTS } from "./exit-codes.ts";

const ROLES = ["query", "doc"] as const;

async function readManifest(dir: string): Promise<ModelManifest> {
  return JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as ModelManifest;
}

/** The one catalogue model both halves belong to, or a CliError saying why there is none to check against. */
function pairModel(dir: string, manifests: Record<(typeof ROLES)[number], ModelManifest>): ModelDescription {
  const [query, doc] = ROLES.map((role) => catalogueModelOf(manifests[role]));
  const name = (m: ModelDescription | undefined, role: string) => m?.name ?? `${manifests[role as "query"].source.repo} (not in the catalogue)`;
  if (query !== doc) {
    throw new CliError(
      "failed",
      `${dir}/query is ${name(query, "query")} but ${dir}/doc is ${name(doc, "doc")}: not the two halves of one model — fetch both with \`npm run model -- fetch --model NAME\``,
    );
  }
  if (!query) {
    throw new CliError(
      "no_weights",
      `the models in ${dir}/ (${manifests.query.source.repo}) are not in splade-edge's catalogue: no published output to check them against`,
    );
  }
  if (!query.reference) {
    throw new CliError("no_weights", `no output of ${query.name}'s real weights is published (docs/model-sources.md): nothing to verify it against`);
  }
  return query;
}

/** The weight of vocabulary id `id` in `v` (0 when absent). */
function weightAt(v: SparseVector, id: number): number {
  const i = v.indices.indexOf(id);
  return i < 0 ? 0 : v.values[i];
}

await runCli(
  defineCommand({
    meta: { name: "verify", description: "Check real weights in model/ against the outputs published for their catalogue model" },
    args: {
      dir: { type: "string", description: "Folder holding query/ and doc/", default: "model" },
      json: { type: "boolean", description: "Print the result as JSON (also on failure: ok, error, exit_code)" },
    },
    async run({ args }) {
      const missing = ROLES.filter((r) => !existsSync(join(args.dir, r, "manifest.json")));
      if (missing.length > 0) {
        throw new CliError(
          "no_weights",
          `no converted ${missing.join(" and ")} model in ${args.dir}/ — nothing to verify. Fetch the real weights with \`npm run model -- fetch --model NAME\` (or convert local copies with \`npm run model -- convert <hf-folder> ${args.dir}/<query|doc> --model NAME\`), then run \`npm run verify\` again.`,
        );
      }
      const manifests = { query: await readManifest(join(args.dir, "query")), doc: await readManifest(join(args.dir, "doc")) };
      const generated = ROLES.filter((r) => manifests[r].random_weights);
      if (generated.length > 0) {
        throw new CliError(
          "no_weights",
          `${generated.join(" and ")} in ${args.dir}/ hold generated random weights; verify needs the real ones (\`npm run model -- fetch\`).`,
        );
      }
      const model = pairModel(args.dir, manifests);
      const reference = model.reference as NonNullable<ModelDescription["reference"]>;
      const { query: text, documents, scores, tokens, tolerance } = reference.value;
      const close = (a: number, b: number) => Math.abs(a - b) <= tolerance;

      const query = await loadQueryFolder(join(args.dir, "query"));
      const doc = await loadNodeEncoder(join(args.dir, "doc"));
      const [q] = await query.encoder.encode([text]);
      const docs = await doc.encoder.encode(documents);
      const results = docs.map((d, i) => {
        const score = dot(q, d);
        return { document: documents[i], score, expected: scores[i], ok: close(score, scores[i]) };
      });
      // Token ids by the document tokenizer's vocabulary: the catalogue's pairs share one (docs/model-sources.md §2.0).
      const vocab = (JSON.parse(await readFile(join(args.dir, "doc", "tokenizer.json"), "utf8")) as { model: { vocab: Record<string, number> } }).model.vocab;
      const tokenRows = tokens.map((t) => {
        const id = vocab[t.token];
        const [inQuery, inDoc] = id === undefined ? [0, 0] : [weightAt(q, id), weightAt(docs[0], id)];
        return {
          token: t.token,
          id: id ?? null,
          query: inQuery,
          expected_query: t.query,
          document: inDoc,
          expected_document: t.document,
          ok: close(inQuery, t.query) && close(inDoc, t.document),
        };
      });
      const ok = results.every((r) => r.ok) && tokenRows.every((r) => r.ok);
      const published = { source: reference.source, evidence: reference.evidence, ...(reference.note ? { note: reference.note } : {}) };
      if (args.json) {
        printJson({ ok, exit_code: ok ? 0 : 1, model: model.name, tolerance, query: text, published, results, tokens: tokenRows });
      } else {
        console.log(`${model.name}, against ${reference.source}${reference.evidence === "verified" ? "" : ` (${reference.evidence}: ${reference.note})`}`);
        console.log(`query: ${text} (${q.indices.length} terms)`);
        const mark = (good: boolean) => (good ? "✔" : "✖");
        for (const r of results) console.log(`${mark(r.ok)} ${r.score.toFixed(5)} (expected ${r.expected.toFixed(5)} ± ${tolerance})  ${r.document}`);
        for (const r of tokenRows) {
          console.log(
            `${mark(r.ok)} ${r.token}: query ${r.query.toFixed(4)} (expected ${r.expected_query}), document ${r.document.toFixed(4)} (expected ${r.expected_document})`,
          );
        }
        console.log(
          ok ? "verified: the converted models reproduce the published output" : "MISMATCH: the converted models do not reproduce the published output",
        );
      }
      if (!ok) process.exitCode = 1;
    },
  }),
);
