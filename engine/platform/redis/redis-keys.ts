import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import { slotTag } from './redis-slots.js';

/**
 * Every Redis key name of the engine, one builder per domain. Each takes the adapter's key
 * prefix (checked by {@link checkKeyPrefix}) and builds names whose hash tag (the text inside the
 * first `{...}`) is what one script's keys share, so each script runs on one Redis Cluster slot:
 * a user's or member's keys `{<id>}`, a campaign's `{<campaignId>}`, an order's `{<orderId>}`,
 * shop-wide aggregates `{g}`, analytics `{sx}`, leases `{p}`, cart timers `{p<partition>}`, and
 * member index buckets the tag of their slot (redis-slots.ts). Names are stored data: never
 * change one (data written before must still be read). README.md "Persistence and readiness"
 * lists them.
 */

/** Rejects key prefixes that would break the hash tags (a `{` before ours would become the tag). */
export function checkKeyPrefix(prefix: string): string {
  if (/[{}\s]/.test(prefix)) {
    throw new PulseError(ErrorCodes.invalidRequest, `keyPrefix must not contain braces or whitespace: "${prefix}"`);
  }
  return prefix;
}

/** The keys of one user's state (RedisUserStateStore), all under `u:{<userId>}:`. */
export interface UserKeySet {
  vec: string;
  st: string;
  recent: string;
  bought: string;
  affinity: string;
  cart: string;
  marker(eventId: string): string;
}

/** Per-user state: `u:{<userId>}:vec|st|recent|bought|aff|cart|ev:<eventId>`. */
export function userKeys(keyPrefix: string) {
  const prefix = checkKeyPrefix(keyPrefix);
  return {
    /** All of one user's keys (one string concatenation each: this runs per event). */
    of(userId: string): UserKeySet {
      return new UserKeys(`${prefix}u:{${userId}}:`);
    },
  };
}

/** A class, not an object literal with a closure: `marker` is shared, not made (and named) per user and call. */
class UserKeys implements UserKeySet {
  readonly vec: string;
  readonly st: string;
  readonly recent: string;
  readonly bought: string;
  readonly affinity: string;
  readonly cart: string;

  constructor(private readonly base: string) {
    this.vec = `${base}vec`;
    this.st = `${base}st`;
    this.recent = `${base}recent`;
    this.bought = `${base}bought`;
    this.affinity = `${base}aff`;
    this.cart = `${base}cart`;
  }

  marker(eventId: string): string {
    return `${this.base}ev:${eventId}`;
  }
}

/** Shop-wide aggregates (RedisInteractionStats), all under `agg:{g}:`. */
export function statsKeys(keyPrefix: string) {
  const base = `${checkKeyPrefix(keyPrefix)}agg:{g}:`;
  return {
    /** Dedupe marker of a recorded event or batch key. */
    done: (eventKey: string) => `${base}done:${eventKey}`,
    popularity: () => `${base}pop`,
    landmark: () => `${base}landmark`,
    /** A neighbour list of one item: co-visitation, co-purchase or bought-after. */
    neighbours: (list: 'cov' | 'cop' | 'aft', itemId: string) => `${base}${list}:${itemId}`,
  };
}

/** Partition leases (RedisPartitionLeases), all under `lease:{p}:`. */
export function leaseKeys(keyPrefix: string) {
  const base = `${checkKeyPrefix(keyPrefix)}lease:{p}:`;
  return {
    lease: (partition: number) => `${base}${partition}`,
    engines: () => `${base}engines`,
  };
}

/** Member accounts and points (RedisMemberStore); everything of a member under `m:{<memberId>}:`. */
export function memberKeys(keyPrefix: string) {
  const prefix = checkKeyPrefix(keyPrefix);
  return {
    record: (memberId: string) => `${prefix}m:{${memberId}}:rec`,
    ledger: (memberId: string) => `${prefix}m:{${memberId}}:ledger`,
    /** Marker of an applied points change. */
    pointsMarker: (memberId: string, eventId: string) => `${prefix}m:{${memberId}}:pe:${eventId}`,
    /** The memberId holding a (normalised) email. */
    email: (email: string) => `${prefix}email:{${email}}`,
    /** Index bucket of one cluster slot: its tag hashes to that slot. */
    index: (slot: number) => `${prefix}members:{${slotTag(slot)}}`,
    /** zset of the bucket slots that ever held a member. */
    buckets: () => `${prefix}members:buckets`,
  };
}

/** Orders (RedisOrderRecords): the intake record on the order's slot, the applied one on the user's. */
export function orderKeys(keyPrefix: string) {
  const prefix = checkKeyPrefix(keyPrefix);
  return {
    accepted: (orderId: string) => `${prefix}ord:{${orderId}}`,
    applied: (userId: string, orderId: string) => `${prefix}m:{${userId}}:ord:${orderId}`,
  };
}

/** Coupons (RedisCouponStore): a member's next to their record, the owner index on the code's slot. */
export function couponKeys(keyPrefix: string) {
  const prefix = checkKeyPrefix(keyPrefix);
  return {
    coupon: (memberId: string, code: string) => `${prefix}m:{${memberId}}:cp:${code}`,
    list: (memberId: string) => `${prefix}m:{${memberId}}:coupons`,
    rewardRequest: (memberId: string, requestId: string) => `${prefix}m:{${memberId}}:rw:${requestId}`,
    owner: (code: string) => `${prefix}coupon:{${code}}`,
  };
}

/** Campaigns, member inboxes and cart timers (RedisCampaignStore). */
export function campaignKeys(keyPrefix: string) {
  const prefix = checkKeyPrefix(keyPrefix);
  return {
    /** zset campaignId -> createdAt. */
    list: () => `${prefix}campaigns`,
    /** `cp:{<campaignId>}:<part>`: def, stop, targeted, granted, dropped, live, redeemed, last, fanout. */
    campaign: (campaignId: string, part: string) => `${prefix}cp:{${campaignId}}:${part}`,
    /** `m:{<memberId>}:inbox` or `m:{<memberId>}:inbox:<part>` (pending, lease, done, delivered). */
    inbox: (memberId: string, part = '') => `${prefix}m:{${memberId}}:inbox${part === '' ? '' : `:${part}`}`,
    /** A partition's cart timers: [due zset, event hash]. */
    timers: (partition: number): [string, string] => [`${prefix}cpt:{p${partition}}:due`, `${prefix}cpt:{p${partition}}:ev`],
  };
}

/** Shop analytics (RedisShopAnalytics), all under `sx:{sx}:` (one slot). */
export function analyticsKeys(keyPrefix: string) {
  const base = `${checkKeyPrefix(keyPrefix)}sx:{sx}:`;
  return {
    /** A fixed key: ver, seen, first, buy, spend, loyal, loyalty, members, tier, tiers, tot. */
    key: (name: string) => `${base}${name}`,
    /** Marker of a recorded event or batch key. */
    done: (eventKey: string) => `${base}done:${eventKey}`,
    /** Counter bucket of one hour or day (index since the epoch). */
    bucket: (kind: 'h' | 'd', index: number) => `${base}${kind}:${index}`,
  };
}
