import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { PasswordPool, REPLY_MARGIN_MS, type PasswordAdmission, type PasswordLane } from './adapters/password-pool.js';
import { LoginThrottle, type LoginThrottleOptions } from './adapters/password-pool-throttle.js';
import { ErrorCodes, PulseError, type ErrorCode } from '../contracts/errors.js';
import { EmailSchema, IdSchema, MemberNameSchema, PasswordSchema, zodDetails, type MemberProfile } from '../contracts/schemas.js';
import { DEFAULT_SCRYPT_PARAMS, type ScryptParams } from './logic/passwords.js';
import type { MemberStore, StoredMember } from './member-store.js';
import type { RpcContext, RpcHandler, RpcServer } from '../platform/rpc.js';
import type { RpcMethod } from '../contracts/messages.js';

export interface MemberHandlerDeps {
  members: MemberStore;
  /** Wraps each handler (metrics, error counting); identity by default. It must pass the context on (the caller's deadline). */
  wrap?: <M extends RpcMethod>(method: M, handler: RpcHandler<M>) => RpcHandler<M>;
  /** scrypt cost; the default (N=2^15, r=8, p=1) unless a test lowers it. */
  scrypt?: ScryptParams;
  /**
   * Where passwords are hashed and checked. The engine passes its pool of worker threads; the
   * default (tests, tools) has the same queue and deadlines with scrypt on libuv's threads.
   */
  passwords?: PasswordPool;
  /** Wrong passwords per email (LOGIN_FAILURES_PER_EMAIL per LOGIN_FAILURE_WINDOW_SECONDS); default 10 per 5 minutes. */
  loginThrottle?: LoginThrottle | LoginThrottleOptions;
  /** How long after its creation a registration repeated with the same email and password returns the same member (ms); 0 = never (409). Default 10 minutes. */
  registrationRetryMs?: number;
  now?: () => number;
}

/**
 * Handlers of password methods the RPC scheduler may run at once: the password pool is the bound
 * (it answers at once when full, where the scheduler's queue would hold a request until its
 * caller gave up: a 504, and for a registration sometimes an account made after it).
 */
const PASSWORD_HANDLERS_AT_ONCE = 10_000;
/** Time a registration keeps after its hash for the store's write (ms): its answer still reaches the caller in time. */
const CREATE_MS = 250;
/** Registrations (or logins) of one email waiting behind the one in progress on this engine; beyond it `rate_limited`. */
const WAITING_PER_ACCOUNT = 8;
/** The longest fairness key taken from `client` (an IPv6 address with a zone fits). */
const MAX_CLIENT_LENGTH = 64;

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

/** The password queue's fairness key: the gateway's view of the client, '' when it sent none. */
function clientOf(value: unknown): string {
  return typeof value === 'string' && value.length <= MAX_CLIENT_LENGTH ? value : '';
}

/**
 * Registers `members.register`, `members.login`, `members.get` and `members.points`. Requests are
 * validated again here (the engine owns the accounts; a gateway of another version must not write
 * bad records).
 *
 * Passwords are hashed and checked in `deps.passwords` (see PasswordPool): a busy pool answers
 * `unavailable` or `rate_limited` with `retryAfterSeconds` at once, and a derivation that cannot
 * end before the caller's deadline (RpcContext) is not started, so a registration either answers
 * 201 or stores nothing. Safe to retry: the same email and password again within
 * `registrationRetryMs` of the account's creation answers with that account (never 409 for the
 * retry of one's own success, e.g. after a lost answer).
 */
export function registerMemberHandlers(server: RpcServer, deps: MemberHandlerDeps): void {
  const now = deps.now ?? Date.now;
  const wrap = deps.wrap ?? (<M extends RpcMethod>(_method: M, handler: RpcHandler<M>) => handler);
  const params = deps.scrypt ?? DEFAULT_SCRYPT_PARAMS;
  const passwords = deps.passwords ?? new PasswordPool({ workers: 0, queueLimit: 64, clientQueueLimit: 64 });
  const throttle =
    deps.loginThrottle instanceof LoginThrottle
      ? deps.loginThrottle
      : new LoginThrottle(deps.loginThrottle ?? { failures: 10, windowMs: 300_000 });
  const retryMs = deps.registrationRetryMs ?? 600_000;
  server.configure({ passwordConcurrency: PASSWORD_HANDLERS_AT_ONCE });

  const admission = (
    lane: PasswordLane,
    email: string,
    request: { client?: unknown },
    context: RpcContext | undefined,
    afterMs = 0,
  ): PasswordAdmission => ({
    lane,
    account: email,
    client: clientOf(request.client),
    deadline: context?.deadline ?? Number.POSITIVE_INFINITY,
    afterMs,
  });

  /**
   * One registration (and, apart, one login) per email at a time on this engine: a second waits
   * for the first and then sees its outcome (the retry of a registration in progress gets the
   * same member; 100 guesses at one account are checked one by one, the throttle refusing most
   * before any hash). At most WAITING_PER_ACCOUNT wait. Cost: a Map entry per email in progress.
   */
  const inProgress = new Map<string, { tail: Promise<unknown>; waiting: number }>();
  const oneAtATime = async <T>(lane: PasswordLane, email: string, work: () => Promise<T>): Promise<T> => {
    const key = `${lane}:${email}`;
    const entry = inProgress.get(key) ?? { tail: Promise.resolve(), waiting: 0 };
    if (entry.waiting >= WAITING_PER_ACCOUNT) {
      throw new PulseError(ErrorCodes.rateLimited, 'too many attempts for this account at once', { retryAfterSeconds: '1' });
    }
    entry.waiting++;
    const mine = entry.tail.then(() => {
      entry.waiting--;
      return work();
    });
    const tail = mine.then(
      () => undefined,
      () => undefined,
    );
    entry.tail = tail;
    inProgress.set(key, entry);
    try {
      return await mine;
    } finally {
      if (entry.tail === tail) inProgress.delete(key);
    }
  };

  // An unknown email is checked against this hash too, so a login takes as long whether or not
  // the account exists (no enumeration by timing). Made at once: it also measures the pool's cost.
  let dummyHash: Promise<string> | undefined;
  const dummy = (): Promise<string> => {
    dummyHash ??= passwords.hash(randomBytes(16).toString('hex'), params, {
      lane: 'login',
      account: '(unknown email)',
      client: '(engine)',
      deadline: Number.POSITIVE_INFINITY,
    });
    dummyHash.catch(() => (dummyHash = undefined));
    return dummyHash;
  };
  void dummy().catch(() => {});

  /**
   * `existing` holds the email: the same password within the retry window is the retry of a
   * registration that succeeded (its answer may have been lost): the same member again. Anything
   * else is `email_taken`. A wrong password counts against the email as a login's would.
   */
  const repeated = async (
    existing: StoredMember,
    password: string,
    request: { client?: unknown },
    context: RpcContext | undefined,
  ): Promise<MemberProfile> => {
    const taken = new PulseError(ErrorCodes.emailTaken, 'a member with this email already exists');
    if (retryMs <= 0 || !existing.passwordHash || now() - existing.createdAt > retryMs) throw taken;
    throttle.check(existing.email);
    if (await passwords.verify(password, existing.passwordHash, admission('register', existing.email, request, context)))
      return profileOf(existing);
    throttle.failed(existing.email);
    throw taken;
  };

  /** A registration, its email's only one in progress on this engine (oneAtATime). */
  const register = async (
    email: string,
    password: string,
    name: string,
    request: { client?: unknown },
    context: RpcContext | undefined,
  ): Promise<MemberProfile> => {
    // Cheap early answer; the store's claim is what makes the email unique under races.
    const existing = await deps.members.findByEmail(email);
    if (existing) return repeated(existing, password, request, context);
    const passwordHash = await passwords.hash(password, params, admission('register', email, request, context, CREATE_MS));
    // The pool resolves only in time for the write and the reply; this guards the turn since.
    if (Date.now() + CREATE_MS + REPLY_MARGIN_MS > (context?.deadline ?? Number.POSITIVE_INFINITY)) {
      throw new PulseError(ErrorCodes.unavailable, 'too many password checks at once: try again shortly', { retryAfterSeconds: '1' });
    }
    const member: StoredMember = {
      memberId: `m_${randomBytes(12).toString('base64url')}`,
      email,
      name,
      tier: 'regular',
      points: 0,
      lifetimePoints: 0,
      createdAt: now(),
      passwordHash,
    };
    try {
      await deps.members.create(member);
    } catch (err) {
      // Another engine stored this email meanwhile: maybe this very registration, sent twice.
      const winner = err instanceof PulseError && err.code === ErrorCodes.emailTaken ? await deps.members.findByEmail(email) : undefined;
      if (winner) return repeated(winner, password, request, context);
      throw err;
    }
    return profileOf(member);
  };

  server.serve(
    'members.register',
    wrap('members.register', async (request, context) => {
      const email = field(EmailSchema, request.email, 'email', ErrorCodes.invalidEmail);
      const password = field(PasswordSchema, request.password, 'password', ErrorCodes.invalidPassword);
      const name = field(MemberNameSchema, request.name, 'name', ErrorCodes.invalidRequest);
      return oneAtATime('register', email, () => register(email, password, name, request, context));
    }),
  );

  server.serve(
    'members.login',
    wrap('members.login', async (request, context) => {
      const email = field(EmailSchema, request.email, 'email', ErrorCodes.invalidEmail);
      const password = typeof request.password === 'string' && request.password.length <= 200 ? request.password : '';
      throttle.check(email);
      return oneAtATime('login', email, async () => {
        // Again after waiting: the attempts before may have used up the email's allowance. Before any read or hash.
        throttle.check(email);
        const member = await deps.members.findByEmail(email);
        const matches = await passwords.verify(
          password,
          member?.passwordHash ?? (await dummy()),
          admission('login', email, request, context),
        );
        if (!member || !matches || password === '') {
          throttle.failed(email);
          throw new PulseError(ErrorCodes.invalidCredentials, 'wrong email or password');
        }
        throttle.succeeded(email);
        return profileOf(member);
      });
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
