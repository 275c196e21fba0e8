import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { MemoryMemberStore } from '../../engine/members/adapters/memory-member-store.js';
import { RedisMemberStore } from '../../engine/members/adapters/redis-member-store.js';
import { keySlot } from '../../engine/platform/redis/redis-slots.js';
import { PulseError } from '../../engine/contracts/errors.js';
import type { MemberStore, StoredMember } from '../../engine/members/member-store.js';
import { randomPrefix, useRedisServer } from '../helpers/redis-suite.js';

/** One suite for both MemberStore implementations; Redis on its own server, each test under a random prefix. */
let redis: Redis;
let redisUrl: string;
useRedisServer((client, url) => {
  redis = client;
  redisUrl = url;
});
const prefix = randomPrefix;

const member = (overrides: Partial<StoredMember> = {}): StoredMember => ({
  memberId: `m_${randomUUID().slice(0, 12)}`,
  email: `${randomUUID().slice(0, 8)}@example.com`,
  name: 'Ada Lovelace',
  tier: 'regular',
  points: 0,
  lifetimePoints: 0,
  createdAt: 1_700_000_000_123,
  passwordHash: 'scrypt$1024$8$1$c2FsdHNhbHRzYWx0c2FsdA==$a2V5a2V5a2V5a2V5a2V5a2V5',
  ...overrides,
});

const codeOf = async (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (err: unknown) => (err instanceof PulseError ? err.code : String(err)),
  );

const implementations: Array<[string, () => MemberStore]> = [
  ['memory', () => new MemoryMemberStore()],
  ['redis', () => new RedisMemberStore(redis, { keyPrefix: prefix() })],
];

describe.each(implementations)('MemberStore conformance: %s', (_name, create) => {
  it('stores a member and finds it by id and by email, unchanged', async () => {
    const store = create();
    const ada = member({ name: 'Ada — “quotes” & ünïcode', points: 12, lifetimePoints: 34, tier: 'vip' });
    await store.create(ada);
    expect(await store.get(ada.memberId)).toEqual(ada);
    expect(await store.findByEmail(ada.email)).toEqual(ada);
    expect(await store.get('m_unknown')).toBeUndefined();
    expect(await store.findByEmail('unknown@example.com')).toBeUndefined();
  });

  it('refuses a second member with the same email and keeps the first intact', async () => {
    const store = create();
    const first = member();
    await store.create(first);
    const second = member({ email: first.email, name: 'Eve' });
    expect(await codeOf(store.create(second))).toBe('email_taken');
    expect(await store.get(second.memberId)).toBeUndefined();
    expect(await store.findByEmail(first.email)).toEqual(first);
  });

  it('lets exactly one of concurrent creations of one email win', async () => {
    const store = create();
    const email = `race-${randomUUID().slice(0, 6)}@example.com`;
    const contenders = Array.from({ length: 8 }, () => member({ email }));
    const outcomes = await Promise.all(contenders.map((m) => codeOf(store.create(m))));
    expect(outcomes.filter((o) => o === 'resolved')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'email_taken')).toHaveLength(7);
    const winner = contenders[outcomes.indexOf('resolved')]!;
    expect(await store.findByEmail(email)).toEqual(winner);
    for (const loser of contenders.filter((m) => m !== winner)) expect(await store.get(loser.memberId)).toBeUndefined();
  });

  it('refuses a reused member id without claiming the email', async () => {
    const store = create();
    const first = member();
    await store.create(first);
    const clash = member({ memberId: first.memberId });
    await expect(store.create(clash)).rejects.toThrow();
    expect(await store.findByEmail(clash.email)).toBeUndefined();
    expect(await store.get(first.memberId)).toEqual(first);
    // The email is free again for a proper registration.
    const later = member({ email: clash.email });
    await store.create(later);
    expect(await store.findByEmail(clash.email)).toEqual(later);
  });
  describe('scan', () => {
    async function scanAll(store: MemberStore, count: number): Promise<string[][]> {
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await store.scan(cursor, count);
        expect(page.memberIds.length).toBeLessThanOrEqual(count);
        pages.push(page.memberIds);
        cursor = page.cursor;
      } while (cursor !== undefined && pages.length < 1000);
      expect(cursor).toBeUndefined();
      return pages;
    }

    it('pages through every member exactly once, whichever way it was created', async () => {
      const store = create();
      expect(await store.scan(undefined, 10)).toEqual({ memberIds: [], cursor: undefined });
      const created = Array.from({ length: 23 }, (_, i) => member({ email: i % 5 === 0 ? '' : `${randomUUID().slice(0, 8)}@example.com` }));
      for (const [i, m] of created.entries()) {
        if (i % 2 === 0 && m.email !== '') await store.create(m);
        else await store.createIfAbsent(m);
      }
      // Refused ones are not members, and a repeated import indexes nothing twice.
      await codeOf(store.create(member({ email: created[1]!.email })));
      await store.createIfAbsent({ ...created[2]! });
      const expected = created.map((m) => m.memberId).sort();
      for (const count of [1, 7, 23, 1000]) {
        const ids = (await scanAll(store, count)).flat();
        expect([...ids].sort()).toEqual(expected);
      }
      expect((await scanAll(store, 7)).filter((page) => page.length === 7).length).toBeGreaterThanOrEqual(3);
    });

    it('indexes each of concurrent imports of one member once', async () => {
      const store = create();
      const ada = member();
      await Promise.all(Array.from({ length: 8 }, () => store.createIfAbsent({ ...ada })));
      expect((await scanAll(store, 100)).flat()).toEqual([ada.memberId]);
    });

    it('refuses a malformed cursor and a count out of range', async () => {
      const store = create();
      await store.create(member());
      expect(await codeOf(store.scan('not a cursor', 10))).toBe('invalid_request');
      expect(await codeOf(store.scan('99999999', 10))).toBe('invalid_request');
      expect(await codeOf(store.scan(undefined, 0))).toBe('invalid_request');
      expect(await codeOf(store.scan(undefined, 10_001))).toBe('invalid_request');
    });
  });

  describe('createIfAbsent (imports)', () => {
    it('creates once; a second call with other fields leaves the stored member unchanged and claims nothing', async () => {
      const store = create();
      const { passwordHash: _none, ...imported } = member({ createdAt: 1_291_000_000_000 });
      expect(await store.createIfAbsent(imported)).toBe('created');
      expect(await store.get(imported.memberId)).toEqual(imported);
      expect(await store.findByEmail(imported.email)).toEqual(imported);
      const again = { ...imported, email: `${randomUUID().slice(0, 8)}@example.com`, name: 'Someone else', points: 99 };
      expect(await store.createIfAbsent(again)).toBe('existing');
      expect(await store.get(imported.memberId)).toEqual(imported);
      expect(await store.findByEmail(again.email)).toBeUndefined();
    });

    it('refuses an email another member holds, writing nothing', async () => {
      const store = create();
      const holder = member();
      await store.create(holder);
      const clash = member({ email: holder.email });
      expect(await codeOf(store.createIfAbsent(clash))).toBe('email_taken');
      expect(await store.get(clash.memberId)).toBeUndefined();
      expect(await store.findByEmail(holder.email)).toEqual(holder);
    });

    it('stores members without an email, none of them findable by email', async () => {
      const store = create();
      const first = member({ email: '' });
      const second = member({ email: '' });
      expect(await store.createIfAbsent(first)).toBe('created');
      expect(await store.createIfAbsent(second)).toBe('created');
      expect(await store.get(second.memberId)).toEqual(second);
      expect(await store.findByEmail('')).toBeUndefined();
    });

    it('lets exactly one of concurrent imports of one member create it', async () => {
      const store = create();
      const ada = member();
      const outcomes = await Promise.all(Array.from({ length: 8 }, () => store.createIfAbsent({ ...ada })));
      expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'existing')).toHaveLength(7);
      expect(await store.get(ada.memberId)).toEqual(ada);
      expect(await store.findByEmail(ada.email)).toEqual(ada);
    });

    it('lets exactly one of concurrent imports of one email under different ids win', async () => {
      const store = create();
      const email = `race-${randomUUID().slice(0, 6)}@example.com`;
      const contenders = Array.from({ length: 8 }, () => member({ email }));
      const outcomes = await Promise.all(
        contenders.map((m) => store.createIfAbsent(m).catch((err: unknown) => (err instanceof PulseError ? err.code : String(err)))),
      );
      expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'email_taken')).toHaveLength(7);
      const winner = contenders[outcomes.indexOf('created')]!;
      expect(await store.findByEmail(email)).toEqual(winner);
      for (const loser of contenders.filter((m) => m !== winner)) expect(await store.get(loser.memberId)).toBeUndefined();
    });
  });
});

describe('RedisMemberStore specifics', () => {
  it('uses hash-tagged keys and makes the email claim permanent', async () => {
    const keyPrefix = prefix();
    const store = new RedisMemberStore(redis, { keyPrefix });
    const ada = member();
    await store.create(ada);
    expect(await redis.hget(`${keyPrefix}m:{${ada.memberId}}:rec`, 'email')).toBe(ada.email);
    expect(await redis.get(`${keyPrefix}email:{${ada.email}}`)).toBe(ada.memberId);
    expect(await redis.ttl(`${keyPrefix}email:{${ada.email}}`)).toBe(-1);
  });

  it('puts the index entry of a member on the slot of its record', async () => {
    const keyPrefix = prefix();
    const store = new RedisMemberStore(redis, { keyPrefix });
    const ada = member();
    await store.create(ada);
    const [indexKey, ...others] = await redis.keys(`${keyPrefix}members:{*`);
    expect(others).toEqual([]);
    // The bucket is listed for scans, by its slot.
    expect(await redis.zrange(`${keyPrefix}members:buckets`, '0', '-1')).toEqual([String(keySlot(ada.memberId)).padStart(5, '0')]);
    const tag = /\{([^}]*)\}/.exec(indexKey!)![1]!;
    expect(keySlot(tag)).toBe(keySlot(ada.memberId));
    expect(await redis.zrangebylex(indexKey!, '-', '+')).toEqual([ada.memberId]);
  });

  it('removes the index entry with the record when the email claim is lost before it is made permanent', async () => {
    const keyPrefix = prefix();
    const store = new RedisMemberStore(redis, { keyPrefix });
    const ada = member({ email: '' });
    // No email: nothing to undo, the member stays. With one, a claim that vanished undoes both.
    await store.createIfAbsent(ada);
    const eve = member();
    const persist = redis.persist.bind(redis);
    redis.persist = (async () => 0) as typeof redis.persist;
    try {
      expect(await codeOf(store.create(eve))).toBe('unavailable');
    } finally {
      redis.persist = persist;
    }
    expect(await store.get(eve.memberId)).toBeUndefined();
    const ids = (await store.scan(undefined, 100)).memberIds;
    expect(ids).toEqual([ada.memberId]);
  });

  it('releases the email claim when the record write fails (nothing half-applied)', async () => {
    const keyPrefix = prefix();
    const store = new RedisMemberStore(redis, { keyPrefix });
    const ada = member();
    // A non-hash value under the record key makes the record write fail inside Redis.
    await redis.set(`${keyPrefix}m:{${ada.memberId}}:rec`, 'not a hash');
    await expect(store.create(ada)).rejects.toThrow();
    expect(await redis.exists(`${keyPrefix}email:{${ada.email}}`)).toBe(0);
    expect(await store.findByEmail(ada.email)).toBeUndefined();
  });

  it('ignores an email claim whose registration never finished (a crash between the steps)', async () => {
    const keyPrefix = prefix();
    const store = new RedisMemberStore(redis, { keyPrefix, claimTtlSeconds: 1 });
    await redis.set(`${keyPrefix}email:{stale@example.com}`, 'm_crashed', 'EX', 1);
    expect(await store.findByEmail('stale@example.com')).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const later = member({ email: 'stale@example.com' });
    await store.create(later);
    expect(await store.findByEmail('stale@example.com')).toEqual(later);
  });

  it('reports a lost connection as unavailable', async () => {
    const lost = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    const store = new RedisMemberStore(lost);
    expect(await codeOf(store.get('m_x'))).toBe('unavailable');
    expect(await codeOf(store.create(member()))).toBe('unavailable');
    lost.disconnect();
  });

  it('an import takes over an email claim naming its own id (a crash between its steps) and makes it permanent', async () => {
    const keyPrefix = prefix();
    const store = new RedisMemberStore(redis, { keyPrefix });
    const ada = member();
    await redis.set(`${keyPrefix}email:{${ada.email}}`, ada.memberId, 'EX', 60);
    expect(await store.createIfAbsent(ada)).toBe('created');
    expect(await store.findByEmail(ada.email)).toEqual(ada);
    expect(await redis.ttl(`${keyPrefix}email:{${ada.email}}`)).toBe(-1);
    expect(await redis.hexists(`${keyPrefix}m:{${ada.memberId}}:rec`, 'passwordHash')).toBe(1);
  });

  it('refuses key prefixes that would break the hash tags', () => {
    expect(() => new RedisMemberStore(redis, { keyPrefix: 'a{b' })).toThrow(PulseError);
  });
});
