import type { Coupon } from './coupons.js';
import type { OrderLine } from './order-lines.js';

/**
 * A coupon's discount on an order's lines (pure, browser-safe). The discount lives in the lines'
 * unit prices, so the order's total is the net amount (what points are computed on) and a
 * returned unit is refunded at what was paid for it.
 *
 * - `percent`: every unit price × (100 − discountPercent) / 100, rounded to the cent.
 * - `value`: `value` off the gross, spread over the lines by their share of it; each unit price is
 *   rounded up to the cent, so the discount never exceeds the value (a cent or two less at most),
 *   and never below 0 (a value above the gross makes the order free).
 */
export type CouponTerms = Pick<Coupon, 'kind' | 'value' | 'discountPercent'>;

const toCents = (amount: number) => Math.round(amount * 100);

/** Σ quantity × price, summed in cents (currency units back). */
export function linesNetTotal(lines: readonly OrderLine[]): number {
  let cents = 0;
  for (const line of lines) cents += toCents(line.price) * line.quantity;
  return cents / 100;
}

/** The lines at the coupon's net prices (see the file comment). */
export function discountedLines(lines: readonly OrderLine[], coupon: CouponTerms): OrderLine[] {
  if (coupon.kind === 'percent') {
    const keep = (100 - Math.min(100, Math.max(0, coupon.discountPercent ?? 0))) / 100;
    return lines.map((line) => ({ ...line, price: Math.round(toCents(line.price) * keep) / 100 }));
  }
  const gross = toCents(linesNetTotal(lines));
  if (gross === 0) return lines.map((line) => ({ ...line }));
  const keep = Math.max(0, gross - toCents(Math.max(0, coupon.value))) / gross;
  // 1e-9: a product like 1999 × 0.5 must not round up a cent for a binary fraction.
  return lines.map((line) => ({ ...line, price: Math.ceil(toCents(line.price) * keep - 1e-9) / 100 }));
}

/**
 * Whether paid lines stay within what the coupon allows against the catalog prices, with the
 * engine's ORDER_PRICE_TOLERANCE (a share of the catalog price) and half a cent of rounding:
 * no line above its catalog price (+ tolerance); for `percent` no unit below the discounted
 * catalog price (− tolerance); for `value` at most `value` off in all. The first problem, or
 * undefined. Lines whose item `catalogPrice` does not know are left to the caller.
 */
export function couponPriceProblem(
  lines: readonly OrderLine[],
  catalogPrice: (itemId: string) => number | undefined,
  tolerance: number,
  coupon: CouponTerms,
): { line: number; message: string } | undefined {
  const slack = 0.005 + 1e-9;
  let valueOff = 0;
  for (const [index, line] of lines.entries()) {
    const price = catalogPrice(line.itemId);
    if (price === undefined) continue;
    if (line.price > price * (1 + tolerance) + slack)
      return { line: index, message: `line ${index}: item ${line.itemId} sent at ${line.price}, above the catalog price ${price}` };
    if (coupon.kind === 'percent') {
      const floor = price * (1 - (coupon.discountPercent ?? 0) / 100) * (1 - tolerance);
      if (line.price < floor - slack)
        return {
          line: index,
          message: `line ${index}: item ${line.itemId} sent at ${line.price}, below the catalog price ${price} less the coupon's ${coupon.discountPercent ?? 0}%`,
        };
    } else valueOff += line.quantity * Math.max(0, price * (1 - tolerance) - line.price);
  }
  if (coupon.kind === 'value' && valueOff > coupon.value + slack)
    return {
      line: 0,
      message: `the lines are ${valueOff.toFixed(2)} below the catalog prices, more than the coupon's ${coupon.value} off`,
    };
  return undefined;
}
