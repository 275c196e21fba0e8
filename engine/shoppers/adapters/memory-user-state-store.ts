import type { Tier } from '../../contracts/schemas.js';
import { UNTAGGED_MARKER } from '../user-state-store.js';
import type {
  ApplyOutcome,
  LoadedUser,
  UserChange,
  RecentInteraction,
  UserState,
  UserStateChange,
  UserStateStore,
  UserStateStoreOptions,
} from '../user-state-store.js';
import { applyShopperChange, emptyShopperState, type ShopperState } from '../logic/shopper-state.js';
import { emptyUserState } from '../state-semantics.js';
import { checkEventId, checkUserId, checkUserStateChange, checkUserStateStoreOptions } from '../state-validation.js';
import { ExpiringKeys } from '../../platform/adapters/expiring-keys.js';

interface StoredUser {
  vector: Float32Array | null;
  vectorVersion: string | undefined;
  strength: number;
  updatedAt: number;
  version: number;
  tier: Tier | undefined;
  counts: Map<string, number>;
  /** Newest first, at most recentLimit. */
  recent: RecentInteraction[];
  bought: Set<string>;
  /** Affinity, cart, purchases, first seen: replaced (never mutated) by each change. */
  shopper: ShopperState;
}

/**
 * In-process UserStateStore with the same semantics as RedisUserStateStore (conformance suite):
 * for tests and the embedded single-process mode. State lives as long as the instance; `apply`
 * runs synchronously after validation, so it is atomic with respect to every other call.
 */
export class MemoryUserStateStore implements UserStateStore {
  private readonly options: UserStateStoreOptions;
  private readonly users = new Map<string, StoredUser>();
  private readonly applied: ExpiringKeys;

  constructor(options: UserStateStoreOptions) {
    this.options = checkUserStateStoreOptions(options);
    this.applied = new ExpiringKeys(this.options.dedupeTtlSeconds * 1000);
  }

  async load(userId: string): Promise<UserState> {
    checkUserId(userId);
    const user = this.users.get(userId);
    if (!user) return emptyUserState();
    const counts: Record<string, number> = {};
    for (const [type, count] of user.counts) counts[type] = count;
    return {
      vector: user.vector ? new Float32Array(user.vector) : null,
      ...(user.vector && user.vectorVersion !== undefined ? { vectorVersion: user.vectorVersion } : {}),
      strength: user.strength,
      updatedAt: user.updatedAt,
      version: user.version,
      recent: user.recent.map((entry) => ({ ...entry })),
      bought: new Set(user.bought),
      counts,
      tier: user.tier ?? 'regular',
      ...copyShopper(user.shopper),
    };
  }

  async tier(userId: string): Promise<Tier> {
    checkUserId(userId);
    return this.users.get(userId)?.tier ?? 'regular';
  }

  async loadMany(requests: ReadonlyArray<{ userId: string; eventIds: readonly string[] }>): Promise<LoadedUser[]> {
    return Promise.all(
      requests.map(async ({ userId, eventIds }) => {
        for (const eventId of eventIds) checkEventId(eventId);
        const state = await this.load(userId);
        return { state, markers: eventIds.map((eventId) => this.applied.get(markerKey(userId, eventId)) ?? null) };
      }),
    );
  }

  async applyMany(changes: readonly UserChange[], tag: string): Promise<ApplyOutcome[]> {
    checkEventId(tag);
    const outcomes: ApplyOutcome[] = [];
    changes.forEach(({ userId, change }, i) => {
      // A chain of one user's consecutive changes stops at the first that is not applied.
      const broken = i > 0 && changes[i - 1]!.userId === userId && outcomes[i - 1] !== 'applied';
      outcomes.push(broken ? 'conflict' : this.applyNow(userId, change, tag));
    });
    return outcomes;
  }

  async apply(userId: string, change: UserStateChange): Promise<ApplyOutcome> {
    return this.applyNow(userId, change, UNTAGGED_MARKER);
  }

  private applyNow(userId: string, change: UserStateChange, tag: string): ApplyOutcome {
    checkUserId(userId);
    checkUserStateChange(change);
    const marker = markerKey(userId, change.eventId);
    if (this.applied.has(marker)) return 'duplicate';
    const user = this.users.get(userId) ?? newUser();
    if (user.version !== change.expectedVersion) return 'conflict';
    if (change.vector) {
      user.vector = new Float32Array(change.vector);
      user.vectorVersion = change.vectorVersion;
    }
    user.strength = change.strength;
    user.updatedAt = change.updatedAt;
    if (change.tier !== undefined) user.tier = change.tier;
    user.version += 1;
    user.counts.set(change.type, (user.counts.get(change.type) ?? 0) + 1);
    user.counts.set('total', (user.counts.get('total') ?? 0) + 1);
    if (change.recent.length > 0) {
      user.recent = [...change.recent.map((entry) => ({ itemId: entry.itemId, type: entry.type, ts: entry.ts })), ...user.recent].slice(
        0,
        this.options.recentLimit,
      );
    }
    for (const itemId of change.bought) user.bought.add(itemId);
    user.shopper = copyShopper(applyShopperChange(user.shopper, change));
    this.users.set(userId, user);
    this.applied.add(marker, tag);
    return 'applied';
  }

  async wasApplied(userId: string, eventId: string): Promise<boolean> {
    checkUserId(userId);
    checkEventId(eventId);
    return this.applied.has(markerKey(userId, eventId));
  }
}

/** User ids hold no whitespace (IdSchema), so a newline can't make two markers collide. */
function markerKey(userId: string, eventId: string): string {
  return `${userId}\n${eventId}`;
}

function newUser(): StoredUser {
  return {
    vector: null,
    vectorVersion: undefined,
    strength: 0,
    updatedAt: 0,
    version: 0,
    tier: undefined,
    counts: new Map(),
    recent: [],
    bought: new Set(),
    shopper: emptyShopperState(),
  };
}

function copyShopper(shopper: ShopperState): ShopperState {
  const { affinity, cart, purchases, firstSeenAt } = shopper;
  return {
    affinity: {
      landmark: affinity.landmark,
      categories: new Map(affinity.categories),
      brands: new Map(affinity.brands),
      brandEvents: new Map(affinity.brandEvents),
    },
    cart: new Map(cart),
    purchases: { ...purchases },
    firstSeenAt,
  };
}
