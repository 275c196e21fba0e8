/** The storefront's formats (no DOM: unit tests import them through reward-words.ts). */

/** Prices in the shop's currency (the demo catalog is in USD). */
export const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
/** Whole numbers with thousands separators (points). */
export const count = new Intl.NumberFormat('en-US');
const dateTime = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short' });

/** Epoch ms as a short local date and time. */
export function when(ms: number): string {
  return dateTime.format(new Date(ms));
}
