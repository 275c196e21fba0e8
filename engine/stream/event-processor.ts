import { ErrorCodes, PulseError } from '../contracts/errors.js';
import { isMergeEvent, type LoggedEvent } from '../contracts/schemas.js';
import type { VectorLookup } from '../shoppers/logic/event-effect.js';
import { ACK_SENT, type DeliveredEvent } from './event-log.js';
import { vectorLookup } from '../recommend/model-registry.js';
import { AggregatesStage } from '../recommend/aggregates-stage.js';
import { AnalyticsStage } from '../analytics/analytics-stage.js';
import type { Batch, UserRun } from './pipeline/batch.js';
import { HeldBackError, VersionConflictError, computeUser, storeUsers } from './pipeline/apply.js';
import { PointsStage } from '../members/points-stage.js';
import { PushStage } from '../recommend/push-stage.js';
import { ShoppersStage } from '../recommend/shoppers-stage.js';
import { SessionsStage } from '../recommend/sessions-stage.js';
import type { BatchStage } from './pipeline/stage.js';
import { TriggersStage } from '../campaigns/triggers-stage.js';
import { groupByUser } from './batch-grouping.js';
import { BatchTags } from './pipeline/batch-tags.js';
import { anyRedelivered, isRedelivered, loadRequests } from './pipeline/load-requests.js';
import type { EventProcessorDeps, EventResult } from './event-processor-options.js';
import { StateCache } from '../shoppers/state-cache.js';

export type { EventProcessorOptions, EventProcessorDeps, EventProcessorBaseDeps, EventResult } from './event-processor-options.js';

/** Events of one round at most: partitions' batches that arrive together run as one (handleBatch). */
const MAX_ROUND_EVENTS = 1024;

/** Batches of several partitions run through the stages together. */
interface Round {
  deliveries: DeliveredEvent[];
  settled: Promise<void>;
}

const DEFAULT_MAX_DELIVERIES = 5;
const DEFAULT_USER_CACHE_SIZE = 20_000;
const MAX_RETRY_DELAY_MS = 30_000;

/**
 * The batched event path. A partition's batch runs through stages (see pipeline/stage.ts):
 * load every user's state and the batch's markers in one round trip, let the stages prepare
 * (points), compute every effect (pure), store every change in one round trip, let the stages
 * write their share once per batch and push once per present user, then ack. One batch per
 * partition at a time (the consumer awaits it), so per-user order holds; partitions run side by
 * side. An event that fails is handed back (nak with a growing delay) with the rest of its user's
 * events; one that keeps failing for a reason other than an outage is dead-lettered after
 * `maxDeliveries`, so a partition never waits behind it.
 *
 * Cost per event on the normal path (no push): ~25 us loading its user (shared by the user's
 * events), ~20 us computing, ~20 us storing, a share of the batch's two aggregate scripts.
 */
export class EventProcessor {
  private readonly now: () => number;
  private readonly stages: BatchStage[];
  /** Batches being settled, with their partition. */
  private readonly inFlight = new Map<Promise<void>, number>();
  /** The round still taking batches (handleBatch), until its turn of the event loop comes. */
  private gathering: Round | undefined;
  private readonly maxDeliveries: number;
  private readonly cache: StateCache;

  constructor(private readonly deps: EventProcessorDeps) {
    this.now = deps.now ?? Date.now;
    this.maxDeliveries = deps.options.maxDeliveries ?? DEFAULT_MAX_DELIVERIES;
    this.cache = new StateCache(deps.options.userCacheSize ?? DEFAULT_USER_CACHE_SIZE);
    this.stages = this.createStages();
  }

  private createStages(): BatchStage[] {
    const { deps } = this;
    const { options, metrics, logger, notifier } = deps;
    const stages: BatchStage[] = [];
    if (deps.members) stages.push(new PointsStage({ ...deps.members, notifier }));
    stages.push(new AggregatesStage(deps.stats));
    if (deps.analytics) stages.push(new AnalyticsStage(deps.analytics.store, deps.analytics.thresholds));
    if (deps.shoppers) {
      const { shopperIndexIntervalMs: minIntervalMs = 0, shopperIndexBacklogIntervalMs: backlogIntervalMs, pushMaxAgeMs } = options;
      stages.push(new ShoppersStage(deps.shoppers, { minIntervalMs, backlogIntervalMs, pushMaxAgeMs, metrics, now: this.now }));
    }
    // Before the push stage: an event is judged against the list made before it, not after.
    if (deps.evidence || deps.sessions)
      stages.push(
        new SessionsStage({ ...(deps.evidence ? { evidence: deps.evidence } : {}), ...(deps.sessions ? { sessions: deps.sessions } : {}) }),
      );
    if (deps.triggers) stages.push(new TriggersStage({ triggers: deps.triggers, logger, metrics, pushMaxAgeMs: options.pushMaxAgeMs }));
    if (deps.recommender) {
      stages.push(
        new PushStage({
          recommender: deps.recommender,
          notifier,
          ...(deps.presence ? { presence: deps.presence } : {}),
          metrics,
          logger,
          vectors: () => this.vectors(),
          options: { defaultK: options.defaultK, pushMaxAgeMs: options.pushMaxAgeMs, tasteHalfLifeSeconds: options.tasteHalfLifeSeconds },
        }),
      );
    }
    return stages;
  }

  /**
   * Runs a delivered batch through the stages; resolves once every event is acked, handed back or
   * dead-lettered. Batches of several partitions handed over within one turn of the event loop
   * run as one round (up to MAX_ROUND_EVENTS events): one load, one store and one write per
   * shop-wide stage for all of them instead of one each. Safe because a partition has at most one
   * batch in flight and a user lives in one partition, so per-user order is kept; at moderate
   * rates, where each partition's batch holds an event or two, this divides the Redis and NATS
   * round trips (and their write syscalls, ~30-50 us each) by the number of partitions that
   * delivered together.
   */
  async handleBatch(batch: DeliveredEvent[]): Promise<void> {
    let round = this.gathering;
    if (!round || round.deliveries.length + batch.length > MAX_ROUND_EVENTS) {
      const next: Round = { deliveries: [], settled: Promise.resolve() };
      // A turn of the event loop before each round: rounds settling back to back are otherwise one
      // chain of microtasks that starves timers and sockets; batches that arrive meanwhile join it.
      next.settled = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        if (this.gathering === next) this.gathering = undefined;
        return this.settle(next.deliveries);
      });
      this.gathering = round = next;
    }
    round.deliveries.push(...batch);
    const partition = batch[0]?.partition ?? -1;
    const settled = round.settled.then(() => undefined);
    this.inFlight.set(settled, partition);
    try {
      await settled;
    } finally {
      this.inFlight.delete(settled);
    }
  }

  /**
   * Resolves when every batch of `partition` handed over so far is settled (before the partition
   * is released); without a partition, every batch. Batches of other partitions that start
   * meanwhile are not waited for: under load they never stop coming.
   */
  async drain(partition?: number): Promise<void> {
    const waiting = [...this.inFlight].filter(([, p]) => partition === undefined || p === partition).map(([run]) => run);
    await Promise.allSettled(waiting);
  }

  /** Applies one event exactly once (a batch of one), for tools and tests; rejects with its failure. */
  async process(event: LoggedEvent): Promise<'applied' | 'duplicate'> {
    const [result] = await this.run([{ event, deliveryCount: 1 }]);
    if (!result || 'error' in result) throw result?.error ?? new Error('event not processed');
    return result.outcome;
  }

  private async settle(batch: DeliveredEvent[]): Promise<void> {
    const started = performance.now();
    const results = await this.run(batch);
    // A stored event's ack without an async wrapper of its own; one sent at once (ACK_SENT, the NATS
    // log's) needs no handler: no promise and closure per event (~0.06-0.1 us each, micro-measured).
    const settled: Array<Promise<void>> = [];
    for (let i = 0; i < batch.length; i++) {
      const delivered = batch[i]!;
      const result = results[i]!;
      if ('error' in result) settled.push(this.finish(delivered, result));
      else {
        const ack = delivered.ack();
        if (ack !== ACK_SENT) settled.push(ack.catch((err: unknown) => this.ackNotSent(err, delivered)));
      }
    }
    if (settled.length > 0) await Promise.all(settled);
    const seconds = (performance.now() - started) / 1000;
    for (let i = 0; i < batch.length; i++) this.deps.metrics.processSeconds.observe(seconds);
  }

  private ackNotSent(err: unknown, delivered: DeliveredEvent): void {
    this.deps.logger.warn({ err, eventId: delivered.event.id }, 'ack not sent; the event comes back as a duplicate');
  }

  /** Hands a failed event back, or dead-letters it once it keeps failing. */
  private async finish(delivered: DeliveredEvent, result: { error: unknown }): Promise<void> {
    const { metrics, logger } = this.deps;
    const { error } = result;
    const { event } = delivered;
    if (!isTransient(error) && delivered.deliveryCount >= this.maxDeliveries) {
      const code = error instanceof PulseError ? error.code : ErrorCodes.internal;
      const message = error instanceof Error ? error.message : String(error);
      try {
        await delivered.deadLetter({ code, message, attempts: delivered.deliveryCount });
        metrics.eventsDeadLettered.inc({ code });
        logger.warn({ eventId: event.id, userId: event.userId, code, message, attempts: delivered.deliveryCount }, 'event dead-lettered');
        return;
      } catch (err) {
        logger.error({ err, eventId: event.id }, 'dead letter not stored; handing the event back');
      }
    }
    logger.warn(
      { err: error, eventId: event.id, userId: event.userId, deliveries: delivered.deliveryCount },
      'event failed; handed back for redelivery',
    );
    metrics.errors.inc({ code: 'event_retry' });
    metrics.eventsRetried.inc();
    delivered.nak(Math.min(MAX_RETRY_DELAY_MS, this.deps.options.retryDelayMs * 2 ** Math.max(0, delivered.deliveryCount - 1)));
  }

  /** The stages over one batch of events; a result per event, in order. */
  private async run(deliveries: ReadonlyArray<{ event: LoggedEvent; deliveryCount: number }>): Promise<EventResult[]> {
    const batch: Batch = {
      tag: BATCH_TAGS.next(),
      users: groupByUser(deliveries, this.deps.members?.store),
      now: this.now(),
    };
    try {
      await this.load(batch, deliveries);
      for (const stage of this.stages) if (stage.prepare) await stage.prepare(batch);
      const vectors = this.vectors();
      const context = this.deps.itemAttributes ? { itemAttributes: this.deps.itemAttributes } : {};
      for (const user of batch.users) computeUser(user, vectors, this.deps.options, context);
      await storeUsers(
        batch,
        this.deps.users,
        (user) => this.reload(user),
        (user) => computeUser(user, this.vectors(), this.deps.options, context),
      );
      await this.markersOfLateDuplicates(batch);
      // The state as stored, for the next batch; a user whose store kept conflicting is read again then.
      for (const user of batch.users) {
        if (user.events.some((run) => run.error instanceof VersionConflictError)) this.cache.delete(user.userId);
        else this.cache.set(user.userId, user.state);
      }
      this.count(batch);
      await this.afterStore(batch);
    } catch (error) {
      // The whole batch comes back: what was stored is a duplicate then, completed by the stages.
      for (const user of batch.users) this.cache.delete(user.userId);
      return deliveries.map(() => ({ error }));
    }
    const results: EventResult[] = new Array(deliveries.length);
    for (const user of batch.users) {
      for (const run of user.events)
        results[run.index] =
          run.outcome === 'applied' ? APPLIED : run.outcome ? DUPLICATE : { error: run.error ?? new Error('event not applied') };
    }
    return results;
  }

  /**
   * One round trip: the state of every user the cache cannot serve (not cached, or with a
   * redelivered event), the markers of the redelivered events, and the visitors merges fold in.
   * A first delivery's marker is not read, as for a cached user: it can only exist when a client
   * reused the event id past the log's duplicate window, and then the store finds it (a duplicate,
   * its user's later events loaded again: storeUsers). Saves a GET per event in Redis and its key
   * and reply in the engine (~1-2 us per event of each, pipeline-micro).
   */
  private async load(batch: Batch, deliveries: ReadonlyArray<{ deliveryCount: number }>): Promise<void> {
    const toLoad: UserRun[] = [];
    const sources: string[] = [];
    for (const user of batch.users) {
      const cached = this.cache.get(user.userId);
      if (cached && !anyRedelivered(user, deliveries)) user.state = cached;
      else toLoad.push(user);
      for (const { event } of user.events) if (isMergeEvent(event)) sources.push(event.fromUserId);
    }
    if (toLoad.length === 0 && sources.length === 0) return;
    const loaded = await this.deps.users.loadMany(loadRequests(toLoad, sources, deliveries));
    for (let i = 0; i < toLoad.length; i++) {
      const user = toLoad[i]!;
      const { state, markers } = loaded[i]!;
      user.state = state;
      let m = 0;
      for (const run of user.events) run.marker = isRedelivered(run, deliveries) ? (markers[m++] ?? null) : null;
    }
    const sourceStates = new Map(sources.map((userId, i) => [userId, loaded[toLoad.length + i]!.state]));
    for (const user of batch.users) {
      for (const { event } of user.events)
        if (isMergeEvent(event)) user.mergeSources.set(event.fromUserId, sourceStates.get(event.fromUserId)!);
    }
  }

  /**
   * Duplicates the store found (an event id applied before, its marker not read because the user
   * came from the cache): their markers, so the stages can tell whether their batch completed.
   * Rare (a client reusing an id past the log's duplicate window): one round trip then.
   */
  private async markersOfLateDuplicates(batch: Batch): Promise<void> {
    const users = batch.users.filter((user) => user.events.some((run) => run.outcome === 'duplicate' && run.marker === null));
    if (users.length === 0) return;
    const loaded = await this.deps.users.loadMany(
      users.map((user) => ({ userId: user.userId, eventIds: user.events.map((run) => run.event.id) })),
    );
    users.forEach((user, i) => {
      user.events.forEach((run, m) => {
        if (run.outcome === 'duplicate' && run.marker === null) run.marker = loaded[i]!.markers[m] ?? null;
      });
    });
  }

  /** A user whose stored version moved under the batch (another writer): state loaded again. */
  private async reload(user: UserRun): Promise<void> {
    const [loaded] = await this.deps.users.loadMany([{ userId: user.userId, eventIds: user.events.map((run) => run.event.id) }]);
    user.state = loaded!.state;
    user.events.forEach((run, m) => {
      if (!run.outcome && !run.error) run.marker = loaded!.markers[m] ?? null;
    });
  }

  private async afterStore(batch: Batch): Promise<void> {
    const start = (): Array<Promise<void> | undefined> => this.stages.map((stage) => stage.afterStore?.(batch));
    const results = await Promise.allSettled(this.deps.coalesceWrites ? this.deps.coalesceWrites(start) : start());
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') return;
      const stage = this.stages[i]!;
      if (stage.critical) throw result.reason;
      this.deps.logger.error({ err: result.reason, stage: stage.name }, 'batch stage failed');
      this.deps.metrics.errors.inc({ code: `stage_${stage.name}` });
    });
  }

  /**
   * Counts the batch's outcomes: one counter increment per event type present, not per event
   * (a labelled inc hashes its labels, ~1 us and a string each).
   */
  private count(batch: Batch): void {
    const applied = new Map<string, number>();
    let duplicates = 0;
    for (const user of batch.users) {
      for (const run of user.events) {
        if (run.outcome === 'applied') applied.set(run.event.type, (applied.get(run.event.type) ?? 0) + 1);
        else if (run.outcome === 'duplicate') duplicates++;
      }
    }
    for (const [type, n] of applied) this.deps.metrics.eventsApplied.inc({ type }, n);
    if (duplicates > 0) this.deps.metrics.eventsDuplicate.inc(duplicates);
  }

  private vectors(): VectorLookup {
    const lookup = 'models' in this.deps ? vectorLookup(this.deps.models.current()) : this.deps.vectors;
    const textMatches = this.deps.textMatches;
    return textMatches && !lookup.textMatches ? { ...lookup, textMatches } : lookup;
  }
}

/** Outages (Redis or NATS unreachable, timeouts) pass, and so does waiting behind another event: retried, never dead-lettered for them. */
export function isTransient(error: unknown): boolean {
  if (error instanceof HeldBackError) return true;
  return error instanceof PulseError && (error.code === ErrorCodes.unavailable || error.code === ErrorCodes.timeout);
}

/** This process's batch tags (pipeline/batch-tags.ts). */
const BATCH_TAGS = new BatchTags();
/** The results of stored events, shared (read only): no result object per event. */
const APPLIED: EventResult = Object.freeze({ outcome: 'applied' });
const DUPLICATE: EventResult = Object.freeze({ outcome: 'duplicate' });
