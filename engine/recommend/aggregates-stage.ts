import { eventMessageId } from '../contracts/subjects.js';
import type { InteractionStats, InteractionUpdate } from './interaction-stats.js';
import type { Batch } from '../stream/pipeline/batch.js';
import { completions } from '../stream/pipeline/completions.js';
import type { BatchStage } from '../stream/pipeline/stage.js';

/**
 * Popularity, co-visitation, co-purchase and bought-after: every applied event's update folded in
 * memory and written once per batch (one script, idempotent by the batch tag). Duplicates whose
 * batch never wrote its aggregates (the engine stopped between storing the states and this
 * write) are completed one by one under their own event key. Cost: the fold (~0.2-0.5 us per
 * pair) and one EVALSHA per batch.
 */
export class AggregatesStage implements BatchStage {
  readonly name = 'aggregates';
  readonly critical = true;

  constructor(private readonly stats: InteractionStats) {}

  async afterStore(batch: Batch): Promise<void> {
    const updates: InteractionUpdate[] = [];
    for (const user of batch.users) {
      for (const run of user.events) if (run.outcome === 'applied' && run.effect?.stats) updates.push(run.effect.stats);
    }
    // The batch's write starts at once (with the other stages' in one write: EventProcessor.afterStore).
    await Promise.all([
      updates.length > 0 ? this.stats.recordMany(batch.tag, updates) : undefined,
      completions(batch, (tag) => this.stats.wasRecorded(tag)).then((late) =>
        Promise.all(
          late.map(({ run }) =>
            run.effect?.stats ? this.stats.record(eventMessageId(run.event.userId, run.event.id), run.effect.stats) : undefined,
          ),
        ),
      ),
    ]);
  }
}
