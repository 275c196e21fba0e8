import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import { isMergeEvent } from '../../contracts/schemas.js';
import { isOrderEvent } from '../../contracts/orders.js';
import { orderAmountFromLines, orderEffect } from '../../members/order-effect.js';
import { eventEffect, type EffectContext, type EffectOptions, type VectorLookup } from '../../shoppers/logic/event-effect.js';
import { mergeEffect } from '../../shoppers/logic/merge-effect.js';
import type { UserChange, UserStateStore } from '../../shoppers/user-state-store.js';
import type { Batch, EventRun, UserRun } from './batch.js';

/**
 * The failure of an event that was not tried because an earlier event of its user failed: it
 * comes back with that one (per-user order), and is never dead-lettered for it.
 */
export class HeldBackError extends Error {
  override name = 'HeldBackError';
  constructor(eventId: string, cause: unknown) {
    super(`event ${eventId} held back behind an earlier failed event of its user`, { cause });
  }
}

/** Another writer kept moving the user's version while this batch tried to store (transient: retried). */
export class VersionConflictError extends PulseError {
  override name = 'VersionConflictError';
  constructor(userId: string, attempts: number) {
    super(ErrorCodes.unavailable, `user ${userId}: version conflict persisted over ${attempts} attempts`);
  }
}

/** Version conflicts mean another writer touched the user between load and store; retried a few times. */
const MAX_CONFLICT_RETRIES = 5;

/**
 * The compute stage for one user (pure): folds the user's events not yet decided, in order, from
 * `user.state`. An event applied before (its marker is set) is a duplicate and moves nothing; an
 * event a prepare stage failed, or whose effect throws, fails with every later event of the user
 * (they are handed back together, keeping the order). Cost: one eventEffect per event (~5-10 us).
 */
export function computeUser(
  user: UserRun,
  vectors: VectorLookup,
  options: EffectOptions,
  context: Omit<EffectContext, 'recordTier'>,
): void {
  let state = user.state;
  let failure: { error: unknown } | undefined;
  for (const run of user.events) {
    if (run.outcome) continue;
    if (failure) {
      run.error = new HeldBackError(run.event.id, failure.error);
      delete run.effect;
      continue;
    }
    if (run.error !== undefined) {
      failure = { error: run.error };
      delete run.effect;
      continue;
    }
    const { event } = run;
    if (run.marker !== null) {
      run.outcome = 'duplicate';
      // Only its shop-wide update is used (to complete a stopped batch's aggregates); best effort.
      if (!isMergeEvent(event) && !isOrderEvent(event)) {
        try {
          run.effect = eventEffect(state, event, vectors, options, context);
        } catch {
          delete run.effect;
        }
      }
      continue;
    }
    try {
      if (isMergeEvent(event)) {
        run.effect = mergeEffect(state, user.mergeSources.get(event.fromUserId)!, event, vectors, options);
      } else if (isOrderEvent(event)) {
        run.effect = orderEffect(state, event, run.order?.amount ?? orderAmountFromLines(event), run.credit?.member?.tier);
      } else {
        const recordTier = run.credit?.member?.tier;
        run.effect = eventEffect(state, event, vectors, options, recordTier ? { ...context, recordTier } : context);
      }
      state = run.effect.next;
    } catch (error) {
      failure = { error };
      run.error = error;
      delete run.effect;
    }
  }
}

/**
 * The store stage: every computed change of the batch, with its marker tagged by the batch, in
 * one round trip; users whose stored version moved meanwhile (another writer) are loaded and
 * computed again, on their own, a few times at most. Sets each event's outcome and each user's
 * state to the state after its last applied event.
 */
export async function storeUsers(
  batch: Batch,
  store: UserStateStore,
  reload: (user: UserRun) => Promise<void>,
  recompute: (user: UserRun) => void,
): Promise<void> {
  let pending = batch.users;
  for (let attempt = 0; pending.length > 0; attempt++) {
    // Parallel arrays (change i is runs[i] of users[i]): no pair object per event.
    const changes: UserChange[] = [];
    const users: UserRun[] = [];
    const runs: EventRun[] = [];
    for (const user of pending) {
      for (const run of user.events) {
        if (run.outcome || run.error !== undefined || !run.effect) continue;
        changes.push({ userId: user.userId, change: run.effect.change });
        users.push(user);
        runs.push(run);
      }
    }
    const outcomes = await store.applyMany(changes, batch.tag);
    const conflicted = new Set<UserRun>();
    for (let i = 0; i < runs.length; i++) {
      const user = users[i]!;
      if (conflicted.has(user)) continue;
      const outcome = outcomes[i]!;
      if (outcome === 'conflict') {
        conflicted.add(user);
        continue;
      }
      const run = runs[i]!;
      run.outcome = outcome;
      if (outcome === 'applied') user.state = run.effect!.next;
      else {
        // Applied by another writer since the load: what follows was computed on a stale state.
        delete run.effect;
        conflicted.add(user);
      }
    }
    pending = [...conflicted];
    if (pending.length === 0) return;
    if (attempt >= MAX_CONFLICT_RETRIES) {
      for (const user of pending) {
        for (const run of user.events)
          if (!run.outcome && run.error === undefined) run.error = new VersionConflictError(user.userId, attempt + 1);
      }
      return;
    }
    for (const user of pending) {
      for (const run of user.events) if (!run.outcome) delete run.effect;
      await reload(user);
      recompute(user);
    }
  }
}
