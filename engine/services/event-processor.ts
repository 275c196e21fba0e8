import type { Logger } from 'pino';
import type { RecommendationList, StoredEvent } from '../contracts/schemas.js';
import { eventMessageId } from '../contracts/subjects.js';
import { eventEffect, type EffectOptions, type VectorLookup } from '../logic/event-effect.js';
import type { EngineMetrics } from '../metrics.js';
import type { DeliveredEvent } from '../ports/event-log.js';
import type { InteractionStats } from '../ports/interaction-stats.js';
import type { Notifier } from '../ports/notifier.js';
import type { UserStateStore } from '../ports/user-state-store.js';
import type { Recommender } from './recommender.js';

export interface EventProcessorOptions extends EffectOptions {
  /** Length of pushed lists. */
  defaultK: number;
  /** Events older than this (ms since the gateway accepted them) are backlog: applied, not pushed. */
  pushMaxAgeMs: number;
  /** Delay before a transiently failed event is redelivered (ms). */
  retryDelayMs: number;
}

export interface EventProcessorDeps {
  users: UserStateStore;
  stats: InteractionStats;
  vectors: VectorLookup;
  recommender: Recommender;
  notifier: Notifier;
  metrics: EngineMetrics;
  logger: Logger;
  options: EventProcessorOptions;
  now?: () => number;
}

/** Version conflicts mean another writer touched the user between load and apply; retry a few times. */
const MAX_CONFLICT_RETRIES = 5;
/** Last pushed list per user, to push only lists that changed. Bounded: oldest entries are dropped. */
const LAST_PUSHED_LIMIT = 100_000;

/**
 * Applies delivered events: per user in order, users of one batch concurrently. An event is acked
 * only after its effect is stored; a repeated or redelivered event id is acked without effect.
 */
export class EventProcessor {
  private readonly lastPushed = new Map<string, string>();
  private readonly now: () => number;

  constructor(private readonly deps: EventProcessorDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Handles one batch from a partition. Resolves when every event is acked or handed back. */
  async handleBatch(batch: DeliveredEvent[]): Promise<void> {
    const byUser = new Map<string, DeliveredEvent[]>();
    for (const delivered of batch) {
      const chain = byUser.get(delivered.event.userId);
      if (chain) chain.push(delivered);
      else byUser.set(delivered.event.userId, [delivered]);
    }
    await Promise.all([...byUser.values()].map((chain) => this.handleChain(chain)));
  }

  private async handleChain(chain: DeliveredEvent[]): Promise<void> {
    for (let i = 0; i < chain.length; i++) {
      const delivered = chain[i]!;
      const started = performance.now();
      try {
        await this.process(delivered.event);
        await delivered.ack();
        this.deps.metrics.processSeconds.observe((performance.now() - started) / 1000);
      } catch (err) {
        // Transient (Redis down, timeouts): hand this and the rest of the user's chain back, in order.
        this.deps.logger.warn({ err, eventId: delivered.event.id, userId: delivered.event.userId }, 'event failed; handed back for redelivery');
        this.deps.metrics.errors.inc({ code: 'event_retry' });
        for (const rest of chain.slice(i)) {
          this.deps.metrics.eventsRetried.inc();
          rest.nak(this.deps.options.retryDelayMs);
        }
        return;
      }
    }
  }

  /** Applies one event exactly once and pushes the user's new list when it changed. */
  async process(event: StoredEvent): Promise<'applied' | 'duplicate'> {
    const { users, stats, options } = this.deps;
    for (let attempt = 0; ; attempt++) {
      const state = await users.load(event.userId);
      const effect = eventEffect(state, event, this.deps.vectors, options);
      const outcome = await users.apply(event.userId, effect.change);
      if (outcome === 'conflict') {
        if (attempt >= MAX_CONFLICT_RETRIES) throw new Error(`user ${event.userId}: version conflict persisted over ${attempt + 1} attempts`);
        continue;
      }
      // Aggregates are idempotent by their own key, so they are recorded on duplicates too:
      // this completes an event whose user state was stored just before a crash.
      await stats.record(eventMessageId(event.userId, event.id), effect.stats);
      if (outcome === 'duplicate') {
        this.deps.metrics.eventsDuplicate.inc();
        return 'duplicate';
      }
      this.deps.metrics.eventsApplied.inc({ type: event.type });
      await this.pushIfChanged(event, effect.next);
      return 'applied';
    }
  }

  private async pushIfChanged(event: StoredEvent, next: Parameters<Recommender['recommend']>[0]): Promise<void> {
    const now = this.now();
    if (now - event.receivedAt > this.deps.options.pushMaxAgeMs) {
      this.deps.metrics.pushesUnchanged.inc({ why: 'backlog' });
      return;
    }
    const list = await this.deps.recommender.recommend(next, { k: this.deps.options.defaultK }, now);
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

  private rememberPushed(userId: string, signature: string): void {
    this.lastPushed.delete(userId);
    this.lastPushed.set(userId, signature);
    if (this.lastPushed.size > LAST_PUSHED_LIMIT) {
      const oldest = this.lastPushed.keys().next().value;
      if (oldest !== undefined) this.lastPushed.delete(oldest);
    }
  }
}
