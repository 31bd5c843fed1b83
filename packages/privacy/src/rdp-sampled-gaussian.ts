import { SiloError } from '@silo/common';

/**
 * The Rényi orders at which {@link PrivacyAccountant} tracks privacy loss: every integer from 2
 * to 64, then 128 and 256.
 *
 * Integers only: for a sampling rate below 1 this package evaluates the exact binomial expansion
 * of Mironov, Talwar and Zhang (2019), which holds for integer orders. The fractional orders other
 * accountants add (1.25, 1.5, …) need the paper's erfc series; leaving them out can only make ε
 * slightly larger (less tight), never smaller, so the guarantee stays sound.
 */
export const DEFAULT_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 63 }, (_, i) => i + 2),
  128,
  256,
]);

/**
 * Rényi-DP of ONE step of the sampled Gaussian mechanism, at each order in `orders`.
 *
 * The mechanism: each participant is included independently with probability `q` (Poisson
 * sampling), the included contributions (each of L2 norm at most C) are summed, and Gaussian noise
 * of standard deviation `z·C` is added. Its RDP at order α is ε(α) = log(A_α)/(α−1) where
 * (Mironov, Talwar, Zhang 2019, §3.3, integer α)
 *
 *   A_α = Σ_{k=0}^{α} C(α,k) (1−q)^{α−k} q^k exp((k²−k)/(2z²)).
 *
 * For `q = 1` this is the plain Gaussian mechanism, returned in closed form: α/(2z²).
 *
 * @param q - sampling rate, in (0, 1].
 * @param noiseMultiplier - z, the noise standard deviation divided by the clip norm; positive.
 * @param orders - Rényi orders α > 1; they must be integers when `q < 1`.
 * @returns the RDP at each order, in the order given; composition over steps is their sum.
 * @throws SiloError `ERR_BAD_INPUT` for `q` outside (0, 1], `noiseMultiplier` not positive and
 *   finite, or an order that is not finite, not above 1, or (with `q < 1`) not an integer.
 */
export function rdpSampledGaussian(q: number, noiseMultiplier: number, orders: readonly number[]): number[] {
  if (!(q > 0 && q <= 1)) {
    throw new SiloError('ERR_BAD_INPUT', `sampling rate must be in (0, 1], got ${q}`);
  }
  if (!(noiseMultiplier > 0) || !Number.isFinite(noiseMultiplier)) {
    throw new SiloError(
      'ERR_BAD_INPUT',
      `noise multiplier must be positive and finite, got ${noiseMultiplier}`,
    );
  }
  checkOrders(orders, q < 1);
  const variance = noiseMultiplier * noiseMultiplier;
  if (q === 1) return orders.map((alpha) => alpha / (2 * variance));
  return orders.map((alpha) => logAIntegerOrder(q, variance, alpha) / (alpha - 1));
}

/**
 * Checks that every order is a finite number above 1 (and an integer when `integers` is set).
 *
 * @throws SiloError `ERR_BAD_INPUT` naming the first bad order.
 */
export function checkOrders(orders: readonly number[], integers = false): void {
  if (orders.length === 0) throw new SiloError('ERR_BAD_INPUT', 'at least one Rényi order is needed');
  for (const alpha of orders) {
    if (!Number.isFinite(alpha) || !(alpha > 1)) {
      throw new SiloError('ERR_BAD_INPUT', `Rényi orders must be finite and above 1, got ${alpha}`);
    }
    if (integers && !Number.isInteger(alpha)) {
      throw new SiloError(
        'ERR_BAD_INPUT',
        `Rényi order ${alpha} is fractional; with a sampling rate below 1 only integer orders are supported`,
      );
    }
  }
}

/**
 * log(A_α) for integer α ≥ 2 and 0 < q < 1, in log space so that no term overflows.
 *
 * The binomial weights C(α,k)(1−q)^{α−k}q^k sum to 1 and the k = 0, 1 exponents are 0, so
 * A_α = 1 + B with B = Σ_{k=2}^{α} C(α,k)(1−q)^{α−k}q^k (exp((k²−k)/(2z²)) − 1). Every term of B is
 * non-negative, so log B is a log-sum-exp without cancellation, and log A_α = log1p(B) keeps full
 * precision even when A_α is 1 + 10⁻²⁰ (small q), where summing the raw terms would round to 1.
 */
function logAIntegerOrder(q: number, variance: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const terms: number[] = [];
  let logBinomial = Math.log(alpha); // log C(α, 1)
  for (let k = 2; k <= alpha; k++) {
    logBinomial += Math.log(alpha - k + 1) - Math.log(k);
    const exponent = (k * k - k) / (2 * variance);
    terms.push(logBinomial + k * logQ + (alpha - k) * log1mQ + logExpm1(exponent));
  }
  return log1pExp(logSumExp(terms));
}

/** log(eˣ − 1) for x ≥ 0, accurate for both tiny and huge x. */
function logExpm1(x: number): number {
  return x > 1 ? x + Math.log1p(-Math.exp(-x)) : Math.log(Math.expm1(x));
}

/** log(1 + eˣ) without overflow. */
function log1pExp(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** log Σ exp(xᵢ), shifted by the largest term; −∞ when every term is −∞. */
function logSumExp(xs: readonly number[]): number {
  const max = Math.max(...xs);
  if (max === -Infinity || max === Infinity) return max;
  let sum = 0;
  for (const x of xs) sum += Math.exp(x - max);
  return max + Math.log(sum);
}
