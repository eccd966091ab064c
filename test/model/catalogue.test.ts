// The model catalogue's integrity: every rule carries the source it was checked against, no fact is stronger than its
// evidence, pins are real commit hashes, licences say plainly whether a business may use the weights.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ARCHITECTURES } from "../../src/model/architectures.ts";
import {
  CATALOGUE,
  catalogueEntry,
  DEFAULT_MODEL,
  EVIDENCE,
  halfRules,
  type Fact,
  type HubSource,
  type ModelDescription,
  SPLADE_ACTIVATIONS,
  servable,
  unservedQuery,
  type TransformerQuery,
} from "../../src/model/catalogue.ts";
import { ModelError } from "../../src/model/errors.ts";

/** Every Fact in `value`, with the path it sits at. */
function facts(value: unknown, path = ""): Array<[string, Fact<unknown>]> {
  if (typeof value !== "object" || value === null) return [];
  const here: Array<[string, Fact<unknown>]> = "evidence" in value && "source" in value ? [[path, value as Fact<unknown>]] : [];
  return here.concat(Object.entries(value).flatMap(([key, child]) => facts(child, `${path}.${key}`)));
}

function hubs(m: ModelDescription): HubSource[] {
  return [m.query.hub, m.document.hub];
}

const isUrl = (s: string) => URL.canParse(s) && new URL(s).protocol === "https:";

describe("model catalogue", () => {
  it("holds the models issue 19 names, each once, the default first", () => {
    const names = CATALOGUE.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(
      expect.arrayContaining([
        "naver/efficient-splade-VI-BT-large",
        "opensearch-project/opensearch-neural-sparse-encoding-doc-v2-mini",
        "opensearch-project/opensearch-neural-sparse-encoding-doc-v2-distill",
        "opensearch-project/opensearch-neural-sparse-encoding-doc-v3-distill",
        "opensearch-project/opensearch-neural-sparse-encoding-doc-v3-gte",
        "naver/splade-v3-doc",
      ]),
    );
    expect(DEFAULT_MODEL).toBe(CATALOGUE[0]);
    expect(DEFAULT_MODEL.name).toBe("naver/efficient-splade-VI-BT-large");
    expect(new Set(CATALOGUE.map((m) => m.label)).size).toBe(CATALOGUE.length);
  });

  it("gives every rule and figure an https source, and a note wherever the evidence is less than verified", () => {
    for (const m of CATALOGUE) {
      const all = facts(m);
      // name, licence, gated, the query half's 3 rules, the document half's 5, at least one figure or none published.
      expect(all.length, m.name).toBeGreaterThanOrEqual(1 + 1 + 3 + 5);
      for (const [path, fact] of all) {
        expect(isUrl(fact.source), `${m.name}${path}: ${fact.source}`).toBe(true);
        expect(EVIDENCE, `${m.name}${path}`).toContain(fact.evidence);
        if (fact.evidence !== "verified") expect(fact.note?.trim(), `${m.name}${path} is ${fact.evidence} without a note`).toBeTruthy();
        // A value nobody read is null, and then it cannot claim more than not-verified.
        if (fact.value === null) expect(fact.evidence, `${m.name}${path}`).toBe("not-verified");
      }
      for (const s of m.sizes) expect(isUrl(s.source), `${m.name} ${s.file}`).toBe(true);
    }
  });

  it("names each half's rules as sentence-transformers and transformers do", () => {
    for (const m of CATALOGUE) {
      const halves = m.query.kind === "transformer" ? [m.query, m.document] : [m.document];
      for (const half of halves) {
        expect(SPLADE_ACTIVATIONS, m.name).toContain(half.activation.value);
        expect(["BertForMaskedLM", "DistilBertForMaskedLM", "NewForMaskedLM"], m.name).toContain(half.architecture.value);
        const length = half.maxLength.value;
        if (length !== null) expect(Number.isInteger(length) && length >= 2, m.name).toBe(true);
      }
      if (m.query.kind === "inference-free") {
        const { weighting, files } = m.query.weights.value;
        // A per-token table lives in files; uniform weights have none.
        expect(files.length > 0, m.name).toBe(weighting === "per-token");
      }
    }
  });

  it("pins a revision only to a full commit hash its source was read at, and marks every other revision unpinned", () => {
    for (const m of CATALOGUE) {
      for (const hub of hubs(m)) {
        expect(hub.repo, m.name).toMatch(/^[\w.-]+\/[\w.-]+$/);
        expect(isUrl(hub.source), `${hub.repo}: ${hub.source}`).toBe(true);
        if (hub.pinned) {
          expect(hub.revision, hub.repo).toMatch(/^[0-9a-f]{40}$/);
          expect(hub.source, hub.repo).toContain(hub.revision);
        } else {
          expect(hub.revision, hub.repo).toBe("main");
          expect(hub.note?.trim(), `${hub.repo} is unpinned without saying why`).toBeTruthy();
        }
      }
    }
  });

  it("states each licence with a URL and whether a business may use it, non-commercial for CC NC", () => {
    for (const m of CATALOGUE) {
      const l = m.license;
      expect(isUrl(l.url), m.name).toBe(true);
      expect(l.spdx, m.name).toMatch(/^[A-Za-z0-9.-]+$/);
      expect(l.terms.trim(), m.name).not.toBe("");
      expect(l.commercial, `${m.name}: ${l.spdx}`).toBe(!/-NC-/.test(l.spdx));
    }
    expect(CATALOGUE.filter((m) => !m.license.commercial).map((m) => m.name)).toEqual(["naver/efficient-splade-VI-BT-large", "naver/splade-v3-doc"]);
    expect(catalogueEntry("opensearch-project/opensearch-neural-sparse-encoding-doc-v3-gte").license.spdx).toBe("Apache-2.0");
  });

  it("keeps published quality in percent and parameter counts in millions", () => {
    for (const m of CATALOGUE) {
      for (const q of m.quality) expect(q.value > 0 && q.value <= 100, `${m.name} ${q.metric} ${q.value}`).toBe(true);
      for (const p of m.parameters) expect(p.value >= 1 && p.value < 10_000, `${m.name} ${p.value}M`).toBe(true);
    }
    expect(catalogueEntry("opensearch-project/opensearch-neural-sparse-encoding-doc-v3-gte").quality.map((q) => q.value)).toContain(54.6);
  });

  it("carries the published outputs docs/model-sources.md gives, one score per document, with the publisher's tolerance", () => {
    expect(CATALOGUE.filter((m) => m.reference).map((m) => m.name)).toEqual([
      "naver/efficient-splade-VI-BT-large",
      "opensearch-project/opensearch-neural-sparse-encoding-doc-v2-distill",
      "opensearch-project/opensearch-neural-sparse-encoding-doc-v3-distill",
    ]);
    for (const m of CATALOGUE) {
      const r = m.reference?.value;
      if (!r) continue;
      expect(r.documents.length, m.name).toBeGreaterThan(0);
      expect(r.scores.length, m.name).toBe(r.documents.length);
      expect(r.tolerance > 0 && r.tolerance <= 0.01, m.name).toBe(true);
      for (const t of r.tokens) expect(t.query > 0 && t.document > 0, `${m.name} ${t.token}`).toBe(true);
    }
    const v3 = catalogueEntry("opensearch-project/opensearch-neural-sparse-encoding-doc-v3-distill").reference;
    expect([v3?.value.scores, v3?.value.tolerance, v3?.value.tokens.length]).toEqual([[11.1105], 1e-3, 6]);
  });

  it("hands the converter each half's rules under its option names, a length only where one was read", () => {
    const v3Doc = catalogueEntry("naver/splade-v3-doc");
    expect(halfRules(v3Doc, "query")).toEqual({ model: v3Doc.name, license: "CC BY-NC-SA 4.0", queryWeights: "uniform" });
    expect(halfRules(DEFAULT_MODEL, "query")).toEqual({
      model: DEFAULT_MODEL.name,
      license: "CC BY-NC-SA 4.0",
      maxLength: 256,
      activation: "relu",
      dropSpecialIds: false,
    });
    const distill = catalogueEntry("opensearch-project/opensearch-neural-sparse-encoding-doc-v3-distill");
    expect(halfRules(distill, "doc")).toMatchObject({ license: "Apache-2.0", activation: "log1p_relu", dropSpecialIds: false });
    // A per-token table is found in the folder: nothing to pass.
    expect(halfRules(distill, "query")).not.toHaveProperty("queryWeights");
    expect(halfRules(distill, "doc").maxLength).toBe(distill.document.maxLength.value ?? undefined);
  });

  it("finds an entry by name and refuses an unknown one, listing every known name", () => {
    expect(catalogueEntry("naver/splade-v3-doc").query.kind).toBe("inference-free");
    const error = (() => {
      try {
        catalogueEntry("naver/splade-v4");
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).kind).toBe("not_found");
    for (const m of CATALOGUE) expect((error as ModelError).message).toContain(m.name);
  });

  it("says every entry is served: efficient-SPLADE's 2 × 128 query on the kernel, the other queries inference-free, every document architecture converted", () => {
    expect(CATALOGUE.filter(servable).map((m) => m.name)).toEqual(CATALOGUE.map((m) => m.name));
    expect(unservedQuery(DEFAULT_MODEL.query)).toBeUndefined();
    expect(CATALOGUE.filter((m) => m.query.kind === "inference-free").map((m) => unservedQuery(m.query))).toEqual(
      CATALOGUE.filter((m) => m.query.kind === "inference-free").map(() => undefined),
    );
  });

  it("does not serve a transformer query the kernel cannot run or a Worker cannot hold, nor a document the converter cannot read", () => {
    const query = DEFAULT_MODEL.query as TransformerQuery;
    const withShape = (shape: { layers: number; hidden: number; heads: number; intermediate: number } | null): TransformerQuery => ({
      ...query,
      shape: { ...query.shape, value: shape },
    });
    // docs/performance.md: 4 × 256 loads in a Worker; BERT-base (12 × 768, splade-v3's query encoder) does not.
    expect(unservedQuery(withShape({ layers: 4, hidden: 256, heads: 4, intermediate: 1024 }))).toBeUndefined();
    expect(unservedQuery(withShape({ layers: 12, hidden: 768, heads: 12, intermediate: 3072 }))).toMatch(/over the isolate's limit of 128\.0 MB/);
    expect(unservedQuery(withShape({ layers: 2, hidden: 130, heads: 2, intermediate: 512 }))).toMatch(/hidden size 130/);
    expect(unservedQuery(withShape(null))).toBe("the query encoder's shape, vocabulary or max length was not read");
    expect(unservedQuery({ ...query, architecture: { ...query.architecture, value: "NewForMaskedLM" } })).toBe(
      "the Worker's kernel runs BertForMaskedLM and DistilBertForMaskedLM, not NewForMaskedLM",
    );
    expect(unservedQuery({ ...query, activation: { ...query.activation, value: "log1p_relu" } })).toBe(
      "the Worker's kernel pools with log(1 + relu) and drops no special id, not log1p_relu",
    );
    expect(unservedQuery({ ...query, specialTokens: { ...query.specialTokens, value: { addSpecialTokens: true, dropSpecialIds: true } } })).toBe(
      "the Worker's kernel pools with log(1 + relu) and drops no special id, not relu with the special ids dropped",
    );
    const gte = catalogueEntry("opensearch-project/opensearch-neural-sparse-encoding-doc-v3-gte");
    expect(servable(gte)).toBe(true);
    expect(servable({ ...DEFAULT_MODEL, query: withShape({ layers: 12, hidden: 768, heads: 12, intermediate: 3072 }) })).toBe(false);
    expect(ARCHITECTURES).toContain(DEFAULT_MODEL.document.architecture.value);
  });

  it("is the table docs/models.md shows, one row per entry, licences and what is served as the catalogue says", () => {
    const text = readFileSync(resolve(import.meta.dirname, "../../docs/models.md"), "utf8");
    const section = text.slice(text.indexOf("## Choosing a model"));
    const rows = section.split("\n").filter((line) => /^\| `[^`]+`/.test(line));
    expect(rows.map((row) => /^\| `([^`]+)`/.exec(row)?.[1])).toEqual(CATALOGUE.map((m) => m.name));
    for (const [i, m] of CATALOGUE.entries()) {
      expect(rows[i], m.name).toContain(m.license.name);
      expect(rows[i].includes("non-commercial"), m.name).toBe(!m.license.commercial);
      expect(rows[i].trimEnd().endsWith(servable(m) ? "| yes |" : "| no |"), m.name).toBe(true);
    }
  });
});
