import { newEventId } from '../client/identity.js';
import { byId, count, describeError, el, money, when, type StoreContext } from './dom.js';
import { type Redeemed, type Reward, refusalText } from './reward-words.js';

/**
 * The rewards of the member panel: each reward with its point cost and a Redeem button, enabled
 * while the balance covers it (a hint says how many points are missing otherwise). Redeem calls
 * `POST /v1/members/me/rewards` with a request id kept until the engine answers with a decision,
 * so a click repeated after a lost answer buys one coupon, not two. The result, or a refusal in
 * words, goes to the panel's live region `#reward-note`; `refresh` lets the panel show the new
 * coupon and the lower balance (and the true balance after an `insufficient_points`). The
 * elements are built once and updated in place, so the keyboard stays on its button across
 * refreshes.
 */
export class RewardsList {
  readonly #context: StoreContext;
  readonly #list = byId<HTMLUListElement>('member-rewards');
  readonly #note = byId('reward-note');
  #rewards: Reward[] | undefined;
  #balance: number | undefined;
  /** A request whose outcome is unknown (no answer): the next click on that reward sends it again. */
  readonly #unanswered = new Map<string, string>();
  #busy = false;
  /**
   * After a redemption or an `insufficient_points` (points spent elsewhere meanwhile): the panel
   * reads the profile, coupons and history again and answers the balance it now shows.
   */
  refresh: () => Promise<number | undefined> = async () => undefined;

  constructor(context: StoreContext) {
    this.#context = context;
  }

  /** Reads the catalogue once (per page), then shows it against `balance` (undefined: not known yet). */
  async load(): Promise<void> {
    if (this.#rewards) return;
    try {
      const { rewards } = await this.#context.client.api<{ rewards: Reward[] }>('GET', '/v1/members/me/rewards');
      this.#rewards = rewards;
      this.#build(rewards);
    } catch (err) {
      this.#list.replaceChildren(el('li', { class: 'muted' }, `Rewards could not be loaded: ${describeError(err).text}`));
    }
  }

  /** A new member (log out, log in): forgets the shown results and unanswered requests. */
  reset(): void {
    this.#unanswered.clear();
    this.#note.textContent = '';
    this.#balance = undefined;
  }

  /** Enables each reward's button while `balance` covers it. */
  render(balance: number): void {
    this.#balance = balance;
    for (const reward of this.#rewards ?? []) {
      const button = this.#list.querySelector<HTMLButtonElement>(`button[data-reward-id="${CSS.escape(reward.rewardId)}"]`);
      const need = this.#list.querySelector<HTMLElement>(`[data-need="${CSS.escape(reward.rewardId)}"]`);
      if (!button || !need) continue;
      const missing = reward.points - balance;
      button.disabled = this.#busy || missing > 0;
      need.textContent = missing > 0 ? `You need ${count.format(missing)} more points.` : 'You have enough points.';
      need.dataset.enough = String(missing <= 0);
    }
  }

  #build(rewards: Reward[]): void {
    if (rewards.length === 0) {
      this.#list.replaceChildren(el('li', { class: 'muted' }, 'No rewards are offered right now.'));
      return;
    }
    this.#list.replaceChildren(
      ...rewards.map((reward) => {
        const id = `reward-${reward.rewardId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
        const button = el(
          'button',
          {
            type: 'button',
            class: 'button small',
            'data-reward-id': reward.rewardId,
            'aria-label': `Redeem ${count.format(reward.points)} points for a ${money.format(reward.value)} coupon`,
            'aria-describedby': `${id}-need`,
            disabled: true,
          },
          'Redeem',
        );
        button.addEventListener('click', () => void this.#redeem(reward, button));
        return el(
          'li',
          { class: 'reward', 'data-reward': reward.rewardId },
          el(
            'div',
            { class: 'reward-text' },
            el('strong', {}, `${money.format(reward.value)} coupon`),
            el('span', { class: 'reward-cost' }, `${count.format(reward.points)} points · valid ${reward.ttlDays} days`),
            el('span', { id: `${id}-need`, class: 'reward-need muted', 'data-need': reward.rewardId }),
          ),
          button,
        );
      }),
    );
    if (this.#balance !== undefined) this.render(this.#balance);
  }

  async #redeem(reward: Reward, button: HTMLButtonElement): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    const hadFocus = document.activeElement === button;
    const requestId = this.#unanswered.get(reward.rewardId) ?? `rw-${newEventId().slice(2)}`;
    this.#unanswered.set(reward.rewardId, requestId);
    button.textContent = 'Redeeming…';
    this.#setButtons(true);
    this.#note.dataset.kind = 'info';
    this.#note.textContent = `Redeeming ${count.format(reward.points)} points…`;
    let text: string;
    let kind: 'success' | 'error';
    try {
      const answer = await this.#context.client.api<Redeemed>('POST', '/v1/members/me/rewards', { rewardId: reward.rewardId, requestId });
      this.#unanswered.delete(reward.rewardId);
      text = `Redeemed ${count.format(reward.points)} points: coupon ${answer.coupon.code} (${money.format(answer.coupon.value)} off) is in your coupons, valid until ${when(answer.coupon.expiresAt)}. Your balance is ${count.format(answer.points)} points.`;
      kind = 'success';
      await this.refresh();
    } catch (err) {
      const { code, text: fallback } = describeError(err);
      // A decision (refused) ends the request; no answer (network, timeout, unavailable) keeps its id for the next click.
      if (code === 'insufficient_points' || code === 'reward_not_found' || code === 'invalid_request')
        this.#unanswered.delete(reward.rewardId);
      // The page's balance may be stale (points spent in another tab): the words use the engine's.
      const balance = code === 'insufficient_points' ? ((await this.refresh()) ?? this.#balance) : this.#balance;
      text = refusalText(code, reward, balance, fallback);
      kind = 'error';
    }
    this.#busy = false;
    button.textContent = 'Redeem';
    this.#setButtons(false);
    this.#note.dataset.kind = kind;
    this.#note.textContent = text;
    // Disabled while busy, the button lost the keyboard: back to it, or to the result when the balance no longer covers it.
    if (hadFocus || document.activeElement === document.body) (button.disabled ? this.#note : button).focus();
  }

  #setButtons(busy: boolean): void {
    if (busy) for (const button of this.#list.querySelectorAll('button')) button.disabled = true;
    else if (this.#balance !== undefined) this.render(this.#balance);
  }
}
