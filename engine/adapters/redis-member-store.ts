import type { Redis } from 'ioredis';
import { ErrorCodes, PulseError } from '../contracts/errors.js';
import { TierSchema } from '../contracts/schemas.js';
import type { MemberStore, StoredMember } from '../ports/member-store.js';
import { callRedis, checkKeyPrefix, LuaScript } from './redis-scripts.js';

export interface RedisMemberStoreOptions {
  /** Prepended to every key (tests, several shops on one Redis); no braces or whitespace. */
  keyPrefix?: string;
  /** How long an email claim lives before its record is written (s); a crash in between frees the email after this. */
  claimTtlSeconds?: number;
}

/** Writes the record only if none exists under this id: 1 written, 0 taken. */
const CREATE_RECORD = new LuaScript(
  'create-member-record',
  `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`,
);

/** Deletes the claim only while it still names this member (never someone else's later claim). */
const RELEASE_CLAIM = new LuaScript(
  'release-email-claim',
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
);

/**
 * Members in Redis. Keys (hash tags keep each on one cluster slot):
 * - `m:{<memberId>}:rec`  hash: email, name, tier, points, lifetimePoints, createdAt (epoch ms), passwordHash
 * - `email:{<email>}`     the memberId holding the (normalised) email
 * `create`: claim the email (SET NX with a TTL), write the record (only if absent), make the
 * claim permanent (PERSIST). The two keys live on different slots, so this is not one script:
 * any failure undoes what was done (record deleted, claim released), and a crash mid-way leaves
 * at worst a record no email points to and a claim that expires after `claimTtlSeconds`.
 */
export class RedisMemberStore implements MemberStore {
  private readonly prefix: string;
  private readonly claimTtlSeconds: number;

  constructor(
    private readonly redis: Redis,
    options: RedisMemberStoreOptions = {},
  ) {
    this.prefix = checkKeyPrefix(options.keyPrefix ?? '');
    this.claimTtlSeconds = options.claimTtlSeconds ?? 60;
    if (!Number.isInteger(this.claimTtlSeconds) || this.claimTtlSeconds < 1) throw new RangeError(`claimTtlSeconds must be a positive integer, got ${this.claimTtlSeconds}`);
  }

  async create(member: StoredMember): Promise<void> {
    const emailKey = this.emailKey(member.email);
    const recordKey = this.recordKey(member.memberId);
    const claimed = await callRedis('claim email', () => this.redis.set(emailKey, member.memberId, 'EX', this.claimTtlSeconds, 'NX'));
    if (claimed !== 'OK') throw new PulseError(ErrorCodes.emailTaken, 'a member with this email already exists');
    let written = false;
    try {
      const created = await CREATE_RECORD.run(this.redis, [recordKey], encodeRecord(member));
      if (created !== 1) throw new Error(`member id ${member.memberId} already exists`);
      written = true;
      const persisted = await callRedis('persist email claim', () => this.redis.persist(emailKey));
      if (persisted !== 1) throw new PulseError(ErrorCodes.unavailable, 'the email claim expired before the member was stored; retry');
    } catch (err) {
      // Undo in reverse; a failing undo is reported through the original error (the claim expires anyway).
      if (written) await this.redis.del(recordKey).catch(() => undefined);
      await RELEASE_CLAIM.run(this.redis, [emailKey], [member.memberId]).catch(() => undefined);
      throw err;
    }
  }

  async get(memberId: string): Promise<StoredMember | undefined> {
    const fields = await callRedis('get member', () => this.redis.hgetall(this.recordKey(memberId)));
    return decodeRecord(memberId, fields);
  }

  async findByEmail(email: string): Promise<StoredMember | undefined> {
    const memberId = await callRedis('find member by email', () => this.redis.get(this.emailKey(email)));
    if (memberId === null) return undefined;
    const member = await this.get(memberId);
    // A claim whose registration is still in flight (or crashed) has no record yet, or an older one.
    return member && member.email === email ? member : undefined;
  }

  private recordKey(memberId: string): string {
    return `${this.prefix}m:{${memberId}}:rec`;
  }

  private emailKey(email: string): string {
    return `${this.prefix}email:{${email}}`;
  }
}

function encodeRecord(member: StoredMember): string[] {
  return [
    'email', member.email,
    'name', member.name,
    'tier', member.tier,
    'points', String(member.points),
    'lifetimePoints', String(member.lifetimePoints),
    'createdAt', String(member.createdAt),
    'passwordHash', member.passwordHash,
  ];
}

function decodeRecord(memberId: string, fields: Record<string, string>): StoredMember | undefined {
  if (fields.email === undefined || fields.passwordHash === undefined) return undefined;
  const tier = TierSchema.safeParse(fields.tier);
  return {
    memberId,
    email: fields.email,
    name: fields.name ?? '',
    tier: tier.success ? tier.data : 'regular',
    points: Number(fields.points ?? 0),
    lifetimePoints: Number(fields.lifetimePoints ?? 0),
    createdAt: Number(fields.createdAt ?? 0),
    passwordHash: fields.passwordHash,
  };
}
