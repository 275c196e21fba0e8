/**
 * How the independent sides of check:points and check:profiles take a cancellation back from a
 * customer's paid orders, written once for both (and on purpose apart from the converter's own
 * code, which is what they check): newest orders first, at most what each still holds.
 */

/** A paid order as both checks hold it: per product, units bought and units returned so far. */
export interface MatchablePart {
  lines: ReadonlyMap<string, { units: number; returned: number }>;
  /** The returns this part already had (`returnKey`s). */
  returns: Set<string>;
}

/** A return's identity: its products and units, sorted (two equal returns of one order are one). */
export function returnKey(taken: ReadonlyMap<string, number>): string {
  return [...taken]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([code, units]) => `${code}*${units}`)
    .join('\n');
}

/** Per part, the units of each wanted product it gives back: newest parts first, at most what each still holds; `skip` gives nothing. */
export function matchReturn<P extends MatchablePart>(
  wanted: ReadonlyArray<[string, number]>,
  parts: readonly P[],
  skip: ReadonlySet<P>,
): Map<P, Map<string, number>> {
  const out = new Map<P, Map<string, number>>();
  for (const [code, units] of wanted) {
    let left = units;
    for (let i = parts.length - 1; i >= 0 && left > 0; i--) {
      const part = parts[i]!;
      const line = part.lines.get(code);
      if (skip.has(part) || !line || line.units - line.returned <= 0) continue;
      const take = Math.min(left, line.units - line.returned);
      left -= take;
      out.set(part, (out.get(part) ?? new Map<string, number>()).set(code, take));
    }
  }
  return out;
}

/**
 * The parts a cancellation takes back from, and what from each: like `matchReturn`, but a part
 * whose share would repeat one of its earlier returns gives nothing (the order route counts an
 * equal return of one order once), and the rest are matched again without it. Records each
 * part's new return in its `returns`.
 */
export function takeReturn<P extends MatchablePart>(
  wanted: ReadonlyArray<[string, number]>,
  parts: readonly P[],
): Map<P, Map<string, number>> {
  const skip = new Set<P>();
  let matched = matchReturn(wanted, parts, skip);
  for (;;) {
    const repeat = [...matched].find(([part, taken]) => part.returns.has(returnKey(taken)));
    if (!repeat) break;
    skip.add(repeat[0]);
    matched = matchReturn(wanted, parts, skip);
  }
  for (const [part, taken] of matched) part.returns.add(returnKey(taken));
  return matched;
}
