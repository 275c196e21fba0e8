/**
 * Paging of a member's history (pure): several lists (events, orders, points, coupons,
 * promotions), each newest first, share one `before` (epoch ms, exclusive). A page holds at most
 * `limit` of each list with ts < before; when any list is full, `next` is the oldest ts that full
 * lists reached, and every list is trimmed to ts >= next, so the next page (before = next)
 * continues all lists without repeats. Entries sharing the boundary ts beyond a full list's
 * `limit` are the one thing a page can skip.
 */
export type HistoryPage<L extends Record<string, unknown[]>> = { [K in keyof L]: L[K] } & { next?: number };

export function pageHistory<L extends Record<string, unknown[]>>(
  lists: L,
  tsOf: { [K in keyof L]: (entry: L[K][number]) => number },
  limit: number,
  before: number | undefined,
): HistoryPage<L> {
  const keys = Object.keys(lists) as Array<keyof L>;
  const taken = {} as { [K in keyof L]: L[K] };
  const reached: number[] = [];
  for (const key of keys) {
    const ts = tsOf[key] as (entry: unknown) => number;
    const list = (lists[key] as unknown[])
      .filter((entry) => before === undefined || ts(entry) < before)
      .sort((a, b) => ts(b) - ts(a))
      .slice(0, limit);
    taken[key] = list as L[typeof key];
    if (list.length === limit) reached.push(ts(list[limit - 1]));
  }
  if (reached.length === 0) return taken;
  const next = Math.max(...reached);
  const page = {} as { [K in keyof L]: L[K] };
  for (const key of keys)
    page[key] = (taken[key] as unknown[]).filter((entry) => (tsOf[key] as (entry: unknown) => number)(entry) >= next) as L[typeof key];
  return { ...page, next };
}
