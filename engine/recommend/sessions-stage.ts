import { isMergeEvent } from '../contracts/schemas.js';
import { isOrderEvent } from '../contracts/orders.js';
import { touchedItems } from '../shoppers/logic/event-effect.js';
import type { SessionIndex } from './logic/session-neighbours.js';
import type { RecentInteraction } from '../shoppers/user-state-store.js';
import type { ListEvidence } from './list-evidence.js';
import type { Batch } from '../stream/pipeline/batch.js';
import type { BatchStage } from '../stream/pipeline/stage.js';

/** Event types that put their items into the shopper's session ("sessions like yours"). */
const SESSION_TYPES: ReadonlySet<string> = new Set(['view', 'click', 'add_to_cart', 'like', 'purchase']);

/**
 * What shoppers' sessions say, learned from every applied event in memory: the shop's recent
 * sessions for "sessions like yours" (SessionIndex), and where each shopper's next item was among
 * their recent items and in the fresh ranking last made for them (ListEvidence, logic/revisits.ts). `prepare` keeps each user's recent items as loaded;
 * `afterStore` walks the applied events in order, each judged on the recent items just before it.
 * It must run before the push stage makes the next list (the processor starts the after-store
 * stages in order and this one does its work without awaiting). No I/O; O(20) per item event.
 */
export class SessionsStage implements BatchStage {
  readonly name = 'sessions';
  private readonly loaded = new WeakMap<Batch, Map<string, readonly RecentInteraction[]>>();

  constructor(private readonly deps: { evidence?: ListEvidence; sessions?: SessionIndex }) {}

  prepare(batch: Batch): Promise<void> {
    if (!this.deps.evidence) return Promise.resolve();
    const recent = new Map<string, readonly RecentInteraction[]>();
    for (const user of batch.users) recent.set(user.userId, user.state.recent);
    this.loaded.set(batch, recent);
    return Promise.resolve();
  }

  afterStore(batch: Batch): Promise<void> {
    const { evidence, sessions } = this.deps;
    const loaded = this.loaded.get(batch);
    this.loaded.delete(batch);
    for (const user of batch.users) {
      let before = loaded?.get(user.userId);
      for (const run of user.events) {
        if (run.outcome !== 'applied') continue;
        const { event } = run;
        if (isMergeEvent(event)) {
          sessions?.drop(event.fromUserId);
        } else if (!isOrderEvent(event)) {
          // The event's items, read once for both the session index and the evidence.
          const items = touchedItems(event);
          if (SESSION_TYPES.has(event.type)) sessions?.add(user.userId, items, event.ts);
          if (run.effect && before && evidence) evidence.observeItems(user.userId, event.type, items, event.ts, before);
        }
        if (run.effect) before = run.effect.next.recent;
      }
    }
    return Promise.resolve();
  }
}
