import { decodeJwt, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryMemberStore } from '../../engine/members/adapters/memory-member-store.js';
import { ErrorCodes, PulseError } from '../../engine/contracts/errors.js';
import { isMergeEvent, type LoggedEvent, type StoredMergeEvent } from '../../engine/contracts/schemas.js';
import type { AppendResult, EventLogWriter } from '../../engine/stream/event-log.js';
import { registerMemberHandlers } from '../../engine/members/member-handlers.js';
import { SECRET, startHarness, type Harness } from './gateway-harness.js';

/** Records what the gateway appends (merges included) and what the log answered; can be made to fail. */
class RecordingEventLog implements EventLogWriter {
  readonly merges: Array<{ event: StoredMergeEvent; result: AppendResult }> = [];
  failing = false;

  constructor(private readonly inner: EventLogWriter) {}

  async append(event: LoggedEvent): Promise<AppendResult> {
    if (this.failing) throw new PulseError(ErrorCodes.unavailable, 'event log down (test)');
    const result = await this.inner.append(event);
    if (isMergeEvent(event)) this.merges.push({ event, result });
    return result;
  }
}

type Session = { memberId: string; token: string };
type ErrorBody = { error: { code: string } };

/**
 * Issue 14 at the gateway (memory transport, the real member handlers): `POST /v1/members` with a
 * visitor's own token appends that visitor's merge into the new member, with the same id a login
 * uses, so a retried registration or a later login with the same visitor merges once. The visitor
 * comes from the token only; a bad token makes no account.
 */
describe('registration merges the visitor of the bearer token', () => {
  let h: Harness;
  let log: RecordingEventLog;
  const password = 'difference engine';
  let n = 0;
  const email = () => `shopper${++n}.${Date.now().toString(36)}@example.com`;
  const register = (body: unknown, token?: string) => h.fetch('/v1/members', { method: 'POST', json: body, ...(token ? { token } : {}) });
  const login = (body: unknown, token?: string) => h.fetch('/v1/sessions', { method: 'POST', json: body, ...(token ? { token } : {}) });
  const visitorToken = async () => {
    const res = await h.fetch('/v1/visitors', { method: 'POST' });
    return res.body as { visitorId: string; token: string };
  };

  beforeEach(async () => {
    h = await startHarness({ wrapEventLog: (inner) => (log = new RecordingEventLog(inner)) });
    registerMemberHandlers(h.transport.rpcServer, { members: new MemoryMemberStore(), scrypt: { N: 2 ** 10, r: 8, p: 1 } });
  });
  afterEach(() => h.close());

  it('appends merge:<visitorId> into the new member, before answering 201', async () => {
    const guest = await visitorToken();
    const res = await register({ email: email(), password, name: 'Ada' }, guest.token);
    expect(res.status).toBe(201);
    const { memberId, token } = res.body as Session;
    expect(decodeJwt(token)).toMatchObject({ sub: memberId, role: 'member' });
    expect(log.merges.map((m) => m.event)).toEqual([
      {
        type: 'merge',
        id: `merge:${guest.visitorId}`,
        userId: memberId,
        fromUserId: guest.visitorId,
        ts: expect.any(Number),
        receivedAt: expect.any(Number),
      },
    ]);
    expect(log.merges[0]!.result.duplicate).toBe(false);
  });

  it('merges once however often: a retried registration and a login with the same visitor are the same (member, id)', async () => {
    const guest = await visitorToken();
    const body = { email: email(), password, name: 'Ada' };
    const first = await register(body, guest.token);
    const retry = await register(body, guest.token);
    expect([first.status, retry.status]).toEqual([201, 201]);
    const { memberId } = first.body as Session;
    expect((retry.body as Session).memberId).toBe(memberId);
    const again = await login({ email: body.email, password, visitorId: guest.visitorId }, guest.token);
    expect(again.status).toBe(200);
    // Three appends of one merge: one stored, two the log's duplicates of (member, merge:<visitor>).
    expect(log.merges.map((m) => [m.event.userId, m.event.id, m.result.duplicate])).toEqual([
      [memberId, `merge:${guest.visitorId}`, false],
      [memberId, `merge:${guest.visitorId}`, true],
      [memberId, `merge:${guest.visitorId}`, true],
    ]);
    // A registration that is refused (the email is someone's, another password) merges nothing.
    const taken = await register({ ...body, password: 'another password' }, (await visitorToken()).token);
    expect([taken.status, (taken.body as ErrorBody).error.code]).toEqual([409, 'email_taken']);
    expect(log.merges).toHaveLength(3);
  });

  it('merges nothing without a token, and nothing for a member token', async () => {
    expect((await register({ email: email(), password, name: 'Ada' })).status).toBe(201);
    const member = await h.token('member', 'm_someone');
    expect((await register({ email: email(), password, name: 'Bob' }, member)).status).toBe(201);
    expect(log.merges).toEqual([]);
  });

  it('never takes the visitor from the body, and makes no account for a bad or expired token', async () => {
    const victim = await visitorToken();
    const attacker = await visitorToken();
    // The body cannot name a visitor (the schema is strict): 400, no account.
    const named = { email: email(), password, name: 'Eve', visitorId: victim.visitorId };
    const viaBody = await register(named, attacker.token);
    expect([viaBody.status, (viaBody.body as ErrorBody).error.code]).toEqual([400, 'invalid_request']);

    // A token for the victim's id signed with another secret, or a malformed header: 401.
    const forged = await new SignJWT({ role: 'visitor' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(victim.visitorId)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(`not-${SECRET}`));
    const forgedEmail = email();
    const withForged = await register({ email: forgedEmail, password, name: 'Eve' }, forged);
    expect([withForged.status, (withForged.body as ErrorBody).error.code]).toEqual([401, 'unauthorized']);
    const malformed = await h.fetch('/v1/members', {
      method: 'POST',
      json: { email: forgedEmail, password, name: 'Eve' },
      headers: { Authorization: 'Basic abc' },
    });
    expect(malformed.status).toBe(401);

    // An expired visitor token (the victim's own, a week old): token_expired.
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ role: 'visitor' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(victim.visitorId)
      .setIssuedAt(now - 7 * 24 * 3600)
      .setExpirationTime(now - 60)
      .sign(new TextEncoder().encode(SECRET));
    const withExpired = await register({ email: forgedEmail, password, name: 'Eve' }, expired);
    expect([withExpired.status, (withExpired.body as ErrorBody).error.code]).toEqual([401, 'token_expired']);

    expect(log.merges).toEqual([]);
    // None of them made the account: the email is still free, and its login fails.
    expect((await login({ email: forgedEmail, password })).status).toBe(401);
    // The attacker's own token merges the attacker's own history, never the victim's.
    const own = await register({ email: forgedEmail, password, name: 'Eve' }, attacker.token);
    expect(own.status).toBe(201);
    expect(log.merges.map((m) => m.event.fromUserId)).toEqual([attacker.visitorId]);
  });

  it('answers 503 when the merge cannot be stored, and the retry merges it', async () => {
    const guest = await visitorToken();
    const body = { email: email(), password, name: 'Ada' };
    log.failing = true;
    const down = await register(body, guest.token);
    expect([down.status, (down.body as ErrorBody).error.code]).toEqual([503, 'unavailable']);
    expect(log.merges).toEqual([]);
    log.failing = false;
    // The account was made; the same registration again is its retry: the same member, merged now.
    const retry = await register(body, guest.token);
    expect(retry.status).toBe(201);
    expect(log.merges.map((m) => [m.event.userId, m.event.fromUserId, m.result.duplicate])).toEqual([
      [(retry.body as Session).memberId, guest.visitorId, false],
    ]);
  });
});
