import { isMergeEvent, type LoggedEvent } from '../contracts/schemas.js';
import { eventMessageId } from '../contracts/subjects.js';
import { eventCounters, shopperSnapshot } from '../logic/shop-analytics.js';
import type { SegmentThresholds } from '../logic/segments.js';
import type { LedgerEntry, LedgerPage, MemberScanPage, MemberStore, PointsChange, PointsOutcome, StoredMember } from '../ports/member-store.js';
import type { ShopAnalytics } from '../ports/shop-analytics.js';
import type { TierThresholds } from '../logic/tiers.js';
import type { UserState, UserStateStore } from '../ports/user-state-store.js';

export interface ShopAnalyticsRecorderDeps {
  analytics: ShopAnalytics;
  users: UserStateStore;
  /** brand_loyal is decided when recording (share and events of the user's affinity). */
  thresholds: Pick<SegmentThresholds, 'brandLoyalShare' | 'brandLoyalMinEvents'>;
}

/**
 * Keeps the shop-wide analytics index in step with the user state, after each event's store
 * (EventProcessor): counters once per event key, the shopper's segment inputs as of the stored
 * version. A repeated event usually finds its key recorded and writes nothing; one whose user
 * state was stored just before a crash (key not recorded) is recorded from the state as stored,
 * not from the effect computed again on top of it (which would count the event twice).
 */
export class ShopAnalyticsRecorder {
  constructor(private readonly deps: ShopAnalyticsRecorderDeps) {}

  /** `next`: the state after an applied event; `member`: the record, when the event read it (purchases). */
  async afterStore(event: LoggedEvent, outcome: 'applied' | 'duplicate', next: UserState, member?: Pick<StoredMember, 'createdAt'>): Promise<void> {
    const { analytics, users, thresholds } = this.deps;
    const eventKey = eventMessageId(event.userId, event.id);
    let state = next;
    if (outcome === 'duplicate') {
      if (await analytics.wasRecorded(eventKey)) return;
      state = await users.load(event.userId);
    }
    const counters = isMergeEvent(event) ? undefined : eventCounters(event);
    await analytics.record({
      userId: event.userId,
      eventKey,
      ...(counters ? { counters } : {}),
      shopper: shopperSnapshot(state, thresholds),
      ...(member ? { memberCreatedAt: member.createdAt } : {}),
    });
  }
}

/**
 * A MemberStore that adds each member it stores to the analytics index (members by tier, `new`).
 * `createIfAbsent` (imports) records created and existing members alike (the stored record) and
 * fails when recording fails, so a retried import entry completes it; `create` (registration)
 * reports a failure to `onRecordFailed` instead, since the account exists by then (the member's
 * first purchase records it too). Every other method is the store's own.
 */
export class AnalyticsRecordingMemberStore implements MemberStore {
  constructor(
    private readonly store: MemberStore,
    private readonly analytics: ShopAnalytics,
    private readonly onRecordFailed: (err: unknown, memberId: string) => void,
  ) {}

  async create(member: StoredMember): Promise<void> {
    await this.store.create(member);
    await this.record(member).catch((err: unknown) => this.onRecordFailed(err, member.memberId));
  }

  async createIfAbsent(member: StoredMember): Promise<'created' | 'existing'> {
    const outcome = await this.store.createIfAbsent(member);
    const stored = outcome === 'created' ? member : await this.store.get(member.memberId);
    if (stored) await this.record(stored);
    return outcome;
  }

  private record(member: StoredMember): Promise<void> {
    return this.analytics.recordMember({ memberId: member.memberId, createdAt: member.createdAt, tier: member.tier });
  }

  get(memberId: string): Promise<StoredMember | undefined> {
    return this.store.get(memberId);
  }

  findByEmail(email: string): Promise<StoredMember | undefined> {
    return this.store.findByEmail(email);
  }

  applyPoints(memberId: string, change: PointsChange, thresholds: TierThresholds): Promise<PointsOutcome> {
    return this.store.applyPoints(memberId, change, thresholds);
  }

  ledger(memberId: string, page: LedgerPage): Promise<LedgerEntry[]> {
    return this.store.ledger(memberId, page);
  }

  scan(cursor: string | undefined, count: number): Promise<MemberScanPage> {
    return this.store.scan(cursor, count);
  }
}
