import pLimit from 'p-limit';
import { describeFailure, byId, counted, el, formatCount, type ConsoleApi, type Item, type SegmentList } from './api.js';

/**
 * The segments panel (`GET /v1/analytics/segments`: built-in segments and the biggest
 * brand_loyal ones, with their sizes and the thresholds behind them) and the audience choices
 * of the campaign form: segment names from the same answer, brands and categories from the
 * catalog (`GET /v1/items`, paged).
 */

/** What a segment means, from the thresholds the engine reported. */
export function describeSegment(segment: string, thresholds: SegmentList['thresholds']): string {
  if (segment.startsWith('brand_loyal:'))
    return `most of their brand interest is ${segment.slice('brand_loyal:'.length)} (${Math.round(thresholds.brandLoyalShare * 100)}%+, ${thresholds.brandLoyalMinEvents}+ events)`;
  switch (segment) {
    case 'new':
      return `first seen or joined in the last ${thresholds.newDays} days`;
    case 'active':
      return `an event in the last ${thresholds.activeDays} days`;
    case 'lapsing':
      return `last purchase ${thresholds.lapsingMinDays} to ${thresholds.lapsingMaxDays} days ago`;
    case 'big_spender':
      return `spent ${formatCount(thresholds.bigSpender)} or more`;
    default:
      return '';
  }
}

/** Reads the segments and draws the table; resolves with the segment names (for the form). */
export async function loadSegments(api: ConsoleApi): Promise<string[]> {
  const rows = byId('segment-rows');
  const caption = byId('segments-caption');
  try {
    const list = await api.get<SegmentList>('/v1/analytics/segments?limit=50');
    const biggest = Math.max(1, ...list.segments.map((s) => s.size));
    rows.replaceChildren(
      ...list.segments.map(({ segment, size }) => {
        const share = Math.round((size / biggest) * 100);
        return el(
          'tr',
          { 'data-segment': segment },
          el(
            'th',
            { scope: 'row' },
            el('span', { class: 'segment-name' }, segment),
            el('span', { class: 'segment-desc' }, describeSegment(segment, list.thresholds)),
          ),
          el('td', { class: 'num' }, formatCount(size)),
          el('td', { class: 'bar-col', 'aria-hidden': 'true' }, el('span', { class: 'bar', style: `width:${share}%` })),
        );
      }),
    );
    const more =
      list.loyalBrands > list.segments.filter((s) => s.segment.startsWith('brand_loyal:')).length
        ? ` ${counted(list.loyalBrands, 'brand')} with loyal shoppers; the biggest are listed.`
        : '';
    caption.textContent = `Shoppers in each segment now, of ${counted(list.shoppers, 'shopper')} (${counted(list.members, 'member')}).${more}`;
    return list.segments.map((s) => s.segment);
  } catch (err) {
    caption.textContent = `Segments unavailable: ${describeFailure(err)}`;
    return [];
  }
}

/** Largest catalog read for the brand and category choices (items). */
const CATALOG_LIMIT = 10_000;
const PAGE = 200;
/** Catalog pages read at once. */
const PAGES_IN_FLIGHT = 4;

/** Brands (sorted) and categories (leaves and every parent path, sorted) of the catalog. */
export async function loadCatalogChoices(api: ConsoleApi): Promise<{ brands: string[]; categories: string[] }> {
  type Page = { items: Item[]; total: number; categories: string[] };
  const first = await api.get<Page>(`/v1/items?limit=${PAGE}&offset=0`);
  const offsets: number[] = [];
  for (let offset = PAGE; offset < Math.min(first.total, CATALOG_LIMIT); offset += PAGE) offsets.push(offset);
  const pages = [first];
  // A few pages at a time: the gateway is shared with the shoppers.
  pages.push(...(await pLimit(PAGES_IN_FLIGHT).map(offsets, (offset) => api.get<Page>(`/v1/items?limit=${PAGE}&offset=${offset}`))));
  const brands = new Set<string>();
  const categories = new Set<string>();
  for (const page of pages) {
    for (const item of page.items) if (item.brand) brands.add(item.brand);
    for (const category of [...page.categories, ...page.items.map((item) => item.category)]) {
      const parts = category.split('/');
      for (let n = 1; n <= parts.length; n++) categories.add(parts.slice(0, n).join('/'));
    }
  }
  const sort = (values: Set<string>) => [...values].sort((a, b) => a.localeCompare(b));
  return { brands: sort(brands), categories: sort(categories) };
}
