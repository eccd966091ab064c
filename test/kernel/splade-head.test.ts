import { beforeAll, describe, expect, it } from "vitest";
import { AUTO_SCAN_FRACTION, SpladeHead, type HeadOutput } from "../../src/kernel/splade-head.ts";
import { CLS, SEP, dense, kernelModule, loadKernelFixture, oracleMaxLogits, randomIds, weightsOf, type KernelFixture } from "./harness.ts";

const VS_ORACLE = 1e-5;
const TIE = 1e-6;

function expectMatchesOracle(out: HeadOutput, maxLogits: Float64Array): void {
  const expected = weightsOf(maxLogits);
  const got = dense(out, expected.length);
  let worst = 0;
  const disagree: number[] = [];
  for (let v = 0; v < expected.length; v++) {
    worst = Math.max(worst, Math.abs(got[v] - expected[v]));
    if (got[v] > 0 !== expected[v] > 0 && Math.abs(maxLogits[v]) > TIE) disagree.push(v);
  }
  expect(worst).toBeLessThanOrEqual(VS_ORACLE);
  expect(disagree).toEqual([]);
  expect([...out.indices]).toEqual([...out.indices].sort((a, b) => a - b));
  expect(out.values.every((w) => w > 0)).toBe(true);
}

describe.each(["query-sparse", "query"])("the %s model", (name) => {
  let fx: KernelFixture;
  beforeAll(() => {
    fx = loadKernelFixture(name);
  });

  it.each([2, 4, 10, 32, 256])("exact mode equals the float64 head at T = %i, and the float32 scan bit for bit", async (length) => {
    const ids = length === 2 ? [CLS, SEP] : randomIds(length, 100 + length);
    const hidden = await fx.hidden(ids);
    const exact = fx.kernel.spladeFromHidden(hidden, length);
    expectMatchesOracle(exact, oracleMaxLogits(hidden, length, fx.head));
    const scan = fx.kernel.spladeFromHidden(hidden, length, undefined, { mode: "scan" });
    expect(exact.indices).toEqual(scan.indices);
    expect(exact.values).toEqual(scan.values);
    expect(exact.rescored).toBeLessThanOrEqual(fx.kernel.vocabSize);
    expect(exact.rescored).toBeGreaterThanOrEqual(exact.indices.length);
  });

  it("gives each row of a padded batch the float64 head of its own tokens", async () => {
    const rows = [randomIds(9, 11), [CLS, SEP], randomIds(23, 12), randomIds(5, 13)];
    const { hidden, length, mask } = await fx.hiddenBatch(rows);
    const outs = fx.kernel.spladeBatch(hidden, rows.length, length, mask);
    const n = fx.kernel.hiddenSize;
    outs.forEach((out, b) => {
      const rowHidden = hidden.subarray(b * length * n, (b + 1) * length * n);
      expectMatchesOracle(out, oracleMaxLogits(rowHidden, length, fx.head, mask.subarray(b * length, (b + 1) * length)));
    });
  });

  it("auto mode gives exact mode's bits, and scans from the first call that finds most terms candidates", async () => {
    const auto = SpladeHead.create(kernelModule(), fx.head);
    const dense = name === "query";
    for (const [i, length] of [10, 4, 32].entries()) {
      const hidden = await fx.hidden(randomIds(length, 200 + length));
      const exact = fx.kernel.spladeFromHidden(hidden, length);
      const got = auto.spladeFromHidden(hidden, length, undefined, { mode: "auto" });
      expect([got.indices, got.values]).toEqual([exact.indices, exact.values]);
      expect(exact.rescored > AUTO_SCAN_FRACTION * auto.vocabSize).toBe(dense);
      expect(got.rescored).toBe(dense && i > 0 ? auto.vocabSize : exact.rescored);
    }
  });

  it("can defer the int8 decoder: scans until prepareSome() has quantized every row, with the same bits throughout", () => {
    const later = SpladeHead.create(kernelModule(), fx.head, { prepare: "later" });
    const hidden = fx.hidden(randomIds(10, 300));
    const expected = fx.kernel.spladeFromHidden(hidden, 10);
    const before = later.spladeFromHidden(hidden, 10, undefined, { mode: "auto" });
    expect([before.indices, before.values, before.rescored]).toEqual([expected.indices, expected.values, later.vocabSize]);
    let steps = 0;
    while (!later.prepareSome(5000)) steps++;
    expect([steps, later.prepared]).toEqual([6, true]);
    const after = later.spladeFromHidden(hidden, 10);
    expect([after.indices, after.values, after.rescored]).toEqual([expected.indices, expected.values, expected.rescored]);
  });

  it("bounds the int8 logit error term by term, and the max over tokens", async () => {
    const ids = randomIds(10, 21);
    const trunkHidden = await fx.hidden(ids);
    const n = fx.kernel.hiddenSize;
    // Beyond real hidden states: a spike that takes the whole int8 range, values on the rounding half-points of a
    // 1/127 grid, a constant row, tiny and large magnitudes.
    const u = (i: number) => Math.sin(i * 12.9898) * 0.5;
    const synthetic = [
      Float32Array.from({ length: n }, (_, i) => (i === 7 ? 40 : u(i))),
      Float32Array.from({ length: n }, (_, i) => (i === 0 ? 1 : (Math.floor(u(i) * 127) + 0.5) / 127)),
      new Float32Array(n).fill(0.75),
      Float32Array.from({ length: n }, (_, i) => u(i) * 1e-6),
      Float32Array.from({ length: n }, (_, i) => u(i) * 1e3),
    ];
    const rows = [...Array.from({ length: 10 }, (_, t) => trunkHidden.subarray(t * n, (t + 1) * n)), ...synthetic];
    let tightest = Infinity;
    for (const row of rows) {
      const { approx, margin } = fx.kernel.bounds(row, 1);
      const exact = oracleMaxLogits(row, 1, fx.head);
      for (let v = 0; v < exact.length; v++) {
        const error = Math.abs(approx[v] - exact[v]);
        if (!(error <= margin[v])) expect.fail(`term ${v}: |${approx[v]} − ${exact[v]}| = ${error} > bound ${margin[v]}`);
        tightest = Math.min(tightest, margin[v] - error);
      }
    }
    expect(tightest).toBeGreaterThanOrEqual(0);
    const { approx, margin } = fx.kernel.bounds(trunkHidden, 10);
    const exact = oracleMaxLogits(trunkHidden, 10, fx.head);
    for (let v = 0; v < exact.length; v++) expect(Math.abs(approx[v] - exact[v])).toBeLessThanOrEqual(margin[v]);
  });

  it("ignores masked rows, and answers an all-masked sequence with no terms", async () => {
    const ids = randomIds(6, 31);
    const hidden = await fx.hidden(ids);
    const n = fx.kernel.hiddenSize;
    const withJunk = new Float32Array(7 * n);
    withJunk.set(hidden.subarray(0, 3 * n));
    withJunk.fill(1e4, 3 * n, 4 * n);
    withJunk.set(hidden.subarray(3 * n), 4 * n);
    const masked = fx.kernel.spladeFromHidden(withJunk, 7, [1, 1, 1, 0, 1, 1, 1]);
    const plain = fx.kernel.spladeFromHidden(hidden, 6);
    expect(masked.indices).toEqual(plain.indices);
    expect(masked.values).toEqual(plain.values);
    expect(fx.kernel.spladeFromHidden(hidden, 6, new Array(6).fill(0n)).indices).toHaveLength(0);
  });
});

describe("approximate mode", () => {
  // 200 keeps `npm test` quick; SPLADE_APPROX_QUERIES=1000 measures the approx error over 1,000 queries (docs/performance.md).
  const QUERIES = Number(process.env.SPLADE_APPROX_QUERIES ?? 200);
  const TOP = 20;

  it.each(["query-sparse", "query"])(
    `stays within its bound on ${QUERIES} generated queries (%s model; top-${TOP} overlap and max error reported)`,
    async (name) => {
      const fx = await loadKernelFixture(name);
      const topOf = (out: HeadOutput) => {
        const top: number[] = [];
        const heavier = (i: number, j: number) => out.values[i] > out.values[j] || (out.values[i] === out.values[j] && out.indices[i] < out.indices[j]);
        for (let i = 0; i < out.indices.length; i++) {
          if (top.length === TOP && !heavier(i, top[TOP - 1])) continue;
          let at = top.length;
          while (at > 0 && heavier(i, top[at - 1])) at--;
          top.splice(at, 0, i);
          if (top.length > TOP) top.pop();
        }
        return new Set(top.map((i) => out.indices[i]));
      };
      let worst = 0;
      let worstBound = 0;
      let overlapSum = 0;
      let overlapMin = 1;
      let missing = 0;
      let extra = 0;
      let nonZero = 0;
      let beyondBound = 0;
      for (let q = 0; q < QUERIES; q++) {
        const length = 3 + (q % 30);
        const hidden = await fx.hidden(randomIds(length, 5000 + q));
        // The scan: the exact answer bit for bit (tested above), and faster where most terms are non-zero.
        const exactOut = fx.kernel.spladeFromHidden(hidden, length, undefined, { mode: "scan" });
        const approxOut = fx.kernel.spladeFromHidden(hidden, length, undefined, { mode: "approx" });
        const exact = dense(exactOut, fx.kernel.vocabSize);
        const approx = dense(approxOut, fx.kernel.vocabSize);
        const { margin } = fx.kernel.bounds(hidden, length);
        for (let v = 0; v < exact.length; v++) {
          const error = Math.abs(approx[v] - exact[v]);
          worst = Math.max(worst, error);
          // log1p∘relu is 1-Lipschitz: a weight is off by no more than its logit.
          if (!(error <= margin[v])) beyondBound++;
          worstBound = Math.max(worstBound, margin[v]);
          if (exact[v] > 0 && approx[v] === 0) missing++;
          if (exact[v] === 0 && approx[v] > 0) extra++;
          if (exact[v] > 0) nonZero++;
        }
        const a = topOf(approxOut);
        const e = topOf(exactOut);
        const overlap = e.size === 0 ? 1 : [...e].filter((v) => a.has(v)).length / e.size;
        overlapSum += overlap;
        overlapMin = Math.min(overlapMin, overlap);
      }
      console.log(
        `approx mode, ${name} model, ${QUERIES} queries of 3–32 tokens: top-${TOP} overlap mean ${(overlapSum / QUERIES).toFixed(4)}, ` +
          `min ${overlapMin.toFixed(2)}; max |approx − exact| ${worst.toExponential(3)} (bound ≤ ${worstBound.toExponential(3)}); ` +
          `terms missing ${missing}, extra ${extra} of ${nonZero} non-zero`,
      );
      expect(beyondBound).toBe(0);
    },
    600_000,
  );
});

describe("SpladeHead", () => {
  it("rejects non-finite hidden states and a decoder that does not match its bias", () => {
    const n = 16;
    const head = SpladeHead.create(kernelModule(), { decoder: new Float32Array(5 * n).fill(0.1), bias: new Float32Array(5), hiddenSize: n });
    const hidden = new Float32Array(n).fill(1);
    expect(head.spladeFromHidden(hidden, 1).indices).toEqual(Int32Array.of(0, 1, 2, 3, 4));
    hidden[3] = NaN;
    expect(() => head.spladeFromHidden(hidden, 1)).toThrow(/non-finite/);
    expect(() => SpladeHead.create(kernelModule(), { decoder: new Float32Array(4 * n), bias: new Float32Array(5), hiddenSize: n })).toThrow(RangeError);
  });
});
