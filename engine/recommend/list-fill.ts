import type { RecommendedItem } from '../contracts/schemas.js';

/** The reason of an item only there to fill the list: the scope's name, or the shop. */
export function fillReason(category: string | undefined): string {
  return category === undefined ? 'to explore the shop' : `more in ${category}`;
}

/**
 * Tops a short list up to `k` (in place), score 0 and the fill reason: from the scope's items when
 * the list has one (`category` names it), else from a stable sample of the catalog (a fresh shop
 * has no popularity yet): catalog order visited with a fixed stride coprime to its size, so the
 * sample spreads over it and is the same for everyone until the catalog changes.
 */
export function fillList(
  list: RecommendedItem[],
  k: number,
  filter: (itemId: string) => boolean,
  scope: { ids: ReadonlySet<string>; category: string | undefined } | undefined,
  catalogIds: () => readonly string[],
): void {
  // A full list (the usual case) costs nothing: no set, no closure.
  if (list.length >= k) return;
  const taken = new Set(list.map((item) => item.itemId));
  const reason = fillReason(scope?.category);
  const take = (id: string): boolean => {
    if (!taken.has(id) && filter(id)) {
      taken.add(id);
      list.push({ itemId: id, score: 0, reason });
    }
    return list.length >= k;
  };
  if (scope !== undefined) {
    for (const id of scope.ids) if (take(id)) return;
    return;
  }
  const ids = catalogIds();
  const n = ids.length;
  if (n === 0) return;
  const stride = coprimeStride(n);
  for (let i = 0, at = 0; i < n; i++, at = (at + stride) % n) if (take(ids[at]!)) return;
}

/** A step near n / golden ratio with gcd(step, n) = 1, so stepping visits every index once. */
function coprimeStride(n: number): number {
  let stride = Math.max(1, Math.round(n * 0.6180339887));
  while (gcd(stride, n) !== 1) stride++;
  return stride;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
