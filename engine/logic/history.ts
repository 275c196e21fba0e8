/**
 * Paging of a member's history (pure): four lists, each newest first, share one `before` (epoch
 * ms, exclusive). A page holds at most `limit` of each list with ts < before; when any list is
 * full, `next` is the oldest ts that full lists reached, and every list is trimmed to ts >= next,
 * so the next page (before = next) continues all four lists without repeats. Entries sharing the
 * boundary ts beyond a full list's `limit` are the one thing a page can skip.
 */
export interface HistoryPage<E, O, P, C> {
  events: E[];
  orders: O[];
  points: P[];
  coupons: C[];
  next?: number;
}

export function pageHistory<E, O, P, C>(
  lists: { events: E[]; orders: O[]; points: P[]; coupons: C[] },
  tsOf: { events: (e: E) => number; orders: (o: O) => number; points: (p: P) => number; coupons: (c: C) => number },
  limit: number,
  before: number | undefined,
): HistoryPage<E, O, P, C> {
  const take = <T>(list: T[], ts: (t: T) => number) =>
    list
      .filter((entry) => before === undefined || ts(entry) < before)
      .sort((a, b) => ts(b) - ts(a))
      .slice(0, limit);
  const events = take(lists.events, tsOf.events);
  const orders = take(lists.orders, tsOf.orders);
  const points = take(lists.points, tsOf.points);
  const coupons = take(lists.coupons, tsOf.coupons);
  const reached: number[] = [];
  if (events.length === limit) reached.push(tsOf.events(events.at(-1)!));
  if (orders.length === limit) reached.push(tsOf.orders(orders.at(-1)!));
  if (points.length === limit) reached.push(tsOf.points(points.at(-1)!));
  if (coupons.length === limit) reached.push(tsOf.coupons(coupons.at(-1)!));
  if (reached.length === 0) return { events, orders, points, coupons };
  const next = Math.max(...reached);
  const keep = <T>(list: T[], ts: (t: T) => number) => list.filter((entry) => ts(entry) >= next);
  return {
    events: keep(events, tsOf.events),
    orders: keep(orders, tsOf.orders),
    points: keep(points, tsOf.points),
    coupons: keep(coupons, tsOf.coupons),
    next,
  };
}
