import { describe, expect, it } from 'vitest';
import {
  analyticsKeys,
  campaignKeys,
  couponKeys,
  leaseKeys,
  memberKeys,
  orderKeys,
  statsKeys,
  userKeys,
} from '../../engine/platform/redis/redis-keys.js';
import { isPulseKey, KeyTally } from '../../scripts/reset/keys.js';

/** One name of every kind each builder of redis-keys.ts makes (ids with dots, colons and braces' neighbours). */
function everyBuiltKey(): string[] {
  const user = userKeys('').of('user.1');
  const stats = statsKeys('');
  const leases = leaseKeys('');
  const members = memberKeys('');
  const orders = orderKeys('');
  const coupons = couponKeys('');
  const campaigns = campaignKeys('');
  const analytics = analyticsKeys('');
  return [
    user.vec,
    user.st,
    user.recent,
    user.bought,
    user.affinity,
    user.cart,
    user.marker('e:1'),
    stats.done('batch-1'),
    stats.popularity(),
    stats.landmark(),
    stats.neighbours('cov', 'item-1'),
    stats.neighbours('cop', 'item-1'),
    stats.neighbours('aft', 'item-1'),
    leases.lease(3),
    leases.engines(),
    members.record('m1'),
    members.ledger('m1'),
    members.pointsMarker('m1', 'e1'),
    members.email('a@b.example'),
    members.index(42),
    members.buckets(),
    orders.accepted('o1'),
    orders.applied('m1', 'o1'),
    coupons.coupon('m1', 'SAVE10'),
    coupons.list('m1'),
    coupons.rewardRequest('m1', 'r1'),
    coupons.owner('SAVE10'),
    campaigns.list(),
    campaigns.campaign('c1', 'def'),
    campaigns.inbox('m1'),
    campaigns.inbox('m1', 'pending'),
    ...campaigns.timers(7),
    analytics.key('tot'),
    analytics.done('e1'),
    analytics.bucket('h', 480_000),
    // The gateway's shared rate counts and socket caps (gateway/limits-window.ts, limits-sockets.ts).
    'pulse:limits:rate:ip:127.0.0.1:123',
    'pulse:limits:sockets:{u1}',
    'pulse:limits:sockets:{u1}:t:abc',
  ];
}

describe('reset: which Redis keys are Pulse’s', () => {
  it('recognises every key name the engine builds', () => {
    const missed = everyBuiltKey().filter((key) => !isPulseKey(key));
    expect(missed).toEqual([]);
  });

  it('keeps keys of other applications on a shared Redis', () => {
    for (const key of ['session:abc', 'user:1', 'u:1', 'members', 'campaigns:other', 'agg:x', 'lease:1', 'pulse:other', 'cache:{u:1}']) {
      expect(isPulseKey(key), key).toBe(false);
    }
  });

  it('counts by family and returns only Pulse’s keys of a page', () => {
    const tally = new KeyTally();
    expect(tally.add(['u:{a}:vec', 'other', 'u:{b}:st', 'campaigns'])).toEqual(['u:{a}:vec', 'u:{b}:st', 'campaigns']);
    expect(tally.add(['lease:{p}:engines'])).toEqual(['lease:{p}:engines']);
    expect(tally).toMatchObject({ pulse: 4, scanned: 5 });
    expect(tally.summary()).toBe('u:{id}:* 2, campaigns 1, lease:{p}:* 1');
  });
});
