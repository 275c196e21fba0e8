/**
 * How the independent sides of check:points and check:profiles take a cancellation back from a
 * customer's paid orders, written once for both (and on purpose apart from the converter's own
 * code, which is what they check): newest orders first, at most what each still holds.
 */

/** A paid order as both checks hold it: per product, units bought and units returned so far. */
export interface MatchablePart {
  lines: ReadonlyMap<string, { units: number; returned: number }>;
}

/** A return's identity: its products and units, sorted (two equal returns of one order are one). */
export function returnKey(taken: ReadonlyMap<string, number>): string {
  return [...taken].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([code, units]) => `${code}*${units}`).join('\n');
}

/** Per part, the units of each wanted product it gives back: newest parts first, at most what each still holds; `skip` gives nothing. */
export function matchReturn<P extends MatchablePart>(wanted: ReadonlyArray<[string, number]>, parts: readonly P[], skip: ReadonlySet<P>): Map<P, Map<string, number>> {
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
