// What encode-corpus's core reports as it goes, as the bar shows it: the fraction done is records done over the
// input's records at every report (a report per batch), and the ETA is taken from the recent pace. The core runs
// the generated doc model on onnxruntime-node, in process, with the CLI's default batch (32) and window (512).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EtaEstimate } from "../../src/cli/progress.ts";
import { encodeCorpus, type CorpusProgress } from "../../src/corpus/encode.ts";
import { FORMATS } from "../../src/encoder/formats/index.ts";
import { FIXTURE_ROOT } from "../../src/model/fixture.ts";
import { loadNodeEncoder } from "../../src/node/ort-node.ts";
import { corpus, tsv } from "../cli/corpus-support.ts";

const tmp = mkdtempSync(join(tmpdir(), "splade-corpus-progress-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function progressOf(documents: number): Promise<CorpusProgress[]> {
  const input = join(tmp, `in-${documents}.tsv`);
  writeFileSync(input, tsv(corpus(documents, 3, 12)));
  const { encoder } = await loadNodeEncoder(resolve(FIXTURE_ROOT, "model", "doc"), { threads: 1 });
  const reports: CorpusProgress[] = [];
  await encodeCorpus(
    {
      input,
      output: join(tmp, `out-${documents}.jsonl`),
      format: FORMATS.ids,
      formatOptions: {},
      encoder,
      model: "m",
      engine: "node",
      sparsify: { minWeight: 0.9 },
      batchSize: 32,
      sortWindow: 512,
      resume: false,
      onError: "stop",
    },
    { onProgress: (p) => reports.push(p) },
  );
  return reports;
}

describe("the core's progress", () => {
  // Reported before: 36.5 % at 2,048 of 3,000 documents (the fraction came from input bytes as of the last window
  // written, up to two windows behind), and 0.0 % until the end on 300 documents (one window).
  it.each([300, 1100])("is documents done / %i at every report, from the first batches on", async (total) => {
    const reports = await progressOf(total);
    // The record count is read alongside the run: the first reports may come before it, without a fraction.
    const known = reports.filter((p) => p.fraction !== undefined);
    for (const p of known) expect([p.documents, p.fraction]).toEqual([p.documents, p.documents / total]);
    expect(known.filter((p) => (p.fraction as number) > 0 && (p.fraction as number) < 1).length).toBeGreaterThanOrEqual(2);
    expect(reports.at(-1)).toMatchObject({ documents: total, fraction: 1 });
  });
});

describe("EtaEstimate", () => {
  it("is steady when progress comes in uneven bursts, and follows a change of pace", () => {
    const eta = new EtaEstimate(30);
    // 1 % a second on average, reported unevenly: +1.5 % after 1.5 s, +0.5 % after 0.5 s, and so on.
    const seen: number[] = [];
    let at = 0;
    let fraction = 0;
    for (let i = 0; i < 60; i++) {
      const step = i % 2 === 0 ? 1.5 : 0.5;
      at += step;
      fraction += step / 100;
      const left = eta.add(at, fraction);
      if (i > 0) seen.push((left as number) - (100 - fraction * 100));
    }
    // The true time left is (1 − fraction) / 1 % a second: every estimate within a second of it.
    for (const error of seen) expect(Math.abs(error)).toBeLessThan(1);
    // Then the pace halves: within the 30 s window the estimate has moved to the new pace.
    for (let i = 0; i < 40; i++) {
      at += 1;
      fraction += 0.005;
    }
    const left = eta.add(at, fraction) as number;
    expect(left).toBeCloseTo((1 - fraction) / 0.005, 6);
  });

  it("knows nothing from one report, and nothing is left at the end", () => {
    const eta = new EtaEstimate();
    expect(eta.add(10, 0.2)).toBeUndefined();
    expect(eta.add(20, 1)).toBe(0);
  });
});
