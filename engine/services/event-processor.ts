import type { Logger } from 'pino';
import { isMergeEvent, type LoggedEvent, type RecommendationList, type StoredEvent } from '../contracts/schemas.js';
import { eventMessageId } from '../contracts/subjects.js';
import { eventEffect, inSpaceOf, type EffectOptions, type VectorLookup } from '../logic/event-effect.js';
import { mergeEffect } from '../logic/merge-effect.js';
import type { EngineMetrics } from '../metrics.js';
import type { DeliveredEvent } from '../ports/event-log.js';
import type { InteractionStats } from '../ports/interaction-stats.js';
import type { Notifier } from '../ports/notifier.js';
import type { Tier } from '../contracts/schemas.js';
import { orderCause, orderPoints, orderTotal } from '../logic/points.js';
import type { PointsRates, TierThresholds } from '../logic/tiers.js';
import type { ItemAttributesOf } from '../logic/triggers.js';
import type { MemberStore, StoredMember } from '../ports/member-store.js';
import type { UserState, UserStateChange, UserStateStore } from '../ports/user-state-store.js';
import { vectorLookup, type ServingModels } from './model-registry.js';
import type { Recommender } from './recommender.js';
import type { CampaignTriggers } from './campaign-triggers.js';
import type { ShopAnalyticsRecorder } from './shop-analytics-recorder.js';
import type { ShopperIndex } from './shopper-index.js';

export interface EventProcessorOptions extends EffectOptions {
  /** Length of pushed lists. */
  defaultK: number;
  /** Events older than this (ms since the gateway accepted them) are backlog: applied, not pushed. */
  pushMaxAgeMs: number;
  /** Delay before a transiently failed event is redelivered (ms). */
  retryDelayMs: number;
  /**
   * Users whose events are processed at once, over all partitions. Past a few dozen, more
   * concurrency only queues on Redis and the CPU and makes every push later.
   */
  maxConcurrentUsers: number;
}

export type EventProcessorDeps = EventProcessorBaseDeps &
  (
    | {
        /** The serving model, taken once per event: user vectors of an older one are re-derived. */
        models: ServingModels;
      }
    | {
        /** Fixed vectors (tools replaying one model): no model swaps, no re-derivation. */
        vectors: VectorLookup;
      }
  );

export interface EventProcessorBaseDeps {
  users: UserStateStore;
  stats: InteractionStats;
  /** Ranks the list pushed after an event; absent in replay tools, which push nothing. */
  recommender?: Recommender;
  notifier: Notifier;
  metrics: EngineMetrics;
  logger: Logger;
  options: EventProcessorOptions;
  /** Members earn points from their purchases; without it no points are credited. */
  members?: { store: MemberStore; thresholds: TierThresholds; rates: PointsRates };
  /** Category and brand of an item (the engine's catalog copy), for affinity; without it none is learned. */
  itemAttributes?: ItemAttributesOf;
  /** Campaign triggers run after a member's live event; without it none fire (replay tools). */
  triggers?: CampaignTriggers;
  /** Shop-wide analytics (segment sizes, counters) written after each event's store, duplicates too; without it none are kept. */
  analytics?: ShopAnalyticsRecorder;
  /** Shopper vectors for "shoppers like you", updated after every applied event; without it none are kept. */
  shoppers?: ShopperIndex;
  /** The catalog's best text matches of a search query (CatalogService.textMatches); without it a search moves the shopper by the query's vector alone. */
  textMatches?: (query: string) => ReadonlyArray<{ id: string; score: number }>;
  now?: () => number;
}

/** What a member's purchase did to the record (see creditPurchase). */
interface PurchaseCredit {
  /** The record after the points step; undefined when the user is no member. */
  member?: StoredMember;
  /** Spendable points before and after, when this event changed them. */
  points?: { before: number; after: number };
}

/**
 * One event's member record, read at most once and only when asked (a boosting campaign or a
 * trigger needs it): a purchase's points step has read it already.
 */
class MemberOfEvent {
  private record: Promise<StoredMember | undefined> | undefined;
  credit: Promise<PurchaseCredit | undefined> | undefined;

  constructor(
    private readonly userId: string,
    private readonly store: MemberStore | undefined,
  ) {}

  get(): Promise<StoredMember | undefined> {
    this.record ??= (async () => {
      const credit = await this.credit;
      return credit ? credit.member : this.store?.get(this.userId);
    })();
    return this.record;
  }
}

/** Version conflicts mean another writer touched the user between load and apply; retry a few times. */
const MAX_CONFLICT_RETRIES = 5;
/** Last pushed list per user, to push only lists that changed. Bounded: oldest entries are dropped. */
const LAST_PUSHED_LIMIT = 100_000;

/**
 * Applies delivered events: per user in order, different users concurrently (at most
 * `maxConcurrentUsers` at once). Work is pipelined: `handleBatch` queues a batch behind each
 * user's earlier events and returns at once, so one slow user never holds back the next batch;
 * the log's max-ack-pending bounds what is queued. An event is acked only after its effect is
 * stored; a repeated or redelivered event id is acked without effect.
 */
export class EventProcessor {
  private readonly lastPushed = new Map<string, string>();
  private readonly now: () => number;
  private readonly slots: Semaphore;
  /** Tail of each user's queue; removed when the queue empties. */
  private readonly tails = new Map<string, Promise<void>>();
  /** Users with a failed event: what is queued behind it is handed back too, to keep the order. */
  private readonly failed = new Set<string>();

  constructor(private readonly deps: EventProcessorDeps) {
    this.now = deps.now ?? Date.now;
    this.slots = new Semaphore(deps.options.maxConcurrentUsers);
  }

  /** Queues a batch; each event is acked (or handed back) when its turn has run. */
  async handleBatch(batch: DeliveredEvent[]): Promise<void> {
    for (const delivered of batch) this.enqueue(delivered);
  }

  /** Resolves when every queued event has been acked or handed back (before a partition is released). */
  async drain(): Promise<void> {
    while (this.tails.size > 0) await Promise.all(this.tails.values());
  }

  private enqueue(delivered: DeliveredEvent): void {
    const userId = delivered.event.userId;
    const previous = this.tails.get(userId) ?? Promise.resolve();
    const tail: Promise<void> = previous.then(() => this.slots.run(() => this.handleOne(delivered)));
    this.tails.set(userId, tail);
    void tail.then(() => {
      if (this.tails.get(userId) !== tail) return;
      this.tails.delete(userId);
      this.failed.delete(userId);
    });
  }

  private async handleOne(delivered: DeliveredEvent): Promise<void> {
    const { event } = delivered;
    if (this.failed.has(event.userId)) {
      this.handBack(delivered);
      return;
    }
    const started = performance.now();
    try {
      await this.process(event);
      await delivered.ack();
      this.deps.metrics.processSeconds.observe((performance.now() - started) / 1000);
    } catch (err) {
      // Transient (Redis down, timeouts): hand this and what follows of the user's queue back.
      this.deps.logger.warn({ err, eventId: event.id, userId: event.userId }, 'event failed; handed back for redelivery');
      this.deps.metrics.errors.inc({ code: 'event_retry' });
      this.failed.add(event.userId);
      this.handBack(delivered);
    }
  }

  private handBack(delivered: DeliveredEvent): void {
    this.deps.metrics.eventsRetried.inc();
    delivered.nak(this.deps.options.retryDelayMs);
  }

  /** Applies one event exactly once and pushes the user's new list when it changed. */
  async process(event: LoggedEvent): Promise<'applied' | 'duplicate'> {
    const { users, stats, options } = this.deps;
    if (isMergeEvent(event)) {
      // A visitor's history folded into a member, once per merge id. Shop-wide aggregates are
      // untouched: the visitor's events were counted when they happened.
      return this.applyOnce(event, async () => {
        const [member, visitor] = await Promise.all([users.load(event.userId), users.load(event.fromUserId)]);
        return mergeEffect(member, visitor, event, this.vectors(), options);
      });
    }
    // Points come first (once per event id by their own marker, so a redelivery or a version
    // conflict credits nothing twice): the member record's tier after them is stored with the
    // user state, and pushes after this and later events (sent with a token minted before the
    // upgrade) are ranked for it without reading the record again.
    const member = new MemberOfEvent(event.userId, this.deps.members?.store);
    return this.applyOnce(
      event,
      // A user vector from an older model is re-derived in this one's space, and stored with the event.
      async () => {
        member.credit ??= this.creditPurchase(event);
        const [state, credit] = await Promise.all([users.load(event.userId), member.credit]);
        const itemAttributes = this.deps.itemAttributes;
        return eventEffect(state, event, this.vectors(), options, { ...(credit?.member ? { recordTier: credit.member.tier } : {}), ...(itemAttributes ? { itemAttributes } : {}) });
      },
      // Aggregates are idempotent by their own key, so they are recorded on duplicates too:
      // this completes an event whose user state was stored just before a crash.
      async (effect) => {
        await stats.record(eventMessageId(event.userId, event.id), effect.stats);
      },
      member,
    );
  }

  /**
   * Credits (or, for negative quantities, takes back) a member's points for a purchase, at the
   * member's tier at that moment; pushes a `member` event when the tier rose. Returns the member
   * record after it and the points around it (none for a repeat), `{}` when the user is no
   * member, undefined when the event is no purchase.
   */
  private async creditPurchase(event: LoggedEvent): Promise<PurchaseCredit | undefined> {
    const members = this.deps.members;
    if (!members || event.type !== 'purchase') return undefined;
    const member = await members.store.get(event.userId);
    if (!member) return {};
    const total = orderTotal(event.items);
    const outcome = await members.store.applyPoints(
      event.userId,
      {
        eventId: event.id,
        ts: event.ts,
        delta: orderPoints(total, member.tier, members.rates),
        cause: orderCause(total),
        ...(event.orderId !== undefined ? { orderId: event.orderId } : {}),
      },
      members.thresholds,
    );
    if (outcome.tierChanged) {
      const { from, to } = outcome.tierChanged;
      const { points, lifetimePoints } = outcome.member;
      this.deps.notifier.pushToUser(event.userId, { event: 'member', data: { type: 'tier_changed', from, to, points, lifetimePoints } });
    }
    // The points before are the record read just above: a reward redeemed in between may blur a crossing.
    return { member: outcome.member, ...(outcome.applied ? { points: { before: member.points, after: outcome.member.points } } : {}) };
  }

  /**
   * Computes an effect from freshly loaded state and stores it atomically; a version conflict
   * (another writer between load and apply) recomputes, a few times at most.
   */
  private async applyOnce<E extends { change: UserStateChange; next: UserState }>(
    event: LoggedEvent,
    compute: () => Promise<E>,
    /** Runs after the store (also on duplicates). */
    afterStore?: (effect: E) => Promise<void>,
    /** A shopper event's member record, for campaign boosts and triggers (none for merges). */
    member?: MemberOfEvent,
  ): Promise<'applied' | 'duplicate'> {
    for (let attempt = 0; ; attempt++) {
      const effect = await compute();
      const outcome = await this.deps.users.apply(event.userId, effect.change);
      if (outcome === 'conflict') {
        if (attempt >= MAX_CONFLICT_RETRIES) throw new Error(`user ${event.userId}: version conflict persisted over ${attempt + 1} attempts`);
        continue;
      }
      await afterStore?.(effect);
      // Idempotent per event (its own marker), so it runs for duplicates too, as afterStore does.
      await this.deps.analytics?.afterStore(event, outcome, effect.next, (await member?.credit)?.member);
      const live = this.now() - event.receivedAt <= this.deps.options.pushMaxAgeMs;
      if (outcome === 'duplicate') {
        this.deps.metrics.eventsDuplicate.inc();
        // A redelivery after a crash between storing the effect and the offers: the triggers run
        // again on the state as stored (it holds this event once), and their offers are
        // idempotent by promotion id, so an offer is made once however often this runs.
        if (live && member && !isMergeEvent(event)) await this.retryTriggers(event, member);
        return 'duplicate';
      }
      this.deps.metrics.eventsApplied.inc({ type: event.type });
      this.deps.shoppers?.update(event.userId, effect.next);
      if (isMergeEvent(event)) this.deps.shoppers?.drop(event.fromUserId);
      // Side by side: triggers add nothing to the push's latency, and a failed push (the event is
      // handed back, its redelivery a duplicate) does not cost the offer.
      const [pushed, triggered] = await Promise.allSettled([
        this.pushIfChanged(event, effect.next, live, member),
        live && member && !isMergeEvent(event) ? this.runTriggers(event, effect.next, member) : undefined,
      ]);
      if (triggered.status === 'rejected') {
        this.deps.logger.error({ err: triggered.reason, eventId: event.id, userId: event.userId }, 'campaign triggers failed');
        this.deps.metrics.errors.inc({ code: 'trigger_failed' });
      }
      if (pushed.status === 'rejected') throw pushed.reason;
      return 'applied';
    }
  }

  /** {@link runTriggers} for a redelivered event, on the stored state; failures are logged like the first run's. */
  private async retryTriggers(event: StoredEvent, member: MemberOfEvent): Promise<void> {
    if (!this.deps.triggers?.watches(event, this.now())) return;
    try {
      await this.runTriggers(event, await this.deps.users.load(event.userId), member);
    } catch (err) {
      this.deps.logger.error({ err, eventId: event.id, userId: event.userId }, 'campaign triggers failed on a redelivery');
      this.deps.metrics.errors.inc({ code: 'trigger_failed' });
    }
  }

  /** Campaign triggers of a live event; they never fail it (the effect is stored): see CampaignTriggers. */
  private async runTriggers(event: StoredEvent, next: UserState, member: MemberOfEvent): Promise<void> {
    const triggers = this.deps.triggers;
    if (!triggers) return;
    const credit = await member.credit?.catch(() => undefined);
    await triggers.afterEvent({ event, state: next, member: () => member.get(), ...(credit?.points ? { points: credit.points } : {}) }, this.now());
  }

  private async pushIfChanged(event: LoggedEvent, next: UserState, live: boolean, member: MemberOfEvent | undefined): Promise<void> {
    const recommender = this.deps.recommender;
    if (!recommender) return;
    if (!live) {
      this.deps.metrics.pushesUnchanged.inc({ why: 'backlog' });
      return;
    }
    // Campaign items may join a member's list: the record is read only while a campaign offers items.
    const record = member && recommender.boosting(this.now()) ? await member.get() : undefined;
    const now = this.now();
    // A model swap may have landed while the effect was stored: rank in the space that serves now.
    const user = inSpaceOf(next, this.vectors(), this.deps.options.tasteHalfLifeSeconds);
    const list = await recommender.recommend(user, { k: this.deps.options.defaultK }, now, record, event.userId);
    const signature = list.items.map((item) => item.itemId).join('\n');
    if (this.lastPushed.get(event.userId) === signature) {
      this.deps.metrics.pushesUnchanged.inc({ why: 'unchanged' });
      return;
    }
    this.rememberPushed(event.userId, signature);
    const data: RecommendationList = { ...list, cause: event.id };
    this.deps.notifier.pushToUser(event.userId, { event: 'recommendations', data, causeReceivedAt: event.receivedAt });
    this.deps.metrics.pushes.inc();
  }

  private vectors(): VectorLookup {
    const lookup = 'models' in this.deps ? vectorLookup(this.deps.models.current()) : this.deps.vectors;
    const textMatches = this.deps.textMatches;
    return textMatches && !lookup.textMatches ? { ...lookup, textMatches } : lookup;
  }

  private rememberPushed(userId: string, signature: string): void {
    this.lastPushed.delete(userId);
    this.lastPushed.set(userId, signature);
    if (this.lastPushed.size > LAST_PUSHED_LIMIT) {
      const oldest = this.lastPushed.keys().next().value;
      if (oldest !== undefined) this.lastPushed.delete(oldest);
    }
  }
}

/** At most `limit` tasks run at once; the rest wait in arrival order. */
class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
