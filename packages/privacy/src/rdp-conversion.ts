import { SiloError } from '@silo/common';
import { checkOrders } from './rdp-sampled-gaussian.js';

/**
 * How an RDP curve is turned into an (ε, δ) guarantee.
 *
 * - `'classic'`: ε = RDP(α) + log(1/δ)/(α−1) (Mironov 2017, Proposition 3).
 * - `'balle2020'`: ε = RDP(α) + log((α−1)/α) − (log δ + log α)/(α−1) (Balle et al. 2020,
 *   "Hypothesis Testing Interpretations and Renyi Differential Privacy", Theorem 21; also
 *   Canonne, Kamath, Steinke 2020). Always below the classic bound, by log(α/(α−1)) +
 *   log(α)/(α−1) at each order.
 */
export type RdpConversion = 'classic' | 'balle2020';

/** An (ε, δ) guarantee and the Rényi order that gave it. */
export interface EpsilonAtOrder {
  epsilon: number;
  order: number;
}

/**
 * The smallest ε, over the given orders, such that a mechanism with this RDP curve is (ε, δ)-DP.
 *
 * @param rdp - RDP at each order (total over all composed steps); `Infinity` is allowed.
 * @param orders - the orders `rdp` was computed at, each finite and above 1.
 * @param delta - target δ, in (0, 1).
 * @param conversion - which bound to use; default `'classic'`.
 * @returns ε (≥ 0, `Infinity` when every order's RDP is infinite) and the order that attains it
 *   (the smallest such order on a tie).
 * @throws SiloError `ERR_BAD_INPUT` for mismatched or empty arrays, a bad order, a negative or NaN
 *   RDP, or δ outside (0, 1).
 */
export function epsilonFromRdp(
  rdp: readonly number[],
  orders: readonly number[],
  delta: number,
  conversion: RdpConversion = 'classic',
): EpsilonAtOrder {
  if (rdp.length !== orders.length) {
    throw new SiloError('ERR_BAD_INPUT', `got ${rdp.length} RDP values for ${orders.length} orders`);
  }
  checkOrders(orders);
  if (!(delta > 0 && delta < 1))
    throw new SiloError('ERR_BAD_INPUT', `delta must be in (0, 1), got ${delta}`);
  let best: EpsilonAtOrder = { epsilon: Infinity, order: orders[0] as number };
  for (let i = 0; i < orders.length; i++) {
    const alpha = orders[i] as number;
    const rho = rdp[i] as number;
    if (!(rho >= 0))
      throw new SiloError('ERR_BAD_INPUT', `RDP must be non-negative, got ${rho} at order ${alpha}`);
    const epsilon = conversion === 'classic' ? classic(rho, alpha, delta) : balle2020(rho, alpha, delta);
    if (epsilon < best.epsilon) best = { epsilon, order: alpha };
  }
  return best;
}

function classic(rho: number, alpha: number, delta: number): number {
  return rho - Math.log(delta) / (alpha - 1);
}

function balle2020(rho: number, alpha: number, delta: number): number {
  const epsilon = rho + Math.log1p(-1 / alpha) - (Math.log(delta) + Math.log(alpha)) / (alpha - 1);
  // The bound can dip below 0 for a tiny RDP at a large order; (ε, δ)-DP is monotone in ε, so 0 holds.
  return Math.max(0, epsilon);
}
