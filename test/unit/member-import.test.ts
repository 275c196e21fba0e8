import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryMemberStore } from '../../engine/members/adapters/memory-member-store.js';
import { MemoryRpcBus } from '../../engine/platform/adapters/memory-rpc.js';
import { ErrorCodes, PulseError } from '../../engine/contracts/errors.js';
import type { RpcMethods } from '../../engine/contracts/messages.js';
import type { MemberProfile } from '../../engine/contracts/schemas.js';
import type { StoredMember } from '../../engine/members/member-store.js';
import { registerMemberHandlers } from '../../engine/members/member-handlers.js';
import { parseMemberImport, registerMemberImportHandler } from '../../engine/members/member-import-handlers.js';
import { startHarness, type Harness } from './gateway-harness.js';

const codeOf = (value: unknown) => (value instanceof PulseError ? value.code : 'valid');
const codeOfCall = async (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (err: unknown) => (err instanceof PulseError ? err.code : `not a PulseError: ${String(err)}`),
  );

describe('member import entries', () => {
  it('accepts memberId, name, optional email (normalised) and createdAt', () => {
    expect(
      parseMemberImport({
        memberId: 'c17850',
        email: ' C17850@Online-Retail.INVALID ',
        name: ' Customer 17850 ',
        createdAt: 1_291_191_960_000,
      }),
    ).toEqual({
      memberId: 'c17850',
      email: 'c17850@online-retail.invalid',
      name: 'Customer 17850',
      createdAt: 1_291_191_960_000,
    });
    expect(parseMemberImport({ memberId: 'c1', name: 'No email' })).toEqual({ memberId: 'c1', name: 'No email' });
  });

  it('gives each bad entry the code of its first bad field', () => {
    const ok = { memberId: 'c1', email: 'c1@shop.invalid', name: 'C1' };
    expect(codeOf(parseMemberImport({ ...ok, email: 'not an email' }))).toBe('invalid_email');
    expect(codeOf(parseMemberImport({ ...ok, memberId: 'has space' }))).toBe('invalid_request');
    expect(codeOf(parseMemberImport({ ...ok, memberId: undefined }))).toBe('invalid_request');
    expect(codeOf(parseMemberImport({ ...ok, name: '  ' }))).toBe('invalid_request');
    expect(codeOf(parseMemberImport({ ...ok, createdAt: -1 }))).toBe('invalid_request');
    expect(codeOf(parseMemberImport({ ...ok, createdAt: 1.5 }))).toBe('invalid_request');
    // No password, tier or points through an import: they are not fields of an entry.
    expect(codeOf(parseMemberImport({ ...ok, password: 'secret123' }))).toBe('invalid_request');
    expect(codeOf(parseMemberImport({ ...ok, points: 500 }))).toBe('invalid_request');
    expect(codeOf(parseMemberImport('c1'))).toBe('invalid_request');
    const error = parseMemberImport({ ...ok, email: 'x@' });
    expect(error instanceof PulseError && error.toWire()).toMatchObject({
      code: 'invalid_email',
      message: expect.stringMatching(/^invalid email: /),
      details: { email: expect.any(String) },
    });
  });
});

describe('members.import', () => {
  const NOW = 1_700_000_000_000;
  const setup = (members = new MemoryMemberStore()) => {
    const bus = new MemoryRpcBus(pino({ level: 'silent' }));
    registerMemberHandlers(bus, { members, scrypt: { N: 2 ** 10, r: 8, p: 1 }, now: () => NOW });
    registerMemberImportHandler(bus, { members, now: () => NOW });
    return { bus, members };
  };

  it('creates, counts known ids as existing, rejects by index, and changes nothing on a second run', async () => {
    const { bus, members } = setup();
    const registered = await bus.call('members.register', { email: 'ada@example.com', password: 'difference engine', name: 'Ada' });
    const batch = [
      { memberId: 'c1', email: 'c1@shop.invalid', name: 'Customer 1', createdAt: 1_291_191_960_000 },
      { memberId: 'c2', name: 'Customer 2' },
      { memberId: 'c3', email: 'bad', name: 'Customer 3' },
      { memberId: 'c4', email: 'ADA@example.com', name: 'Customer 4' }, // Ada's email
      { memberId: 'c5', email: 'c1@shop.invalid', name: 'Customer 5' }, // c1's, earlier in this batch
      { memberId: 'c1', email: 'other@shop.invalid', name: 'Renamed' }, // c1 again: existing, unchanged
      { memberId: registered.memberId, email: 'ada@example.com', name: 'Ada' }, // a registered member
    ];
    const result = await bus.call('members.import', { members: batch });
    expect(result.created).toBe(2);
    expect(result.existing).toBe(2);
    expect(result.rejected.map((r) => [r.index, r.error.code])).toEqual([
      [2, 'invalid_email'],
      [3, 'email_taken'],
      [4, 'email_taken'],
    ]);
    const c1: MemberProfile = {
      memberId: 'c1',
      email: 'c1@shop.invalid',
      name: 'Customer 1',
      tier: 'regular',
      points: 0,
      lifetimePoints: 0,
      createdAt: 1_291_191_960_000,
    };
    expect(await bus.call('members.get', { memberId: 'c1' })).toEqual(c1);
    expect(await bus.call('members.get', { memberId: 'c2' })).toEqual({
      memberId: 'c2',
      email: '',
      name: 'Customer 2',
      tier: 'regular',
      points: 0,
      lifetimePoints: 0,
      createdAt: NOW,
    });
    for (const id of ['c3', 'c4', 'c5']) expect(await members.get(id)).toBeUndefined();
    expect(await members.findByEmail('other@shop.invalid')).toBeUndefined();

    const again = await bus.call('members.import', { members: batch });
    expect(again).toEqual({ ...result, created: 0, existing: 4 });
    expect(await bus.call('members.get', { memberId: 'c1' })).toEqual(c1);
  });

  it('makes members without a password: login answers invalid_credentials', async () => {
    const { bus, members } = setup();
    await bus.call('members.import', { members: [{ memberId: 'c1', email: 'c1@shop.invalid', name: 'Customer 1' }] });
    expect((await members.get('c1'))?.passwordHash).toBeUndefined();
    expect(await codeOfCall(bus.call('members.login', { email: 'c1@shop.invalid', password: '' }))).toBe('invalid_credentials');
    expect(await codeOfCall(bus.call('members.login', { email: 'c1@shop.invalid', password: 'any password' }))).toBe('invalid_credentials');
    // The email is held: registering it is refused.
    expect(await codeOfCall(bus.call('members.register', { email: 'c1@shop.invalid', password: 'any password', name: 'X' }))).toBe(
      'email_taken',
    );
  });

  it('answers a store failure per entry (unavailable: safe to retry) and goes on with the rest', async () => {
    class FlakyStore extends MemoryMemberStore {
      override async createIfAbsent(member: StoredMember) {
        if (member.memberId === 'c2') throw new PulseError(ErrorCodes.unavailable, 'redis: connection lost');
        return super.createIfAbsent(member);
      }
    }
    const { bus } = setup(new FlakyStore());
    const result = await bus.call('members.import', {
      members: [
        { memberId: 'c1', name: 'A' },
        { memberId: 'c2', name: 'B' },
        { memberId: 'c3', name: 'C' },
      ],
    });
    expect(result).toEqual({
      created: 2,
      existing: 0,
      rejected: [{ index: 1, error: { code: 'unavailable', message: 'redis: connection lost' } }],
    });
  });

  it('refuses a request that is not an array of at most 1000 entries, creating nothing', async () => {
    const { bus, members } = setup();
    const tooMany = Array.from({ length: 1001 }, (_, i) => ({ memberId: `c${i}`, name: 'N' }));
    expect(await codeOfCall(bus.call('members.import', { members: tooMany }))).toBe('invalid_request');
    expect(await codeOfCall(bus.call('members.import', { members: 'c1' as unknown as unknown[] }))).toBe('invalid_request');
    expect(await members.get('c0')).toBeUndefined();
  });
});

describe('gateway member admin routes', () => {
  let h: Harness;
  const imports: RpcMethods['members.import']['request'][] = [];
  beforeAll(async () => {
    h = await startHarness();
    h.transport.rpcServer.serve('members.import', async (request) => {
      imports.push(request);
      return { created: request.members.length, existing: 0, rejected: [] };
    });
    h.transport.rpcServer.serve('members.points', async ({ memberId, limit, before }) => ({
      entries: [{ entryId: 7, ts: 1, delta: 5, balance: 5, cause: 'order', eventId: `${memberId}-${limit}-${before ?? 'none'}` }],
    }));
    h.transport.rpcServer.serve('members.get', async ({ memberId }) => {
      if (memberId !== 'c1') throw new PulseError(ErrorCodes.notFound, `no member ${memberId}`);
      return { memberId, email: '', name: 'C1', tier: 'vip', points: 5, lifetimePoints: 7, createdAt: 1 };
    });
  });
  afterAll(() => h.close());

  it('lets only admins import members and checks the envelope before the engine sees it', async () => {
    const admin = await h.token('admin');
    const body = { members: [{ memberId: 'c1', name: 'C1' }, { anything: true }] };
    expect(await h.fetch('/v1/members/batch', { method: 'POST', json: body })).toMatchObject({ status: 401 });
    expect(await h.fetch('/v1/members/batch', { method: 'POST', json: body, token: await h.token('member', 'c1') })).toMatchObject({
      status: 403,
    });
    expect(await h.fetch('/v1/members/batch', { method: 'POST', json: body, token: await h.token('marketing') })).toMatchObject({
      status: 403,
    });
    expect(imports).toEqual([]);
    const bad = await h.fetch('/v1/members/batch', { method: 'POST', json: { members: {} }, token: admin });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
    const tooMany = await h.fetch('/v1/members/batch', {
      method: 'POST',
      json: { members: Array.from({ length: 1001 }, () => ({})) },
      token: admin,
    });
    expect(tooMany).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
    expect(imports).toEqual([]);
    // Entries go through as given: the engine validates each one and answers by index.
    expect(await h.fetch('/v1/members/batch', { method: 'POST', json: body, token: admin })).toMatchObject({
      status: 200,
      body: { created: 2, existing: 0, rejected: [] },
    });
    expect(imports).toEqual([body]);
  });

  it("serves any member's ledger to admins only, paged like the member's own", async () => {
    const admin = await h.token('admin');
    expect(await h.fetch('/v1/members/c1/points?limit=1&before=9', { token: admin })).toMatchObject({
      status: 200,
      body: { entries: [{ entryId: 7, eventId: 'c1-1-9' }] },
    });
    expect(await h.fetch('/v1/members/c1/points', { token: admin })).toMatchObject({
      status: 200,
      body: { entries: [{ eventId: 'c1-50-none' }] },
    });
    expect(await h.fetch('/v1/members/c1/points?limit=0', { token: admin })).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_request' } },
    });
    expect(await h.fetch('/v1/members/c1/points', { token: await h.token('member', 'c1') })).toMatchObject({ status: 403 });
  });

  it('serves any member profile to admins only', async () => {
    const admin = await h.token('admin');
    expect(await h.fetch('/v1/members/c1', { token: admin })).toMatchObject({
      status: 200,
      body: { memberId: 'c1', tier: 'vip', points: 5, lifetimePoints: 7 },
    });
    expect(await h.fetch('/v1/members/c9', { token: admin })).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    expect(await h.fetch('/v1/members/c1', { token: await h.token('member', 'c1') })).toMatchObject({ status: 403 });
    expect(await h.fetch('/v1/members/bad%20id', { token: admin })).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_request' } },
    });
  });
});
