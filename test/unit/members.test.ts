import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryMemberStore } from '../../engine/members/adapters/memory-member-store.js';
import { MemoryRpcBus } from '../../engine/platform/adapters/memory-rpc.js';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import { PulseError } from '../../engine/contracts/errors.js';
import {
  EmailSchema,
  EventInputSchema,
  MemberLoginSchema,
  MemberRegistrationSchema,
  mergeEventId,
  parseStoredEvent,
  type StoredMergeEvent,
} from '../../engine/contracts/schemas.js';
import type { VectorLookup } from '../../engine/shoppers/logic/event-effect.js';
import { mergeEffect } from '../../engine/shoppers/logic/merge-effect.js';
import { cosine } from '../../engine/recommend/logic/vector-math.js';
import { registerMemberHandlers } from '../../engine/members/member-handlers.js';
import type { UserState } from '../../engine/shoppers/user-state-store.js';

describe('member schemas', () => {
  it('normalises emails and refuses malformed ones', () => {
    expect(EmailSchema.parse('  Ada.Lovelace+shop@Example.COM ')).toBe('ada.lovelace+shop@example.com');
    for (const bad of [
      '',
      'ada',
      'ada@',
      '@example.com',
      'ada@example',
      'a da@example.com',
      'ada@@example.com',
      `${'a'.repeat(250)}@example.com`,
    ]) {
      expect(EmailSchema.safeParse(bad).success, bad).toBe(false);
    }
  });

  it('bounds passwords (8..200) and names (1..200), and refuses unknown fields', () => {
    const ok = { email: 'a@b.co', password: '12345678', name: 'Ada' };
    expect(MemberRegistrationSchema.safeParse(ok).success).toBe(true);
    expect(MemberRegistrationSchema.safeParse({ ...ok, password: '1234567' }).success).toBe(false);
    expect(MemberRegistrationSchema.safeParse({ ...ok, password: 'x'.repeat(201) }).success).toBe(false);
    expect(MemberRegistrationSchema.safeParse({ ...ok, name: '   ' }).success).toBe(false);
    expect(MemberRegistrationSchema.safeParse({ ...ok, tier: 'vip' }).success).toBe(false);
    expect(MemberLoginSchema.safeParse({ email: 'a@b.co', password: 'x', visitorId: 'v_1' }).success).toBe(true);
    expect(MemberLoginSchema.safeParse({ email: 'a@b.co', password: 'x', visitorId: 'no spaces' }).success).toBe(false);
  });

  it('accepts the internal merge event from the log but never from a client', () => {
    const merge = { type: 'merge', id: mergeEventId('v_1'), userId: 'm_1', fromUserId: 'v_1', ts: 1, receivedAt: 2 };
    expect(parseStoredEvent(merge)).toEqual(merge);
    expect(EventInputSchema.safeParse({ type: 'merge', fromUserId: 'v_1' }).success).toBe(false);
    expect(() => parseStoredEvent({ ...merge, fromUserId: undefined })).toThrow();
    expect(() => parseStoredEvent({ ...merge, itemId: 'x' })).toThrow();
  });
});

describe('member rpc handlers', () => {
  const setup = () => {
    const bus = new MemoryRpcBus(pino({ level: 'silent' }));
    const members = new MemoryMemberStore();
    let clock = 1_700_000_000_000;
    registerMemberHandlers(bus, { members, scrypt: { N: 2 ** 10, r: 8, p: 1 }, now: () => clock++ });
    return { bus, members };
  };
  const codeOf = async (promise: Promise<unknown>) => {
    try {
      await promise;
    } catch (err) {
      return err instanceof PulseError ? err.code : `not a PulseError: ${String(err)}`;
    }
    return 'resolved';
  };

  it('registers a regular member with 0 points and never returns the hash', async () => {
    const { bus, members } = setup();
    const profile = await bus.call('members.register', { email: ' Ada@Example.com', password: 'difference engine', name: ' Ada ' });
    expect(profile).toEqual({
      memberId: expect.stringMatching(/^m_/),
      email: 'ada@example.com',
      name: 'Ada',
      tier: 'regular',
      points: 0,
      lifetimePoints: 0,
      createdAt: 1_700_000_000_000,
    });
    expect(JSON.stringify(profile)).not.toContain('scrypt');
    expect((await members.get(profile.memberId))?.passwordHash).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await bus.call('members.get', { memberId: profile.memberId })).toEqual(profile);
    expect(await bus.call('members.login', { email: 'ADA@example.com', password: 'difference engine' })).toEqual(profile);
  });

  it('gives each failure its own code and changes nothing', async () => {
    const { bus, members } = setup();
    const ada = await bus.call('members.register', { email: 'ada@example.com', password: 'difference engine', name: 'Ada' });
    const before = await members.get(ada.memberId);
    expect(await codeOf(bus.call('members.register', { email: 'ADA@example.com', password: 'another one!', name: 'Eve' }))).toBe(
      'email_taken',
    );
    expect(await codeOf(bus.call('members.register', { email: 'not-an-email', password: 'another one!', name: 'Eve' }))).toBe(
      'invalid_email',
    );
    expect(await codeOf(bus.call('members.register', { email: 'eve@example.com', password: 'short', name: 'Eve' }))).toBe(
      'invalid_password',
    );
    expect(await codeOf(bus.call('members.login', { email: 'ada@example.com', password: 'wrong password' }))).toBe('invalid_credentials');
    expect(await codeOf(bus.call('members.login', { email: 'nobody@example.com', password: 'difference engine' }))).toBe(
      'invalid_credentials',
    );
    expect(await codeOf(bus.call('members.login', { email: 'ada@example.com', password: '' }))).toBe('invalid_credentials');
    expect(await codeOf(bus.call('members.get', { memberId: 'm_missing' }))).toBe('not_found');
    expect(await members.get(ada.memberId)).toEqual(before);
    expect(await members.findByEmail('eve@example.com')).toBeUndefined();
  });

  it('lets exactly one of concurrent registrations of one email win', async () => {
    const { bus } = setup();
    const attempts = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) =>
        bus.call('members.register', { email: 'race@example.com', password: `password-${i}`, name: `n${i}` }),
      ),
    );
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    for (const a of attempts) if (a.status === 'rejected') expect((a.reason as PulseError).code).toBe('email_taken');
  });
});

describe('mergeEffect', () => {
  // Two orthogonal "regions" of item space: a* items along e0, b* items along e1.
  const dim = 4;
  const unit = (axis: number) => Float32Array.from({ length: dim }, (_, i) => (i === axis ? 1 : 0));
  const vectors: VectorLookup = {
    item: (id) => (id.startsWith('a') ? unit(0) : id.startsWith('b') ? unit(1) : undefined),
    text: () => unit(2),
    version: 'test-v1',
    dimension: dim,
  };
  const options = { tasteHalfLifeSeconds: 3600, recentLimit: 10 };
  const event: StoredMergeEvent = {
    type: 'merge',
    id: mergeEventId('v_1'),
    userId: 'm_1',
    fromUserId: 'v_1',
    ts: 10_000,
    receivedAt: 10_000,
  };

  const member: UserState = {
    ...emptyUserState(),
    vector: unit(0),
    vectorVersion: 'test-v1',
    strength: 2,
    updatedAt: 5_000,
    version: 3,
    recent: [{ itemId: 'a1', type: 'view', ts: 5_000 }],
    bought: new Set(['a1']),
    counts: { view: 3, total: 3 },
  };
  const visitor: UserState = {
    ...emptyUserState(),
    vector: unit(1),
    vectorVersion: 'test-v1',
    strength: 3,
    updatedAt: 9_000,
    version: 4,
    recent: [
      { itemId: 'b3', type: 'purchase', ts: 9_000 },
      { itemId: 'b2', type: 'view', ts: 8_000 },
      { itemId: 'zz', type: 'view', ts: 7_500 },
      { itemId: 'b1', type: 'view', ts: 7_000 },
    ],
    bought: new Set(['b3', 'a1']),
    counts: { view: 3, purchase: 1, total: 4 },
  };

  it("moves the member's taste toward the visitor's items in one change", () => {
    const { change, next } = mergeEffect(member, visitor, event, vectors, options);
    expect(change.type).toBe('merge');
    expect(change.eventId).toBe('merge:v_1');
    expect(change.expectedVersion).toBe(3);
    expect(change.vector).toBeDefined();
    expect(cosine(change.vector!, unit(1))).toBeGreaterThan(cosine(member.vector!, unit(1)));
    expect(change.vectorVersion).toBe('test-v1');
    expect(change.strength).toBeGreaterThan(member.strength);
    expect(change.recent.map((r) => r.itemId)).toEqual(['b3', 'b2', 'zz', 'b1']);
    expect(change.bought).toEqual(['b3']);
    expect(change.updatedAt).toBe(9_000);
    expect(next.version).toBe(4);
    expect(next.recent.map((r) => r.itemId)).toEqual(['b3', 'b2', 'zz', 'b1', 'a1']);
    expect([...next.bought].sort()).toEqual(['a1', 'b3']);
    expect(next.counts).toEqual({ view: 3, merge: 1, total: 4 });
  });

  it('leaves the taste alone for a visitor with no history', () => {
    const { change } = mergeEffect(member, emptyUserState(), event, vectors, options);
    expect(change.vector).toBeUndefined();
    expect(change.strength).toBe(member.strength);
    expect(change.recent).toEqual([]);
    expect(change.bought).toEqual([]);
  });

  it('gives a member without history a taste from the visitor alone', () => {
    const { change } = mergeEffect(emptyUserState(), visitor, event, vectors, options);
    expect(cosine(change.vector!, unit(1))).toBeCloseTo(1, 5);
  });
});
