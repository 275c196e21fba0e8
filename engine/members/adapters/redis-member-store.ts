import type { Redis } from 'ioredis';
import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import { TierSchema } from '../../contracts/schemas.js';
import { checkLedgerPage, checkPointsChange } from '../logic/points.js';
import type { TierThresholds } from '../logic/tiers.js';
import type {
  LedgerEntry,
  LedgerPage,
  MemberScanPage,
  MemberStore,
  OrderAcceptance,
  OrderChange,
  OrderOutcome,
  PointsChange,
  PointsOutcome,
  StoredMember,
} from '../member-store.js';
import { RedisOrderRecords } from './redis-order-records.js';
import { callRedis } from '../../platform/redis/redis-errors.js';
import { memberKeys } from '../../platform/redis/redis-keys.js';
import { defineRedisScripts } from '../../platform/redis/redis-scripts.js';
import { keySlot, SLOTS } from '../../platform/redis/redis-slots.js';
import { checkScanCount } from '../../shoppers/state-validation.js';

export interface RedisMemberStoreOptions {
  /** Prepended to every key (tests, several shops on one Redis); no braces or whitespace. */
  keyPrefix?: string;
  /** How long an email claim lives before its record is written (s); a crash in between frees the email after this. */
  claimTtlSeconds?: number;
  /** How long a points change's event id is remembered (s); unset: for ever (a replay of the whole log credits nothing twice). */
  pointsDedupeTtlSeconds?: number;
}

/** Index buckets (slots) read per round trip of a scan. */
const SCAN_BATCH = 512;

/**
 * Members in Redis. Keys (hash tags keep each on one cluster slot):
 * - `m:{<memberId>}:rec`  hash: email ('' = none), name, tier, points, lifetimePoints, createdAt (epoch ms), passwordHash (absent = none)
 * - `email:{<email>}`     the memberId holding the (normalised) email
 * - `m:{<memberId>}:ledger` list of JSON LedgerEntry, oldest first (entryId = index + 1), append-only
 * - `m:{<memberId>}:pe:<eventId>` marker of an applied points change (value: its entryId)
 * - `members:{<slot tag>}` zset of memberIds (all scores 0, paged by id), one per cluster slot:
 *   the tag hashes to the slot of the ids in it (redis-slots.ts), so the record script writes
 *   the entry too. `members:buckets` lists the buckets that ever held a member, so `scan` walks
 *   only those, in slot order, `SCAN_BATCH` per round trip.
 * `create`: claim the email (SET NX with a TTL), write the record (only if absent), make the
 * claim permanent (PERSIST). The two keys live on different slots, so this is not one script:
 * any failure undoes what was done (record deleted, claim released), and a crash mid-way leaves
 * at worst a record no email points to and a claim that expires after `claimTtlSeconds`.
 * `createIfAbsent` (imports) checks the record first and takes over a claim naming its own id.
 */
export class RedisMemberStore implements MemberStore {
  private readonly keys: ReturnType<typeof memberKeys>;
  private readonly claimTtlSeconds: number;
  private readonly pointsDedupeTtlSeconds: number;
  private readonly orders: RedisOrderRecords;

  constructor(
    private readonly redis: Redis,
    options: RedisMemberStoreOptions = {},
  ) {
    const keyPrefix = options.keyPrefix ?? '';
    this.keys = memberKeys(keyPrefix);
    this.claimTtlSeconds = options.claimTtlSeconds ?? 60;
    this.pointsDedupeTtlSeconds = options.pointsDedupeTtlSeconds ?? 0;
    this.orders = new RedisOrderRecords(redis, keyPrefix);
    defineRedisScripts(redis);
    if (!Number.isInteger(this.pointsDedupeTtlSeconds) || this.pointsDedupeTtlSeconds < 0)
      throw new RangeError(`pointsDedupeTtlSeconds must be a non-negative integer, got ${this.pointsDedupeTtlSeconds}`);
    if (!Number.isInteger(this.claimTtlSeconds) || this.claimTtlSeconds < 1)
      throw new RangeError(`claimTtlSeconds must be a positive integer, got ${this.claimTtlSeconds}`);
  }

  async create(member: StoredMember): Promise<void> {
    const emailKey = this.emailKey(member.email);
    const claimed = await callRedis('claim email', () => this.redis.set(emailKey, member.memberId, 'EX', this.claimTtlSeconds, 'NX'));
    if (claimed !== 'OK') throw new PulseError(ErrorCodes.emailTaken, 'a member with this email already exists');
    if ((await this.writeRecord(member, emailKey)) === 'existing') {
      await this.releaseClaim(emailKey, member.memberId);
      throw new Error(`member id ${member.memberId} already exists`);
    }
  }

  async createIfAbsent(member: StoredMember): Promise<'created' | 'existing'> {
    const recordKey = this.recordKey(member.memberId);
    if ((await callRedis('find member', () => this.redis.exists(recordKey))) === 1) return 'existing';
    if (member.email === '') return this.writeRecord(member, undefined);
    const emailKey = this.emailKey(member.email);
    await this.claimForImport(member, emailKey);
    const outcome = await this.writeRecord(member, emailKey);
    if (outcome === 'existing') {
      // Another call created this id meanwhile. If it holds this email, the claim is its own to
      // make permanent; otherwise ours is stale and goes.
      const holderEmail = await this.redis.hget(recordKey, 'email').catch(() => null);
      if (holderEmail !== member.email) await this.releaseClaim(emailKey, member.memberId);
    }
    return outcome;
  }

  /**
   * Claims the email for an import. A claim already naming this memberId is taken over: it is
   * the same member imported concurrently, or an import that crashed between its steps, and the
   * record script decides which call writes.
   */
  private async claimForImport(member: StoredMember, emailKey: string): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const claimed = await callRedis('claim email', () => this.redis.set(emailKey, member.memberId, 'EX', this.claimTtlSeconds, 'NX'));
      if (claimed === 'OK') return;
      const holder = await callRedis('read email claim', () => this.redis.get(emailKey));
      if (holder === member.memberId) return;
      if (holder !== null) throw new PulseError(ErrorCodes.emailTaken, 'a member with this email already exists');
      // The claim expired between the two reads: claim again.
    }
    throw new PulseError(ErrorCodes.unavailable, 'the email claim keeps changing; retry');
  }

  /**
   * Writes the record if none exists under its id, then makes the claim on `emailKey` permanent.
   * `existing` writes nothing. Any failure undoes what was done (record deleted, claim released).
   */
  private async writeRecord(member: StoredMember, emailKey: string | undefined): Promise<'created' | 'existing'> {
    const recordKey = this.recordKey(member.memberId);
    let written = false;
    try {
      const slot = keySlot(member.memberId);
      // The bucket is listed first (its own slot, idempotent): a crash before the record leaves
      // at worst an empty bucket listed, which a scan reads and passes over.
      await callRedis('list member bucket', () => this.redis.zadd(this.bucketsKey(), 0, String(slot).padStart(5, '0')));
      const created = await callRedis('script createMemberRecord', () =>
        this.redis.createMemberRecord(recordKey, this.indexKey(slot), member.memberId, ...encodeRecord(member)),
      );
      if (created !== 1) return 'existing';
      written = true;
      if (emailKey !== undefined) {
        const persisted = await callRedis('persist email claim', () => this.redis.persist(emailKey));
        if (persisted !== 1) throw new PulseError(ErrorCodes.unavailable, 'the email claim expired before the member was stored; retry');
      }
      return 'created';
    } catch (err) {
      // Undo in reverse; a failing undo is reported through the original error (the claim expires anyway).
      if (written)
        await this.redis
          .multi()
          .del(recordKey)
          .zrem(this.indexKey(keySlot(member.memberId)), member.memberId)
          .exec()
          .catch(() => undefined);
      if (emailKey !== undefined) await this.releaseClaim(emailKey, member.memberId);
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

  async applyPoints(memberId: string, change: PointsChange, thresholds: TierThresholds): Promise<PointsOutcome> {
    checkPointsChange(change);
    const args = [
      String(change.delta),
      change.cause,
      String(change.ts),
      change.orderId ?? '',
      change.eventId,
      String(thresholds.vip),
      String(thresholds.enterprise),
      String(this.pointsDedupeTtlSeconds),
    ];
    const reply = (await callRedis('script applyMemberPoints', () =>
      this.redis.applyMemberPoints(
        this.recordKey(memberId),
        this.ledgerKey(memberId),
        this.keys.pointsMarker(memberId, change.eventId),
        ...args,
      ),
    )) as [number, string?, string[]?];
    if (reply[0] === -1) throw new PulseError(ErrorCodes.notFound, `no member ${memberId}`);
    const member = decodeRecord(memberId, pairs(reply[2] ?? []));
    if (!member) throw new Error(`member ${memberId}: record unreadable after a points change`);
    const from = TierSchema.parse(reply[1]);
    const applied = reply[0] === 1;
    return { applied, member, ...(applied && member.tier !== from ? { tierChanged: { from, to: member.tier } } : {}) };
  }

  acceptOrder(order: OrderAcceptance): Promise<{ duplicate: boolean; paidPrices: Record<string, number> }> {
    return this.orders.accept(order);
  }

  paidOrderState(userId: string, orderId: string): Promise<'applied' | 'accepted' | 'unknown'> {
    return this.orders.paidState(userId, orderId);
  }

  async applyOrder(userId: string, change: OrderChange, thresholds: TierThresholds): Promise<OrderOutcome> {
    const reply = await this.orders.apply(userId, { record: this.recordKey(userId), ledger: this.ledgerKey(userId) }, change, thresholds);
    if (reply.status === 'not_paid')
      throw new PulseError(ErrorCodes.unavailable, `order ${change.orderId}: ${change.status} before its paid status was applied`);
    if (reply.status === 'duplicate' || !reply.record) {
      const member = await this.get(userId);
      return { applied: reply.status === 'applied', amount: reply.amount, points: 0, ...(member ? { member } : {}) };
    }
    const member = decodeRecord(userId, pairs(reply.record));
    if (!member) throw new Error(`member ${userId}: record unreadable after an order`);
    const from = TierSchema.parse(reply.from);
    return {
      applied: true,
      amount: reply.amount,
      points: reply.points,
      member,
      ...(member.tier !== from ? { tierChanged: { from, to: member.tier } } : {}),
    };
  }

  async ledger(memberId: string, page: LedgerPage): Promise<LedgerEntry[]> {
    checkLedgerPage(page);
    // entryId n sits at list index n - 1 (append-only), so a page is one LRANGE.
    const key = this.ledgerKey(memberId);
    let raw: string[];
    if (page.before === undefined) raw = await callRedis('read ledger', () => this.redis.lrange(key, -page.limit, -1));
    else {
      const end = page.before - 2;
      if (end < 0) return [];
      raw = await callRedis('read ledger', () => this.redis.lrange(key, Math.max(0, end - page.limit + 1), end));
    }
    return raw.map((entry) => JSON.parse(entry) as LedgerEntry).reverse();
  }

  async scan(cursor: string | undefined, count: number): Promise<MemberScanPage> {
    checkScanCount(count);
    let { slot, after } = parseCursor(cursor);
    const memberIds: string[] = [];
    while (slot < SLOTS) {
      // Only buckets that ever held a member are read (listed in `members:buckets`, slot order).
      const listed = await callRedis('list member buckets', () =>
        this.redis.zrangebylex(this.bucketsKey(), `[${String(slot).padStart(5, '0')}`, '+', 'LIMIT', 0, SCAN_BATCH),
      );
      if (listed.length === 0) break;
      const buckets = listed.map(Number);
      const wanted = count - memberIds.length;
      const pipeline = this.redis.pipeline();
      for (const at of buckets)
        pipeline.zrangebylex(this.indexKey(at), at === slot && after !== undefined ? `(${after}` : '-', '+', 'LIMIT', 0, wanted);
      const pages = (await callRedis('scan members', () => pipeline.exec())) ?? [];
      for (const [i, [err, ids]] of pages.entries()) {
        if (err) throw err;
        for (const id of ids as string[]) {
          memberIds.push(id);
          if (memberIds.length === count) return { memberIds, cursor: `${buckets[i]}:${id}` };
        }
      }
      slot = buckets.at(-1)! + 1;
      after = undefined;
    }
    return { memberIds, cursor: undefined };
  }

  /** Deletes the email claim only while it still names this member (never someone else's later claim); failures are ignored (it expires). */
  private async releaseClaim(emailKey: string, memberId: string): Promise<void> {
    await this.redis.deleteIfEquals(emailKey, memberId).catch(() => undefined);
  }

  /** zset of the bucket slots (5-digit, so lexical order is slot order) that ever held a member. */
  private bucketsKey(): string {
    return this.keys.buckets();
  }

  private indexKey(slot: number): string {
    return this.keys.index(slot);
  }

  private ledgerKey(memberId: string): string {
    return this.keys.ledger(memberId);
  }

  private recordKey(memberId: string): string {
    return this.keys.record(memberId);
  }

  private emailKey(email: string): string {
    return this.keys.email(email);
  }
}

/** `<slot>` (start of that bucket) or `<slot>:<last memberId returned>`; undefined: from the start. */
function parseCursor(cursor: string | undefined): { slot: number; after: string | undefined } {
  if (cursor === undefined) return { slot: 0, after: undefined };
  const match = /^(\d{1,5})(?::(.+))?$/.exec(cursor);
  const slot = match ? Number(match[1]) : NaN;
  if (!match || slot >= SLOTS) throw new PulseError(ErrorCodes.invalidRequest, `malformed member scan cursor "${cursor}"`);
  return { slot, after: match[2] };
}

/** HGETALL's flat [field, value, ...] reply (from a script) as an object. */
function pairs(flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return fields;
}

function encodeRecord(member: StoredMember): string[] {
  return [
    'email',
    member.email,
    'name',
    member.name,
    'tier',
    member.tier,
    'points',
    String(member.points),
    'lifetimePoints',
    String(member.lifetimePoints),
    'createdAt',
    String(member.createdAt),
    ...(member.passwordHash !== undefined ? ['passwordHash', member.passwordHash] : []),
  ];
}

function decodeRecord(memberId: string, fields: Record<string, string>): StoredMember | undefined {
  // The record is written by one HSET, so a hash with an email is complete.
  if (fields.email === undefined) return undefined;
  const tier = TierSchema.safeParse(fields.tier);
  const member: StoredMember = {
    memberId,
    email: fields.email,
    name: fields.name ?? '',
    tier: tier.success ? tier.data : 'regular',
    points: Number(fields.points ?? 0),
    lifetimePoints: Number(fields.lifetimePoints ?? 0),
    createdAt: Number(fields.createdAt ?? 0),
  };
  if (fields.passwordHash !== undefined) member.passwordHash = fields.passwordHash;
  return member;
}
