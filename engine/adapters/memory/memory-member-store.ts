import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import { checkLedgerPage, checkPointsChange, nextBalance } from '../../logic/points.js';
import type { TierThresholds } from '../../logic/tiers.js';
import type { LedgerEntry, LedgerPage, MemberScanPage, MemberStore, PointsChange, PointsOutcome, StoredMember } from '../../ports/member-store.js';
import { checkScanCount } from '../state-validation.js';

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
    if (member.email !== '' && this.idByEmail.has(member.email)) throw new PulseError(ErrorCodes.emailTaken, 'a member with this email already exists');
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
    this.appliedEvents.add(marker);
    Object.assign(member, next);
    return { applied: true, member: { ...member }, ...(next.tier !== from ? { tierChanged: { from, to: next.tier } } : {}) };
  }

  async ledger(memberId: string, page: LedgerPage): Promise<LedgerEntry[]> {
    checkLedgerPage(page);
    const entries = this.ledgers.get(memberId) ?? [];
    const end = Math.min(entries.length, (page.before ?? entries.length + 1) - 1);
    return entries.slice(Math.max(0, end - page.limit), end).reverse().map((entry) => ({ ...entry }));
  }
}
