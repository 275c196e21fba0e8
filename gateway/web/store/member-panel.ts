import type { MemberProfile } from '../../../engine/contracts/schemas.js';
import type { Coupon } from '../../../engine/contracts/coupons.js';
import type { LedgerEntry } from '../../../engine/contracts/members.js';
import type { DeliveredPromotion } from '../../../engine/contracts/campaigns.js';
import type { RecentInteraction } from '../../../engine/contracts/interactions.js';
import { byId, count, describeError, el, when, type StoreContext } from './dom.js';
import { describeCoupon } from './coupon-field.js';
import { RewardsList } from './rewards.js';

/** `GET /v1/members/me/history` (CONTRACT "Membership"; `promotions` and `next` are extensions). */
interface HistoryPage {
  events: RecentInteraction[];
  orders: LedgerEntry[];
  points: LedgerEntry[];
  coupons: Coupon[];
  promotions?: DeliveredPromotion[];
  next?: number;
}

/** History entries per list and page. */
const HISTORY_PAGE = 10;
/** After a purchase: how often and how long the panel asks for the new balance (ms). */
const POINTS_POLL_MS = 400;
const POINTS_WAIT_MS = 20_000;

const TIER_NAMES: Record<string, string> = { regular: 'Regular', vip: 'VIP', enterprise: 'Enterprise' };
const EVENT_VERBS: Record<string, string> = {
  view: 'Viewed',
  click: 'Opened',
  add_to_cart: 'Added to cart',
  remove_from_cart: 'Removed from cart',
  purchase: 'Bought',
  search: 'Searched for',
  like: 'Liked',
  dislike: 'Disliked',
};

type Entry = { ts: number; text: string; kind: string };

/**
 * The member panel: tier, spendable and lifetime points (`GET /v1/members/me`), rewards to
 * redeem (rewards.ts), coupons (`GET /v1/members/me/coupons`) and history
 * (`GET /v1/members/me/history`, paged with `before` = the previous page's `next`). It refreshes on the engine's `member` push (a tier change) and,
 * after a purchase, asks for the balance until the engine has credited the order's points.
 */
export class MemberPanel {
  readonly #context: StoreContext;
  readonly #titleOf: (itemId: string) => Promise<string>;
  readonly #panel = byId('member-panel');
  readonly #history = byId<HTMLOListElement>('member-history');
  readonly #more = byId<HTMLButtonElement>('history-more');
  readonly #note = byId('member-note');
  readonly #rewards: RewardsList;
  #member: MemberProfile | undefined;
  #next: number | undefined;
  /** Bumped by every refresh: an answer for an older one (or an earlier member) is dropped. */
  #seq = 0;

  constructor(context: StoreContext, titleOf: (itemId: string) => Promise<string>) {
    this.#context = context;
    this.#titleOf = titleOf;
    this.#rewards = new RewardsList(context);
    // A redemption: the new coupon, the lower balance and the `redemption` entry in the history.
    this.#rewards.refresh = async () => {
      await this.refresh();
      return this.#member?.points;
    };
    this.#more.addEventListener('click', () => void this.#loadHistory(true, this.#seq));
  }

  /** The member shown, if any. */
  get member(): MemberProfile | undefined {
    return this.#member;
  }

  /** Shows (and loads) the panel for the signed-in member, or hides it for a visitor. */
  async show(visible: boolean): Promise<void> {
    this.#panel.hidden = !visible;
    if (!visible) {
      this.#seq++;
      this.#member = undefined;
      this.#rewards.reset();
      return;
    }
    await this.refresh();
  }

  /** Reads profile, coupons and the first history page again. */
  async refresh(): Promise<void> {
    const seq = ++this.#seq;
    try {
      const [member] = await Promise.all([
        this.#context.client.api<MemberProfile>('GET', '/v1/members/me'),
        this.#loadCoupons(seq),
        this.#loadHistory(false, seq),
        this.#rewards.load(),
      ]);
      if (seq === this.#seq) this.#renderProfile(member);
    } catch (err) {
      if (seq === this.#seq) this.#note.textContent = `Your account could not be loaded: ${describeError(err).text}`;
    }
  }

  /** After the purchase `orderId`: waits until the balance moved, then shows the credited points. */
  async awaitPoints(orderId: string): Promise<void> {
    const before = this.#member;
    if (!before) return;
    this.#note.textContent = `Crediting points for order ${orderId}…`;
    const deadline = Date.now() + POINTS_WAIT_MS;
    while (Date.now() < deadline && this.#member?.memberId === before.memberId) {
      const now = await this.#context.client.api<MemberProfile>('GET', '/v1/members/me').catch(() => undefined);
      if (now && (now.lifetimePoints !== before.lifetimePoints || now.points !== before.points)) {
        await this.refresh();
        const earned = now.lifetimePoints - before.lifetimePoints;
        this.#note.textContent = `+${count.format(earned)} points for order ${orderId}.`;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, POINTS_POLL_MS));
    }
    if (this.#member?.memberId === before.memberId)
      this.#note.textContent = `Points for order ${orderId} are still on their way; they will show here soon.`;
  }

  /** A `member` push: `{type: 'tier_changed', from, to, points, lifetimePoints}`. */
  async onMemberPush(change: Record<string, unknown>): Promise<void> {
    if (change.type === 'tier_changed' && typeof change.to === 'string') {
      const tier = TIER_NAMES[change.to] ?? change.to;
      this.#note.textContent = `Congratulations, you are now a ${tier} member!`;
      this.#context.status.say(`You reached the ${tier} tier.`);
    }
    await this.refresh();
  }

  #renderProfile(member: MemberProfile): void {
    this.#member = member;
    byId('member-name').textContent = member.name || member.email;
    byId('member-email').textContent = member.email;
    // A long email ends in an ellipsis (panels.css): the whole of it on hover.
    byId('member-email').title = member.email;
    const tier = byId('member-tier');
    tier.textContent = TIER_NAMES[member.tier] ?? member.tier;
    tier.className = `badge tier-${member.tier}`;
    tier.dataset.value = member.tier;
    const points = byId('member-points');
    points.textContent = count.format(member.points);
    points.dataset.value = String(member.points);
    const lifetime = byId('member-lifetime');
    lifetime.textContent = count.format(member.lifetimePoints);
    lifetime.dataset.value = String(member.lifetimePoints);
    this.#rewards.render(member.points);
  }

  async #loadCoupons(seq: number): Promise<void> {
    const { coupons } = await this.#context.client.api<{ coupons: Coupon[] }>('GET', '/v1/members/me/coupons');
    if (seq !== this.#seq) return;
    const now = Date.now();
    const items = coupons.map((coupon) => {
      const off = describeCoupon(coupon);
      const state =
        coupon.redeemedAt !== undefined
          ? `used ${when(coupon.redeemedAt)}`
          : coupon.expiresAt <= now
            ? 'expired'
            : `valid until ${when(coupon.expiresAt)}`;
      const usable = coupon.redeemedAt === undefined && coupon.expiresAt > now;
      return el(
        'li',
        { class: usable ? 'coupon' : 'coupon spent', 'data-coupon': coupon.code },
        el('code', {}, coupon.code),
        el('span', {}, `${off} · ${state}`),
      );
    });
    byId('member-coupons').replaceChildren(
      ...(items.length === 0 ? [el('li', { class: 'muted' }, 'No coupons yet. Offers appear here when you get one.')] : items),
    );
  }

  async #loadHistory(older: boolean, seq: number): Promise<void> {
    const params = new URLSearchParams({ limit: String(HISTORY_PAGE) });
    if (older && this.#next !== undefined) params.set('before', String(this.#next));
    this.#more.disabled = true;
    try {
      const page = await this.#context.client.api<HistoryPage>('GET', `/v1/members/me/history?${params}`);
      const entries = await this.#entries(page);
      if (seq !== this.#seq) return;
      const items = entries.map((entry) =>
        el(
          'li',
          { class: `history-${entry.kind}` },
          el('span', { class: 'history-text' }, entry.text),
          el('time', { datetime: new Date(entry.ts).toISOString() }, when(entry.ts)),
        ),
      );
      if (older) this.#history.append(...items);
      else
        this.#history.replaceChildren(
          ...(items.length === 0 ? [el('li', { class: 'muted' }, 'Nothing yet: your orders and activity will show here.')] : items),
        );
      this.#next = page.next;
      this.#more.hidden = page.next === undefined;
    } finally {
      this.#more.disabled = false;
    }
  }

  /** One timeline of a history page, newest first (orders, other points changes, coupons, offers, activity). */
  async #entries(page: HistoryPage): Promise<Entry[]> {
    const signed = (n: number) => `${n >= 0 ? '+' : '−'}${count.format(Math.abs(n))} points`;
    const entries: Entry[] = [
      ...page.orders.map((o) => ({
        ts: o.ts,
        kind: 'order',
        text: `${o.cause === 'cancellation' ? 'Cancelled order' : 'Order'} ${o.orderId ?? ''} · ${signed(o.delta)}`,
      })),
      ...page.points
        .filter((p) => p.orderId === undefined || (p.cause !== 'order' && p.cause !== 'cancellation'))
        .map((p) => ({ ts: p.ts, kind: 'points', text: `${p.cause === 'redemption' ? 'Redeemed' : 'Adjustment'} · ${signed(p.delta)}` })),
      ...page.coupons.map((c) => ({ ts: c.createdAt, kind: 'coupon', text: `Coupon ${c.code} received` })),
      ...(page.promotions ?? []).map((p) => ({ ts: p.deliveredAt, kind: 'offer', text: `Offer: ${p.title}` })),
    ];
    const events = await Promise.all(
      page.events.map(async (e) => ({
        ts: e.ts,
        kind: 'event',
        text: `${EVENT_VERBS[e.type] ?? e.type} ${await this.#titleOf(e.itemId)}`,
      })),
    );
    return [...entries, ...events].sort((a, b) => b.ts - a.ts);
  }
}
