import type {
  LedgerEntry,
  LedgerPage,
  MemberScanPage,
  MemberStore,
  PointsChange,
  PointsOutcome,
  StoredMember,
  OrderAcceptance,
  OrderChange,
  OrderOutcome,
} from '../members/member-store.js';
import type { ShopAnalytics } from './shop-analytics.js';
import type { TierThresholds } from '../members/logic/tiers.js';

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

  acceptOrder(order: OrderAcceptance): Promise<{ duplicate: boolean; paidPrices: Record<string, number> }> {
    return this.store.acceptOrder(order);
  }

  paidOrderState(userId: string, orderId: string): Promise<'applied' | 'accepted' | 'unknown'> {
    return this.store.paidOrderState(userId, orderId);
  }

  applyOrder(userId: string, change: OrderChange, thresholds: TierThresholds): Promise<OrderOutcome> {
    return this.store.applyOrder(userId, change, thresholds);
  }
}
