import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { ErrorCodes, PulseError, type ErrorCode } from '../contracts/errors.js';
import {
  EmailSchema,
  IdSchema,
  MemberNameSchema,
  PasswordSchema,
  zodDetails,
  type MemberProfile,
} from '../contracts/schemas.js';
import { hashPassword, verifyPassword, type ScryptParams } from '../logic/passwords.js';
import type { MemberStore, StoredMember } from '../ports/member-store.js';
import type { RpcHandler, RpcServer } from '../ports/rpc.js';
import type { RpcMethod } from '../contracts/messages.js';

export interface MemberHandlerDeps {
  members: MemberStore;
  /** Wraps each handler (metrics, error counting); identity by default. */
  wrap?: <M extends RpcMethod>(method: M, handler: RpcHandler<M>) => RpcHandler<M>;
  /** scrypt cost; the default (N=2^15, r=8, p=1) unless a test lowers it. */
  scrypt?: ScryptParams;
  now?: () => number;
}

/** The profile of a stored member: everything but the password hash. */
export function profileOf(member: StoredMember): MemberProfile {
  const { passwordHash: _hash, ...profile } = member;
  return profile;
}

/** Parses one field or throws PulseError `code` naming it. */
function field<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown, name: string, code: ErrorCode): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problem = Object.values(zodDetails(parsed.error))[0] ?? 'invalid';
  throw new PulseError(code, `invalid ${name}: ${problem}`, { [name]: problem });
}

/**
 * Registers `members.register`, `members.login` and `members.get`. Requests are validated again
 * here (the engine owns the accounts; a gateway of another version must not write bad records).
 */
export function registerMemberHandlers(server: RpcServer, deps: MemberHandlerDeps): void {
  const now = deps.now ?? Date.now;
  const wrap = deps.wrap ?? (<M extends RpcMethod>(_method: M, handler: RpcHandler<M>) => handler);
  // An unknown email is checked against this hash too, so a login takes as long whether or not
  // the account exists (no enumeration by timing).
  let dummyHash: Promise<string> | undefined;
  const dummy = () => (dummyHash ??= hashPassword(randomBytes(16).toString('hex'), deps.scrypt));

  server.serve(
    'members.register',
    wrap('members.register', async (request) => {
      const email = field(EmailSchema, request.email, 'email', ErrorCodes.invalidEmail);
      const password = field(PasswordSchema, request.password, 'password', ErrorCodes.invalidPassword);
      const name = field(MemberNameSchema, request.name, 'name', ErrorCodes.invalidRequest);
      // Cheap early answer; the store's claim is what makes the email unique under races.
      if (await deps.members.findByEmail(email)) throw new PulseError(ErrorCodes.emailTaken, 'a member with this email already exists');
      const member: StoredMember = {
        memberId: `m_${randomBytes(12).toString('base64url')}`,
        email,
        name,
        tier: 'regular',
        points: 0,
        lifetimePoints: 0,
        createdAt: now(),
        passwordHash: await hashPassword(password, deps.scrypt),
      };
      await deps.members.create(member);
      return profileOf(member);
    }),
  );

  server.serve(
    'members.login',
    wrap('members.login', async (request) => {
      const email = field(EmailSchema, request.email, 'email', ErrorCodes.invalidEmail);
      const password = typeof request.password === 'string' && request.password.length <= 200 ? request.password : '';
      const member = await deps.members.findByEmail(email);
      const matches = await verifyPassword(password, member?.passwordHash ?? (await dummy()));
      if (!member || !matches || password === '') throw new PulseError(ErrorCodes.invalidCredentials, 'wrong email or password');
      return profileOf(member);
    }),
  );

  server.serve(
    'members.get',
    wrap('members.get', async ({ memberId }) => {
      const id = field(IdSchema, memberId, 'memberId', ErrorCodes.invalidRequest);
      const member = await deps.members.get(id);
      if (!member) throw new PulseError(ErrorCodes.notFound, `no member ${id}`);
      return profileOf(member);
    }),
  );

  server.serve(
    'members.points',
    wrap('members.points', async ({ memberId, limit, before }) => {
      const id = field(IdSchema, memberId, 'memberId', ErrorCodes.invalidRequest);
      if (!(await deps.members.get(id))) throw new PulseError(ErrorCodes.notFound, `no member ${id}`);
      const entries = await deps.members.ledger(id, before === undefined ? { limit } : { limit, before });
      // More to read while the page is full and its oldest entry is not the first one.
      const last = entries.at(-1);
      return last && entries.length === limit && last.entryId > 1 ? { entries, next: last.entryId } : { entries };
    }),
  );
}
