import { describe, expect, it } from 'vitest';
import { EventTriggerSchema } from '../../engine/contracts/campaigns.js';
import type { StoredEvent } from '../../engine/contracts/schemas.js';
import type { RecentInteraction } from '../../engine/shoppers/user-state-store.js';
import {
  cartStillAbandoned,
  cartTimerArmedBy,
  categoryMatches,
  disarmsCartTimers,
  eventTriggerFires,
  matchingInteractions,
  pointsReached,
  type EventTrigger,
  type ItemAttributes,
} from '../../engine/campaigns/logic/triggers.js';

const catalog: Record<string, ItemAttributes> = {
  lamp1: { category: 'Home > Lamps', brand: 'Lumo' },
  lamp2: { category: 'home/lamps/desk', brand: 'lumo' },
  sofa: { category: 'home/sofas', brand: 'Cosy' },
  shoe: { category: 'sport/shoes', brand: 'Lumo' },
};
const attributesOf = (itemId: string) => catalog[itemId];
const eventTrigger = (input: Record<string, unknown>): EventTrigger => EventTriggerSchema.parse({ type: 'event', ...input });
const event = (ts: number, fields: Record<string, unknown>) =>
  ({ id: `e${ts}`, userId: 'm1', ts, receivedAt: ts, ...fields }) as StoredEvent;
const view = (ts: number, itemId: string): RecentInteraction => ({ itemId, type: 'view', ts });
const MIN = 60_000;

describe('categoryMatches', () => {
  it('matches the item’s category and every level above it, case-insensitive, with / or > separators', () => {
    expect(categoryMatches('home', 'Home > Lamps')).toBe(true);
    expect(categoryMatches('HOME/LAMPS', 'home > lamps > desk')).toBe(true);
    expect(categoryMatches('Home > Lamps', 'home/lamps')).toBe(true);
    expect(categoryMatches('home/lamps/desk', 'home/lamps')).toBe(false);
    expect(categoryMatches('lamps', 'home/lamps')).toBe(false);
    expect(categoryMatches('hom', 'home/lamps')).toBe(false);
  });
});

describe('event trigger', () => {
  const threeViews = eventTrigger({ eventType: 'view', category: 'home', count: 3, withinSeconds: 600 });

  it('fires on the third matching view within the window, not on the second or the fourth', () => {
    const recent: RecentInteraction[] = [];
    const fired: boolean[] = [];
    for (const [i, itemId] of ['lamp1', 'sofa', 'lamp2', 'sofa'].entries()) {
      const ts = 1_000_000 + i * MIN;
      recent.unshift(view(ts, itemId));
      fired.push(eventTriggerFires(threeViews, event(ts, { type: 'view', itemId }), recent, attributesOf));
    }
    expect(fired).toEqual([false, false, true, false]);
  });

  it('counts only inside withinSeconds (the window’s start inclusive) and events up to this one', () => {
    const at = 10_000_000;
    const edge = [view(at, 'lamp1'), view(at - 300_000, 'sofa'), view(at - 600_000, 'lamp2')];
    expect(matchingInteractions(threeViews, edge, at, attributesOf)).toBe(3);
    expect(eventTriggerFires(threeViews, event(at, { type: 'view', itemId: 'lamp1' }), edge, attributesOf)).toBe(true);
    const outside = [view(at, 'lamp1'), view(at - 300_000, 'sofa'), view(at - 600_001, 'lamp2')];
    expect(eventTriggerFires(threeViews, event(at, { type: 'view', itemId: 'lamp1' }), outside, attributesOf)).toBe(false);
    // An interaction newer than the event (out of order) is not counted for it.
    expect(matchingInteractions(threeViews, [view(at + 1, 'sofa'), ...outside], at, attributesOf)).toBe(2);
  });

  it('a sliding window fires again once an old view dropped out (the frequency cap decides on repeats)', () => {
    const views = [view(0, 'lamp1'), view(MIN, 'lamp2'), view(2 * MIN, 'sofa'), view(11 * MIN, 'lamp1')].reverse();
    expect(eventTriggerFires(threeViews, event(11 * MIN, { type: 'view', itemId: 'lamp1' }), views, attributesOf)).toBe(true);
  });

  it('needs this event to match: a non-matching event never fires, other types and categories do not count', () => {
    const at = 5 * MIN;
    const recent = [view(at, 'shoe'), view(at - MIN, 'lamp1'), view(at - 2 * MIN, 'lamp2'), view(at - 3 * MIN, 'sofa')];
    expect(eventTriggerFires(threeViews, event(at, { type: 'view', itemId: 'shoe' }), recent, attributesOf)).toBe(false);
    const mixed: RecentInteraction[] = [
      view(at, 'lamp1'),
      { itemId: 'lamp2', type: 'click', ts: at - MIN },
      view(at - 2 * MIN, 'shoe'),
      view(at - 3 * MIN, 'sofa'),
    ];
    expect(matchingInteractions(threeViews, mixed, at, attributesOf)).toBe(2);
    expect(eventTriggerFires(threeViews, event(at, { type: 'click', itemId: 'lamp1' }), recent, attributesOf)).toBe(false);
  });

  it('matches brand case-insensitively and itemId exactly; an unknown item meets no category or brand', () => {
    const lumo = eventTrigger({ eventType: 'like', brand: 'LUMO' });
    expect(
      eventTriggerFires(lumo, event(1, { type: 'like', itemId: 'shoe' }), [{ itemId: 'shoe', type: 'like', ts: 1 }], attributesOf),
    ).toBe(true);
    expect(
      eventTriggerFires(lumo, event(1, { type: 'like', itemId: 'sofa' }), [{ itemId: 'sofa', type: 'like', ts: 1 }], attributesOf),
    ).toBe(false);
    expect(
      eventTriggerFires(lumo, event(1, { type: 'like', itemId: 'gone' }), [{ itemId: 'gone', type: 'like', ts: 1 }], attributesOf),
    ).toBe(false);
    const one = eventTrigger({ eventType: 'view', itemId: 'gone' });
    expect(eventTriggerFires(one, event(1, { type: 'view', itemId: 'gone' }), [view(1, 'gone')], attributesOf)).toBe(true);
    expect(eventTriggerFires(one, event(1, { type: 'view', itemId: 'lamp1' }), [view(1, 'lamp1')], attributesOf)).toBe(false);
  });

  it('counts an event with several lines once, when any line matches', () => {
    const twoAdds = eventTrigger({ eventType: 'add_to_cart', category: 'home', count: 2 });
    const basket = {
      type: 'add_to_cart',
      itemId: 'shoe',
      items: [
        { itemId: 'lamp1', quantity: 1, price: 5 },
        { itemId: 'shoe', quantity: 1, price: 5 },
      ],
    };
    const lines: RecentInteraction[] = [
      { itemId: 'lamp1', type: 'add_to_cart', ts: 2000 },
      { itemId: 'shoe', type: 'add_to_cart', ts: 2000 },
    ];
    expect(eventTriggerFires(twoAdds, event(2000, basket), lines, attributesOf)).toBe(false);
    const withEarlier = [...lines, { itemId: 'sofa', type: 'add_to_cart' as const, ts: 1000 }];
    expect(eventTriggerFires(twoAdds, event(2000, basket), withEarlier, attributesOf)).toBe(true);
  });

  it('a search without an item fires only a count-1 trigger without item criteria', () => {
    const search = event(1, { type: 'search', query: 'lamp' });
    expect(eventTriggerFires(eventTrigger({ eventType: 'search' }), search, [], attributesOf)).toBe(true);
    expect(eventTriggerFires(eventTrigger({ eventType: 'search', count: 2 }), search, [], attributesOf)).toBe(false);
    expect(eventTriggerFires(eventTrigger({ eventType: 'search', category: 'home' }), search, [], attributesOf)).toBe(false);
  });
});

describe('cart_abandoned trigger', () => {
  const trigger = { type: 'cart_abandoned', afterSeconds: 2 } as const;

  it('an add arms a timer due afterSeconds after the event, named by the event; other events arm none', () => {
    expect(cartTimerArmedBy(trigger, 'c1', event(10_000, { type: 'add_to_cart', itemId: 'lamp1' }))).toEqual({
      campaignId: 'c1',
      memberId: 'm1',
      dueAt: 12_000,
      eventId: 'e10000',
    });
    expect(cartTimerArmedBy(trigger, 'c1', event(10_000, { type: 'view', itemId: 'lamp1' }))).toBeUndefined();
  });

  it('each add re-arms: the later add gives the later due time and names the promotion', () => {
    const first = cartTimerArmedBy(trigger, 'c1', event(10_000, { type: 'add_to_cart', itemId: 'lamp1' }))!;
    const second = cartTimerArmedBy(trigger, 'c1', event(11_500, { type: 'add_to_cart', itemId: 'sofa' }))!;
    expect(second.dueAt).toBe(13_500);
    expect(second.eventId).not.toBe(first.eventId);
  });

  it('a purchase disarms (a cancellation does not); a change that empties the cart disarms', () => {
    expect(disarmsCartTimers(event(1, { type: 'purchase', items: [{ itemId: 'lamp1', quantity: 1, price: 5 }] }), 1)).toBe(true);
    expect(disarmsCartTimers(event(1, { type: 'purchase', items: [{ itemId: 'lamp1', quantity: -1, price: 5 }] }), 1)).toBe(false);
    expect(disarmsCartTimers(event(1, { type: 'remove_from_cart', itemId: 'lamp1' }), 0)).toBe(true);
    expect(disarmsCartTimers(event(1, { type: 'remove_from_cart', itemId: 'lamp1' }), 2)).toBe(false);
    expect(disarmsCartTimers(event(1, { type: 'view', itemId: 'lamp1' }), 0)).toBe(false);
  });

  it('at fire time it holds only with a non-empty cart and no purchase at or after the arming add', () => {
    const timer = { campaignId: 'c1', memberId: 'm1', dueAt: 12_000, eventId: 'e10000' };
    const cartAdd: RecentInteraction = { itemId: 'lamp1', type: 'add_to_cart', ts: 10_000 };
    expect(cartStillAbandoned(trigger, timer, { cartLines: 1, recent: [cartAdd] })).toBe(true);
    expect(cartStillAbandoned(trigger, timer, { cartLines: 0, recent: [cartAdd] })).toBe(false);
    expect(cartStillAbandoned(trigger, timer, { cartLines: 1, lastPurchaseAt: 9_999, recent: [cartAdd] })).toBe(true);
    expect(cartStillAbandoned(trigger, timer, { cartLines: 1, lastPurchaseAt: 10_000, recent: [cartAdd] })).toBe(false);
    expect(cartStillAbandoned(trigger, timer, { cartLines: 1, recent: [{ itemId: 'sofa', type: 'purchase', ts: 11_000 }, cartAdd] })).toBe(
      false,
    );
  });
});

describe('points_reached trigger', () => {
  it('fires when points cross the threshold upward, not when already above or going down', () => {
    const trigger = { type: 'points_reached', points: 500 } as const;
    expect(pointsReached(trigger, 499, 500)).toBe(true);
    expect(pointsReached(trigger, 100, 900)).toBe(true);
    expect(pointsReached(trigger, 500, 700)).toBe(false);
    expect(pointsReached(trigger, 700, 400)).toBe(false);
    expect(pointsReached(trigger, 100, 499)).toBe(false);
  });
});
