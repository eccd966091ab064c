// Order statistics of timing samples: nearest-rank quantiles, so a p99 is a time that was actually measured.

export interface Quantiles {
  n: number;
  p50: number;
  p90: number;
  p99: number;
}

/** The value at quantile q (0–1) of samples sorted ascending, by nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export function quantiles(samples: readonly number[]): Quantiles {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), p99: quantile(sorted, 0.99) };
}
