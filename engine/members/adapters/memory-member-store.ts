import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import { checkLedgerPage, checkPointsChange, nextBalance, reversedPoints } from '../logic/points.js';
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
import { checkScanCount } from '../../shoppers/state-validation.js';

/** In-process members (embedded mode, tests); same semantics as RedisMemberStore. */
export class MemoryMemberStore implements MemberStore {
  private readonly byId = new Map<string, StoredMember>();
  /** Every memberId in creation order (the scan index; members are never removed). */
  private readonly ids: string[] = [];
  private readonly idByEmail = new Map<string, string>();
  /** Per member, oldest first: entryId = index + 1. */
  private readonly ledgers = new Map<string, LedgerEntry[]>();
  /** `<memberId>\n<eventId>` of applied points changes. */
  private readonly appliedEvents = new Set<string>();
  /** Intake side of orders, by orderId (Redis `ord:{<orderId>}`). */
  private readonly accepted = new Map<string, AcceptedOrder>();
  /** Applied side, by `<userId>\n<orderId>` (Redis `m:{<userId>}:ord:<orderId>`). */
  private readonly applied = new Map<string, AppliedOrder>();

  async create(member: StoredMember): Promise<void> {
    if (this.idByEmail.has(member.email)) throw new PulseError(ErrorCodes.emailTaken, 'a member with this email already exists');
    if (this.byId.has(member.memberId)) throw new Error(`member id ${member.memberId} already exists`);
    // Copies: a caller mutating its object later must not change what is stored.
    this.byId.set(member.memberId, { ...member });
    this.ids.push(member.memberId);
    this.idByEmail.set(member.email, member.memberId);
  }

  async createIfAbsent(member: StoredMember): Promise<'created' | 'existing'> {
    // No await: the check and the write are one step, as the Redis record script is.
    if (this.byId.has(member.memberId)) return 'existing';
    if (member.email !== '' && this.idByEmail.has(member.email))
      throw new PulseError(ErrorCodes.emailTaken, 'a member with this email already exists');
    this.byId.set(member.memberId, { ...member });
    this.ids.push(member.memberId);
    if (member.email !== '') this.idByEmail.set(member.email, member.memberId);
    return 'created';
  }

  async get(memberId: string): Promise<StoredMember | undefined> {
    const member = this.byId.get(memberId);
    return member ? { ...member } : undefined;
  }

  async findByEmail(email: string): Promise<StoredMember | undefined> {
    const memberId = this.idByEmail.get(email);
    return memberId === undefined ? undefined : this.get(memberId);
  }

  async scan(cursor: string | undefined, count: number): Promise<MemberScanPage> {
    checkScanCount(count);
    // The cursor is how many ids were returned so far.
    const from = cursor === undefined ? 0 : /^\d{1,15}$/.test(cursor) ? Number(cursor) : NaN;
    if (!(from <= this.ids.length)) throw new PulseError(ErrorCodes.invalidRequest, `malformed member scan cursor "${cursor}"`);
    const memberIds = this.ids.slice(from, from + count);
    const next = from + memberIds.length;
    return { memberIds, cursor: next < this.ids.length ? String(next) : undefined };
  }

  async applyPoints(memberId: string, change: PointsChange, thresholds: TierThresholds): Promise<PointsOutcome> {
    checkPointsChange(change);
    // No await below: check, update and append happen as one step, like the Redis script.
    const member = this.byId.get(memberId);
    if (!member) throw new PulseError(ErrorCodes.notFound, `no member ${memberId}`);
    const marker = `${memberId}\n${change.eventId}`;
    if (this.appliedEvents.has(marker)) return { applied: false, member: { ...member } };
    const tierChanged = this.applyBalance(member, change, thresholds);
    this.appliedEvents.add(marker);
    return { applied: true, member: { ...member }, ...(tierChanged ? { tierChanged } : {}) };
  }

  /** The balance and ledger step shared by points changes and orders; the tier change, if any. */
  private applyBalance(
    member: StoredMember,
    change: PointsChange,
    thresholds: TierThresholds,
  ): { from: StoredMember['tier']; to: StoredMember['tier'] } | undefined {
    const memberId = member.memberId;
    const next = nextBalance(member, change.delta, change.cause, thresholds);
    const from = member.tier;
    const ledger = this.ledgers.get(memberId) ?? [];
    ledger.push({
      entryId: ledger.length + 1,
      ts: change.ts,
      delta: change.delta,
      balance: next.points,
      cause: change.cause,
      ...(change.orderId !== undefined ? { orderId: change.orderId } : {}),
      eventId: change.eventId,
    });
    this.ledgers.set(memberId, ledger);
    Object.assign(member, next);
    return next.tier !== from ? { from, to: next.tier } : undefined;
  }

  async ledger(memberId: string, page: LedgerPage): Promise<LedgerEntry[]> {
    checkLedgerPage(page);
    const entries = this.ledgers.get(memberId) ?? [];
    const end = Math.min(entries.length, (page.before ?? entries.length + 1) - 1);
    return entries
      .slice(Math.max(0, end - page.limit), end)
      .reverse()
      .map((entry) => ({ ...entry }));
  }

  async acceptOrder(order: OrderAcceptance): Promise<{ duplicate: boolean; paidPrices: Record<string, number> }> {
    // No await: check and record are one step, like the Redis script.
    const record = this.accepted.get(order.orderId);
    const conflict = (why: string) => new PulseError(ErrorCodes.orderConflict, `order ${order.orderId}: ${why}`);
    if (record && record.userId !== order.userId) throw conflict('it belongs to another user');
    if (order.status === 'paid') {
      if (record) {
        if (record.paidDigest !== order.paidDigest) throw conflict('it was paid before with other lines');
        return { duplicate: true, paidPrices: pricesOf(record, order.lines) };
      }
      const lines = new Map(order.lines.map((line) => [line.itemId, { quantity: line.quantity, price: line.price, returned: 0 }]));
      this.accepted.set(order.orderId, {
        userId: order.userId,
        paidDigest: order.paidDigest ?? '',
        lines,
        returns: new Set(),
        cancelled: false,
      });
      return { duplicate: false, paidPrices: Object.fromEntries(order.lines.map((line) => [line.itemId, line.price])) };
    }
    if (!record) throw conflict(`it was never paid (a ${order.status} needs the paid order first)`);
    if (order.status === 'cancelled') {
      if (record.cancelled) return { duplicate: true, paidPrices: {} };
      if (order.lines.length > 0 && order.paidDigest !== record.paidDigest)
        throw conflict('a cancellation names no lines or exactly the paid lines');
      record.cancelled = true;
      return { duplicate: false, paidPrices: {} };
    }
    const digest = order.returnDigest ?? '';
    if (record.returns.has(digest)) return { duplicate: true, paidPrices: pricesOf(record, order.lines) };
    if (record.cancelled) throw conflict('it was cancelled');
    for (const line of order.lines) {
      const paid = record.lines.get(line.itemId);
      if (!paid) throw conflict(`item ${line.itemId} is not in it`);
      if (paid.returned + line.quantity > paid.quantity)
        throw conflict(
          `item ${line.itemId}: ${line.quantity} returned, but only ${paid.quantity - paid.returned} of ${paid.quantity} paid are not returned yet`,
        );
    }
    for (const line of order.lines) record.lines.get(line.itemId)!.returned += line.quantity;
    record.returns.add(digest);
    return { duplicate: false, paidPrices: pricesOf(record, order.lines) };
  }

  async paidOrderState(userId: string, orderId: string): Promise<'applied' | 'accepted' | 'unknown'> {
    if (this.applied.has(`${userId}\n${orderId}`)) return 'applied';
    return this.accepted.has(orderId) ? 'accepted' : 'unknown';
  }

  async applyOrder(userId: string, change: OrderChange, thresholds: TierThresholds): Promise<OrderOutcome> {
    // No await: the order record and the points move as one step, like the Redis script.
    const key = `${userId}\n${change.orderId}`;
    let record = this.applied.get(key);
    const member = this.byId.get(userId);
    const unchanged = (): OrderOutcome => ({
      applied: false,
      amount: record?.amounts.get(change.eventId) ?? 0,
      points: 0,
      ...(member ? { member: { ...member } } : {}),
    });
    let amount = 0;
    let points = 0;
    if (change.status === 'paid') {
      if (record) return unchanged();
      record = { lines: new Map(), events: new Set([change.eventId]), amounts: new Map(), cancelled: false };
      for (const line of change.lines) {
        const earned = member ? (line.points ?? 0) : 0;
        record.lines.set(line.itemId, { quantity: line.quantity, price: line.price, points: earned, returned: 0, reversed: 0 });
        amount += line.quantity * line.price;
        points += earned;
      }
      this.applied.set(key, record);
    } else {
      if (!record)
        throw new PulseError(ErrorCodes.unavailable, `order ${change.orderId}: ${change.status} before its paid status was applied`);
      if (record.events.has(change.eventId)) return unchanged();
      if (change.status === 'cancelled' && record.cancelled) return unchanged();
      const returns =
        change.status === 'cancelled' ? [...record.lines].map(([itemId, line]) => ({ itemId, quantity: line.quantity })) : change.lines;
      for (const { itemId, quantity } of returns) {
        const line = record.lines.get(itemId);
        if (!line) continue;
        const back = Math.min(quantity, line.quantity - line.returned);
        line.returned += back;
        const reversed = reversedPoints(line.points, line.quantity, line.returned);
        points -= reversed - line.reversed;
        line.reversed = reversed;
        amount -= back * line.price;
      }
      record.events.add(change.eventId);
      if (change.status === 'cancelled') record.cancelled = true;
    }
    record.amounts.set(change.eventId, amount);
    if (!member) return { applied: true, amount, points: 0 };
    const outcome = this.applyBalance(
      member,
      {
        eventId: change.eventId,
        ts: change.ts,
        delta: points,
        cause: change.status === 'paid' ? 'order' : 'cancellation',
        orderId: change.orderId,
      },
      thresholds,
    );
    return { applied: true, amount, points, member: { ...member }, ...(outcome ? { tierChanged: outcome } : {}) };
  }
}

interface AcceptedOrder {
  userId: string;
  paidDigest: string;
  lines: Map<string, { quantity: number; price: number; returned: number }>;
  /** Digests of the returns accepted. */
  returns: Set<string>;
  cancelled: boolean;
}

interface AppliedOrder {
  lines: Map<string, { quantity: number; price: number; points: number; returned: number; reversed: number }>;
  /** Event ids of the statuses applied (paid, each return, the cancellation). */
  events: Set<string>;
  /** Money each status moved, by event id (answered again to a repeat). */
  amounts: Map<string, number>;
  cancelled: boolean;
}

function pricesOf(record: AcceptedOrder, lines: ReadonlyArray<{ itemId: string }>): Record<string, number> {
  const prices: Record<string, number> = {};
  for (const { itemId } of lines) {
    const line = record.lines.get(itemId);
    if (line) prices[itemId] = line.price;
  }
  return prices;
}
