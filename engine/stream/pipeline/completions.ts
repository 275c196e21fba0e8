import { UNTAGGED_MARKER } from '../../shoppers/user-state-store.js';
import type { Batch, EventRun, UserRun } from './batch.js';

/**
 * Duplicates of this batch whose shop-wide share may never have been written: their marker names
 * a batch whose aggregate write is not recorded (the engine stopped between storing the user
 * states and the aggregates), or was written outside a batch. A stage completes each under its
 * own event key (idempotent): the normal path never gets here.
 * `wasRecorded` is asked once per distinct batch tag.
 */
export async function completions(
  batch: Batch,
  wasRecorded: (tag: string) => Promise<boolean>,
): Promise<Array<{ user: UserRun; run: EventRun }>> {
  const candidates: Array<{ user: UserRun; run: EventRun; tag: string }> = [];
  for (const user of batch.users) {
    for (const run of user.events) if (run.outcome === 'duplicate' && run.marker !== null) candidates.push({ user, run, tag: run.marker });
  }
  if (candidates.length === 0) return [];
  const tags = [...new Set(candidates.map((c) => c.tag).filter((tag) => tag !== UNTAGGED_MARKER))];
  const recorded = new Map(await Promise.all(tags.map(async (tag) => [tag, await wasRecorded(tag)] as const)));
  return candidates.filter(({ tag }) => tag === UNTAGGED_MARKER || recorded.get(tag) === false).map(({ user, run }) => ({ user, run }));
}
