// The float64 error function erf and its complement erfc, to about 1e-15 relative: a leaf module (it imports
// nothing) shared by the reference forward pass (src/model/reference.ts, GELU's exact form) and the generator of the
// kernel's GELU table (src/kernel/erf-table.ts), so neither side imports the other for it.
const TWO_OVER_SQRT_PI = 1.1283791670955126;
const ONE_OVER_SQRT_PI = 0.5641895835477563;
// Below this erf's power series is accurate, above it erfc's continued fraction (each within 4e-15 relative
// of mpmath on [0, 6]).
const SERIES_LIMIT = 1.5;
const CONTINUED_FRACTION_DEPTH = 80;

/** The error function to about 1e-15 relative error. */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (!(a < SERIES_LIMIT)) return Math.sign(x) * (1 - erfc(a));
  // erf(a) = 2/√π · e^(−a²) · Σ 2ⁿ a^(2n+1) / (1·3·…·(2n+1)): every term is positive, so nothing cancels.
  let term = a;
  let sum = a;
  for (let n = 1; term > sum * 1e-17; n++) {
    term *= (2 * a * a) / (2 * n + 1);
    sum += term;
  }
  return Math.sign(x) * TWO_OVER_SQRT_PI * Math.exp(-a * a) * sum;
}

/** The complementary error function 1 − erf(x), accurate in relative terms for large x too. */
export function erfc(x: number): number {
  if (x < SERIES_LIMIT) return 1 - erf(x);
  // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated from the tail.
  let f = x;
  for (let n = CONTINUED_FRACTION_DEPTH; n >= 1; n--) f = x + n / 2 / f;
  return (ONE_OVER_SQRT_PI * Math.exp(-x * x)) / f;
}
