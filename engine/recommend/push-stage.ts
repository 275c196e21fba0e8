import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { isImpressionEvent, isMergeEvent } from '../contracts/schemas.js';
import { isOrderEvent } from '../contracts/orders.js';
import type { RecommendationList } from '../contracts/schemas.js';
import { inSpaceOf, type VectorLookup } from '../shoppers/logic/event-effect.js';
import type { EngineMetrics } from '../metrics.js';
import type { Notifier } from '../platform/notifier.js';
import type { PresenceView } from '../platform/presence.js';
import type { Recommender } from './recommender.js';
import { isLive, type Batch, type EventRun, type UserRun } from '../stream/pipeline/batch.js';
import type { BatchStage } from '../stream/pipeline/stage.js';

export interface PushStageDeps {
  recommender: Recommender;
  notifier: Notifier;
  /** Users with an open socket; without it every live user counts as present. */
  presence?: PresenceView;
  metrics: EngineMetrics;
  logger: Logger;
  /** The serving model's vectors, taken when ranking (a swap may land during the batch). */
  vectors: () => VectorLookup;
  options: { defaultK: number; pushMaxAgeMs: number; tasteHalfLifeSeconds: number };
}

/** Users ranked side by side before the event loop gets a turn (~16 x 0.3-1 ms). */
const RANK_GROUP = 16;

/** Last pushed list per user, to push only lists that changed. Bounded: the user pushed to longest ago is dropped. */
const LAST_PUSHED_LIMIT = 100_000;

/**
 * Ranks and pushes a fresh list once per user per batch, only for a user with an applied live (not
 * backlog) event who has a socket open (presence): five events of one user in a batch make one
 * list and one push, `cause` the last live one. A list equal to the last one pushed is not
 * pushed again. Everyone else gets a fresh list when they ask. Cost per pushed user: one
 * recommend (~0.3-1 ms, see Recommender) and one NATS publish; per skipped user: a Map lookup.
 */
export class PushStage implements BatchStage {
  readonly name = 'push';
  /** A read (`peek`) does not make a user recent: only a push does. */
  private readonly lastPushed = new LRUCache<string, string>({ max: LAST_PUSHED_LIMIT });

  constructor(private readonly deps: PushStageDeps) {}

  async afterStore(batch: Batch): Promise<void> {
    // Ranked in groups with a turn of the event loop between them: a large batch's lists would
    // otherwise run as one unbroken chain of microtasks and hold timers (lease renewals) and I/O.
    // The serving model's vectors once per batch (a swap landing meanwhile is caught by the next batch).
    const vectors = this.deps.vectors();
    for (let start = 0; start < batch.users.length; start += RANK_GROUP) {
      if (start > 0) await new Promise((resolve) => setImmediate(resolve));
      await Promise.all(batch.users.slice(start, start + RANK_GROUP).map((user) => this.pushUser(user, batch.now, vectors)));
    }
  }

  private async pushUser(user: UserRun, now: number, vectors: VectorLookup): Promise<void> {
    const { metrics, presence, recommender, options } = this.deps;
    let last: EventRun | undefined;
    let applied = false;
    for (const run of user.events) {
      // Cards shown move nothing a list is ranked on: an impression never causes a push.
      if (run.outcome !== 'applied' || isImpressionEvent(run.event)) continue;
      applied = true;
      if (isLive(run.event, now, options.pushMaxAgeMs)) last = run;
    }
    if (!applied) return;
    if (!last) {
      metrics.pushesUnchanged.inc({ why: 'backlog' });
      return;
    }
    // An event sent over the user's socket says someone is looking, even before the join arrives.
    const viaSocket = user.events.some(
      (run) => run.outcome === 'applied' && !isMergeEvent(run.event) && !isOrderEvent(run.event) && run.event.viaSocket === true,
    );
    if (presence && !viaSocket && !presence.isPresent(user.userId)) {
      metrics.pushesUnchanged.inc({ why: 'absent' });
      return;
    }
    try {
      // Campaign items may join a member's list: the record is read only while a campaign offers items.
      const record = recommender.boosting(now) ? await user.member.get() : undefined;
      // A model swap may have landed while the effects were stored: rank in the space that serves now.
      const state = inSpaceOf(user.state, vectors, options.tasteHalfLifeSeconds);
      const list = await recommender.recommend(state, { k: options.defaultK }, now, record, user.userId);
      const signature = list.items.map((item) => item.itemId).join('\n');
      if (this.lastPushed.peek(user.userId) === signature) {
        metrics.pushesUnchanged.inc({ why: 'unchanged' });
        return;
      }
      this.lastPushed.set(user.userId, signature);
      const data: RecommendationList = { ...list, cause: last.event.id };
      this.deps.notifier.pushToUser(user.userId, { event: 'recommendations', data, causeReceivedAt: last.event.receivedAt });
      metrics.pushes.inc();
    } catch (err) {
      // The state is stored: the next event or request brings a fresh list.
      this.deps.logger.warn({ err, userId: user.userId }, 'list not pushed');
      metrics.errors.inc({ code: 'push_failed' });
    }
  }
}
