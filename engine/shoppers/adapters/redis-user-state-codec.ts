import type { Affinity, RecentInteraction, UserState } from '../user-state-store.js';
import type { InteractionType } from '../../contracts/schemas.js';
import { emptyAffinity } from '../logic/affinity.js';
import { isTier } from '../state-validation.js';

// Encodings of the user state as RedisUserStateStore stores it (see its key list).

/** One letter per event type, for compact `recent` entries. Never change a letter: stored data uses it. */
const TYPE_CODES: Record<InteractionType, string> = {
  view: 'v',
  click: 'c',
  add_to_cart: 'a',
  remove_from_cart: 'r',
  purchase: 'p',
  search: 's',
  like: 'l',
  dislike: 'd',
};
const TYPES_BY_CODE = new Map(Object.entries(TYPE_CODES).map(([type, code]) => [code, type as InteractionType]));

/** `<type code>|<ts base 36>|<itemId>`: item ids may hold '|', so it is split on the first two only. */
export function encodeRecent(entry: RecentInteraction): string {
  return `${TYPE_CODES[entry.type]}|${entry.ts.toString(36)}|${entry.itemId}`;
}

/** Decodes one entry; undefined for a malformed one (written by a foreign version). */
export function decodeRecentEntry(encoded: string): RecentInteraction | undefined {
  const first = encoded.indexOf('|');
  const second = encoded.indexOf('|', first + 1);
  if (first < 0 || second < 0) return undefined;
  const type = TYPES_BY_CODE.get(encoded.slice(0, first));
  const ts = parseInt(encoded.slice(first + 1, second), 36);
  const itemId = encoded.slice(second + 1);
  if (!type || !Number.isFinite(ts) || itemId.length === 0) return undefined;
  return { itemId, type, ts };
}

/**
 * The entries of a stored list, a malformed one dropped, without an array per entry (a loaded user's list holds up to
 * recentLimit entries: ~50 arrays of garbage per load). ~0.2 us per entry.
 */
export function decodeRecentList(encoded: readonly string[]): RecentInteraction[] {
  const out: RecentInteraction[] = [];
  for (let i = 0; i < encoded.length; i++) {
    const entry = decodeRecentEntry(encoded[i]!);
    if (entry) out.push(entry);
  }
  return out;
}

/** Float32 little-endian bytes, whatever the platform's byte order. */
export function encodeVector(vector: Float32Array): Buffer {
  const bytes = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i] as number, i * 4);
  return bytes;
}

/** Reads Float32 LE bytes; reading through the Buffer avoids aligned views on a pooled, unaligned Buffer. */
export function decodeVector(bytes: Buffer): Float32Array | null {
  if (bytes.length === 0 || bytes.length % 4 !== 0) return null;
  const vector = new Float32Array(bytes.length / 4);
  for (let i = 0; i < vector.length; i++) vector[i] = bytes.readFloatLE(i * 4);
  return vector;
}

/** Affinity as stored: JSON with the maps as entry lists (JSON numbers round-trip every finite double). */
export function encodeAffinity(affinity: Affinity): string {
  return JSON.stringify({ l: affinity.landmark, c: [...affinity.categories], b: [...affinity.brands], n: [...affinity.brandEvents] });
}

/**
 * The whole state of a loaded user, built as one object with the keys of emptyUserState in their
 * order (its earlier form filled empty states and spread them together: ~1 KB of garbage per
 * loaded user, allocation profile of pipeline-micro). ~1 us plus the decoding.
 */
export function loadedState(
  vector: Float32Array | null,
  st: Record<string, string>,
  recent: RecentInteraction[],
  bought: Iterable<string>,
  affinity: string | null,
  cart: string | null,
): UserState {
  const state: UserState = {
    vector,
    strength: numberOr(st.strength, 0),
    updatedAt: numberOr(st.updatedAt, 0),
    version: numberOr(st.version, 0),
    recent,
    bought: new Set(bought),
    counts: {},
    tier: st.tier !== undefined && isTier(st.tier) ? st.tier : 'regular',
    affinity: decodeAffinity(affinity),
    cart: decodeCart(cart),
    purchases: {
      orders: numberOr(st.orders, 0),
      spend: numberOr(st.spend, 0),
      firstPurchaseAt: numberOr(st.firstPurchaseAt, 0),
      lastPurchaseAt: numberOr(st.lastPurchaseAt, 0),
    },
    firstSeenAt: numberOr(st.firstSeenAt, 0),
  };
  if (vector !== null && st.vectorVersion) state.vectorVersion = st.vectorVersion;
  // for..in: the order of Object.entries (st is a plain object of string fields), no entry arrays.
  for (const field in st) {
    if (field.startsWith('c:')) state.counts[field.slice(2)] = numberOr(st[field], 0);
  }
  return state;
}

/** A stored cart; a missing or malformed one reads as empty. */
export function decodeCart(cart: string | null): Map<string, number> {
  if (cart !== null) {
    try {
      return entriesOf(JSON.parse(cart));
    } catch {
      // a malformed cart reads as empty
    }
  }
  return new Map();
}

/** Reads stored affinity; a missing or malformed value (written by a foreign version) reads as none. */
export function decodeAffinity(stored: string | null): Affinity {
  if (stored === null) return emptyAffinity();
  try {
    const { l, c, b, n } = JSON.parse(stored) as { l: unknown; c: unknown; b: unknown; n: unknown };
    // Built whole (the keys of emptyAffinity, in its order), not an empty one whose maps are replaced.
    return {
      landmark: typeof l === 'number' && Number.isFinite(l) ? l : 0,
      categories: entriesOf(c),
      brands: entriesOf(b),
      brandEvents: entriesOf(n),
    };
  } catch {
    return emptyAffinity();
  }
}

/** `[[key, number]...]` as a Map; entries of another shape are dropped. */
function entriesOf(value: unknown): Map<string, number> {
  const entries = new Map<string, number>();
  if (!Array.isArray(value)) return entries;
  for (const entry of value) {
    if (Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'number' && Number.isFinite(entry[1]))
      entries.set(entry[0], entry[1]);
  }
  return entries;
}

function numberOr(raw: string | undefined, fallback: number): number {
  const value = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(value) ? value : fallback;
}
