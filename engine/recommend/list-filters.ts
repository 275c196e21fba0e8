/** A list's filter: whether an item may be in this shopper's list (tier, stock, recent, scope...). */
export type Filter = (itemId: string) => boolean;

/** The ids that pass `filter`, lazily, in order. */
export function* passing(ids: Iterable<string>, filter: Filter): Generator<string> {
  for (const id of ids) if (filter(id)) yield id;
}

/** The entries of a list whose item passes `filter`, in order. */
export function passingEntries(list: ReadonlyArray<[string, number]>, filter: Filter): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const entry of list) if (filter(entry[0])) out.push(entry);
  return out;
}

/** The first `limit` entries of a list whose item passes `filter`, in order. */
export function firstPassing(list: ReadonlyArray<[string, number]>, filter: Filter, limit: number): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const entry of list) {
    if (out.length >= limit) break;
    if (filter(entry[0])) out.push(entry);
  }
  return out;
}
