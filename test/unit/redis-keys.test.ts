import { describe, expect, it } from 'vitest';
import { PulseError } from '../../engine/contracts/errors.js';
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
import { readScript, scriptSource } from '../../engine/platform/redis/redis-scripts.js';
import { keySlot, slotTag } from '../../engine/platform/redis/redis-slots.js';

/** Key names are stored data: these are the names the adapters wrote before the builders existed. */
describe('Redis key builders', () => {
  it('build the names stored data uses, byte for byte', () => {
    const user = userKeys('t:').of('u1');
    expect([user.vec, user.st, user.recent, user.bought, user.affinity, user.cart, user.marker('e1')]).toEqual(
      ['vec', 'st', 'recent', 'bought', 'aff', 'cart', 'ev:e1'].map((name) => `t:u:{u1}:${name}`),
    );
    const stats = statsKeys('t:');
    expect([
      stats.done('k'),
      stats.popularity(),
      stats.landmark(),
      stats.neighbours('cov', 'i'),
      stats.neighbours('cop', 'i'),
      stats.neighbours('aft', 'i'),
    ]).toEqual(['t:agg:{g}:done:k', 't:agg:{g}:pop', 't:agg:{g}:landmark', 't:agg:{g}:cov:i', 't:agg:{g}:cop:i', 't:agg:{g}:aft:i']);
    expect([leaseKeys('t:').lease(3), leaseKeys('t:').engines()]).toEqual(['t:lease:{p}:3', 't:lease:{p}:engines']);
    const members = memberKeys('t:');
    expect([
      members.record('m1'),
      members.ledger('m1'),
      members.pointsMarker('m1', 'e1'),
      members.email('a@b.c'),
      members.buckets(),
    ]).toEqual(['t:m:{m1}:rec', 't:m:{m1}:ledger', 't:m:{m1}:pe:e1', 't:email:{a@b.c}', 't:members:buckets']);
    expect(members.index(keySlot('m1'))).toBe(`t:members:{${slotTag(keySlot('m1'))}}`);
    expect([orderKeys('t:').accepted('o1'), orderKeys('t:').applied('u1', 'o1')]).toEqual(['t:ord:{o1}', 't:m:{u1}:ord:o1']);
    const coupons = couponKeys('t:');
    expect([coupons.coupon('m1', 'C'), coupons.list('m1'), coupons.rewardRequest('m1', 'r1'), coupons.owner('C')]).toEqual([
      't:m:{m1}:cp:C',
      't:m:{m1}:coupons',
      't:m:{m1}:rw:r1',
      't:coupon:{C}',
    ]);
    const campaigns = campaignKeys('t:');
    expect([
      campaigns.list(),
      campaigns.campaign('c1', 'def'),
      campaigns.inbox('m1'),
      campaigns.inbox('m1', 'pending'),
      ...campaigns.timers(2),
    ]).toEqual(['t:campaigns', 't:cp:{c1}:def', 't:m:{m1}:inbox', 't:m:{m1}:inbox:pending', 't:cpt:{p2}:due', 't:cpt:{p2}:ev']);
    const analytics = analyticsKeys('t:');
    expect([analytics.key('tot'), analytics.done('k'), analytics.bucket('h', 7), analytics.bucket('d', 9)]).toEqual([
      't:sx:{sx}:tot',
      't:sx:{sx}:done:k',
      't:sx:{sx}:h:7',
      't:sx:{sx}:d:9',
    ]);
  });

  it('reject a prefix that would break the hash tags', () => {
    for (const build of [userKeys, statsKeys, leaseKeys, memberKeys, orderKeys, couponKeys, campaignKeys, analyticsKeys]) {
      expect(() => build('a{b')).toThrow(PulseError);
    }
  });
});

describe('Lua script files', () => {
  it('resolve their includes once each, leaving no directive behind', () => {
    const source = scriptSource('applyMemberPoints');
    expect(source).toContain('local function tierAfter(');
    expect(source).not.toContain('--@include');
    expect(scriptSource('recordShopAnalyticsBatch').match(/local function earliest\(/g)).toHaveLength(1);
    expect(readScript('heartbeat')).toContain("redis.call('TIME')");
  });
});
