import { z } from 'zod';
import { ErrorCodes, PulseError } from '../contracts/errors.js';
import { IdSchema, zodDetails } from '../contracts/schemas.js';
import type { RpcMethod } from '../contracts/messages.js';
import { pageHistory } from './logic/history.js';
import type { CampaignStore } from '../campaigns/campaign-store.js';
import type { CouponStore } from './coupon-store.js';
import type { LedgerEntry, MemberStore } from './member-store.js';
import type { RpcHandler, RpcServer } from '../platform/rpc.js';
import type { UserStateStore } from '../shoppers/user-state-store.js';

export interface HistoryHandlerDeps {
  members: MemberStore;
  coupons: CouponStore;
  users: UserStateStore;
  /** Lists the member's delivered promotions; without it `promotions` is empty. */
  campaigns?: CampaignStore;
  wrap?: <M extends RpcMethod>(method: M, handler: RpcHandler<M>) => RpcHandler<M>;
}

/** Ledger entries read per history request at most (newest first; 10 LRANGEs of 1000). */
const LEDGER_SCAN = 10_000;
const LEDGER_PAGE = 1000;
/** Coupons considered per request (newest first). */
const COUPON_SCAN = 1000;
/** Delivered promotions considered per request (newest first). */
const PROMOTION_SCAN = 1000;

const QuerySchema = z.object({
  memberId: IdSchema,
  limit: z.number().int().min(1).max(200),
  before: z.number().int().positive().optional(),
});

/**
 * Registers `members.history`: the member's recent interactions (the user state keeps the last
 * RECENT_LIMIT), orders (order and cancellation ledger entries), the points ledger, coupons and
 * delivered promotions (extension), each newest first, paged together by `before`
 * (logic/history.ts). Reads the newest LEDGER_SCAN ledger entries, COUPON_SCAN coupons and
 * PROMOTION_SCAN promotions.
 */
export function registerHistoryHandlers(server: RpcServer, deps: HistoryHandlerDeps): void {
  const wrap = deps.wrap ?? (<M extends RpcMethod>(_method: M, handler: RpcHandler<M>) => handler);
  server.serve(
    'members.history',
    wrap('members.history', async (request) => {
      const parsed = QuerySchema.safeParse(request);
      if (!parsed.success) throw new PulseError(ErrorCodes.invalidRequest, 'invalid history request', zodDetails(parsed.error));
      const { memberId, limit, before } = parsed.data;
      if (!(await deps.members.get(memberId))) throw new PulseError(ErrorCodes.notFound, `no member ${memberId}`);
      const [state, coupons, ledger, promotions] = await Promise.all([
        deps.users.load(memberId),
        deps.coupons.list(memberId, COUPON_SCAN),
        readLedger(deps.members, memberId),
        deps.campaigns ? deps.campaigns.delivered(memberId, PROMOTION_SCAN) : Promise.resolve([]),
      ]);
      return pageHistory(
        {
          events: state.recent,
          orders: ledger.filter((entry) => entry.orderId !== undefined && (entry.cause === 'order' || entry.cause === 'cancellation')),
          points: ledger,
          coupons,
          promotions,
        },
        { events: (e) => e.ts, orders: (o) => o.ts, points: (p) => p.ts, coupons: (c) => c.createdAt, promotions: (p) => p.deliveredAt },
        limit,
        before,
      );
    }),
  );
}

async function readLedger(members: MemberStore, memberId: string): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  let before: number | undefined;
  while (entries.length < LEDGER_SCAN) {
    const page = await members.ledger(memberId, before === undefined ? { limit: LEDGER_PAGE } : { limit: LEDGER_PAGE, before });
    entries.push(...page);
    const last = page.at(-1);
    if (!last || page.length < LEDGER_PAGE || last.entryId <= 1) break;
    before = last.entryId;
  }
  return entries;
}
