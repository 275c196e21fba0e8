import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ID_LENGTH } from '../../engine/contracts/bounds.js';
import { checkCampaign } from '../../engine/contracts/campaigns.js';
import { isPulseError } from '../../engine/contracts/errors.js';
import {
  MAX_IMPRESSION_ITEMS,
  MAX_IMPRESSION_POSITION,
  parseStoredEvent,
  parseStoredEventWithSchemas,
  storedEventFastPath,
  type StoredEvent,
} from '../../engine/contracts/schemas.js';
import { CampaignTriggers } from '../../engine/campaigns/campaign-triggers.js';
import type { TokenClaims } from '../../gateway/auth.js';
import { EventIntake } from '../../gateway/event-intake.js';
import { GatewayMetrics } from '../../gateway/metrics.js';
import { emitWithAck, startHarness, type AckReply, type Harness } from './gateway-harness.js';
import { NOW, shown } from '../helpers/impressions-fixtures.js';

/**
 * Issue 14: an `impression` (cards a list showed) goes through the edge and the log, is counted
 * as an impression in the shop's counters, and moves nothing a shopper did: no taste, recent
 * items (= member history), affinity, segments, profile activity, popularity, co-visitation,
 * push or campaign trigger. A malformed one is refused at the edge with `invalid_event`.
 *
 * Here: the wire rules (the edge, HTTP and the socket) and the campaign triggers. That nothing a
 * shopper did moves: impression-effects.test.ts.
 */

describe('impression events at the edge', () => {
  const intake = new EventIntake({
    eventLog: { append: async () => ({ seq: 1, duplicate: false }) },
    metrics: new GatewayMetrics({ defaultMetrics: false }),
    logger: pino({ level: 'silent' }),
    appendTimeoutMs: 1000,
    now: () => NOW,
  });
  const visitor: TokenClaims = { sub: 'v1', role: 'visitor' };

  it('accepts a list of shown items with their positions, with or without a listId', () => {
    const event = intake.prepare({ type: 'impression', listId: 'strip-1', items: shown('a', 'b', 'c') }, visitor, 'socket');
    expect(event).toMatchObject({
      type: 'impression',
      listId: 'strip-1',
      items: shown('a', 'b', 'c'),
      userId: 'v1',
      ts: NOW,
      viaSocket: true,
    });
    const full = Array.from({ length: MAX_IMPRESSION_ITEMS }, (_, i) => ({ itemId: `i${i}`, position: MAX_IMPRESSION_POSITION - i }));
    expect(intake.prepare({ type: 'impression', items: full }, visitor)).toMatchObject({ type: 'impression', items: full });
  });

  const malformed: Array<[string, Record<string, unknown>, string]> = [
    ['no items', { type: 'impression', listId: 'l' }, 'items'],
    ['empty items', { type: 'impression', items: [] }, 'items'],
    [
      'too many items',
      { type: 'impression', items: Array.from({ length: MAX_IMPRESSION_ITEMS + 1 }, (_, i) => ({ itemId: `i${i}`, position: i })) },
      'items',
    ],
    ['a negative position', { type: 'impression', items: [{ itemId: 'a', position: -1 }] }, 'items.0.position'],
    [
      'a fractional position',
      {
        type: 'impression',
        items: [
          { itemId: 'a', position: 0 },
          { itemId: 'b', position: 1.5 },
        ],
      },
      'items.1.position',
    ],
    [
      'a position past the bound',
      { type: 'impression', items: [{ itemId: 'a', position: MAX_IMPRESSION_POSITION + 1 }] },
      'items.0.position',
    ],
    ['a position as text', { type: 'impression', items: [{ itemId: 'a', position: '0' }] }, 'items.0.position'],
    ['no position', { type: 'impression', items: [{ itemId: 'a' }] }, 'items.0.position'],
    ['an id with a space', { type: 'impression', items: [{ itemId: 'a b', position: 0 }] }, 'items.0.itemId'],
    ['an id too long', { type: 'impression', items: [{ itemId: 'x'.repeat(MAX_ID_LENGTH + 1), position: 0 }] }, 'items.0.itemId'],
    ['a bad listId', { type: 'impression', listId: 'my list', items: shown('a') }, 'listId'],
    ['an unknown key in an item', { type: 'impression', items: [{ itemId: 'a', position: 0, price: 3 }] }, 'items.0'],
    ['lines instead of shown items', { type: 'impression', items: [{ itemId: 'a', quantity: 1, price: 1 }] }, 'items.0.position'],
  ];

  it.each(malformed)('refuses an impression with %s as invalid_event naming the field', (_, raw, field) => {
    let error: unknown;
    try {
      intake.prepare(raw, visitor);
    } catch (err) {
      error = err;
    }
    expect(isPulseError(error)).toBe(true);
    if (!isPulseError(error)) return;
    expect(error.code).toBe('invalid_event');
    expect(Object.keys(error.details ?? {})[0]).toBe(field);
  });

  it('decodes a stored impression on the fast path exactly as the schemas do, and steps aside for a bad one', () => {
    const stored = {
      id: 'e1',
      ts: NOW,
      userId: 'v1',
      channel: 'web',
      type: 'impression',
      listId: 'l1',
      items: shown('a', 'b'),
      receivedAt: NOW,
      tier: 'vip',
      viaSocket: true,
    };
    const fast = storedEventFastPath(stored);
    expect(fast).toStrictEqual(parseStoredEventWithSchemas(stored));
    expect(Object.keys(fast!)).toEqual(Object.keys(parseStoredEventWithSchemas(stored)));
    expect((fast as { items: unknown[] }).items[0]).not.toBe(stored.items[0]);
    for (const bad of [
      { ...stored, items: [{ itemId: 'a', position: -1 }] },
      { ...stored, items: [] },
      { ...stored, listId: '' },
      { ...stored, itemId: 'a' },
    ]) {
      expect(storedEventFastPath(bad)).toBeUndefined();
      expect(() => parseStoredEvent(bad)).toThrow();
    }
  });

  describe('over HTTP and the socket', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness();
    });
    afterAll(async () => h?.close());

    it('appends a valid impression and rejects a malformed one with its code, over both', async () => {
      const token = await h.token('visitor', 'v-imp');
      const before = h.appended.length;
      const res = await h.fetch('/v1/events', {
        method: 'POST',
        token,
        json: {
          events: [
            { type: 'impression', listId: 'l1', items: shown('a', 'b') },
            { type: 'impression', items: [{ itemId: 'a', position: -2 }] },
          ],
        },
      });
      expect(res.status).toBe(202);
      const body = res.body as {
        accepted: number;
        rejected: Array<{ index: number; error: { code: string; details?: Record<string, string> } }>;
      };
      expect(body.accepted).toBe(1);
      expect(body.rejected.map((r) => [r.index, r.error.code, Object.keys(r.error.details ?? {})[0]])).toEqual([
        [1, 'invalid_event', 'items.0.position'],
      ]);
      expect(h.appended.slice(before).map((event) => event.type)).toEqual(['impression']);

      const socket = await h.connect(token);
      try {
        const refused = await emitWithAck<AckReply>(socket, 'track', { type: 'impression', items: [] });
        expect(refused).toMatchObject({ ok: false, error: { code: 'invalid_event' } });
        const accepted = await emitWithAck<AckReply>(socket, 'track', { type: 'impression', items: shown('c') });
        expect(accepted.ok).toBe(true);
      } finally {
        socket.disconnect();
      }
    });
  });
});

describe('campaign triggers and impressions', () => {
  it('refuses a campaign triggered by impressions, and no trigger watches one', () => {
    const input = { name: 'seen', audience: { tiers: ['regular'] }, offer: { title: 'Hi', message: 'An offer' } };
    const refused = checkCampaign({ ...input, trigger: { type: 'event', eventType: 'impression' } }, NOW);
    expect(refused).toMatchObject({ ok: false, code: 'invalid_campaign' });
    expect(checkCampaign({ ...input, trigger: { type: 'event', eventType: 'view' } }, NOW).ok).toBe(true);

    // A registry in which an event campaign on every type would run: an impression still concerns none.
    const running = (['view', 'click', 'impression'] as const).map((eventType) => ({ trigger: { type: 'event', eventType } }));
    const triggers = new CampaignTriggers({ registry: { running: () => running } } as unknown as ConstructorParameters<
      typeof CampaignTriggers
    >[0]);
    const impression: StoredEvent = { type: 'impression', items: shown('a'), id: 'e1', userId: 'm1', ts: NOW, receivedAt: NOW };
    expect(triggers.watches(impression, NOW)).toBe(false);
    expect(triggers.watches({ type: 'view', itemId: 'a', id: 'e2', userId: 'm1', ts: NOW, receivedAt: NOW }, NOW)).toBe(true);
  });
});
