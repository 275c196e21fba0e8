import { isMergeEvent } from '../../contracts/schemas.js';
import type { ShopperIndex } from '../shopper-index.js';
import type { Batch } from './batch.js';
import type { BatchStage } from './stage.js';

/**
 * "Shoppers like you": each user's vector and newest items go into the in-memory shopper index
 * once per batch, from the state after the batch (an HNSW update costs ~0.25-0.5 ms, skipped when
 * the vector barely moved: see ShopperIndex). A merged visitor leaves the index. No I/O.
 */
export class ShoppersStage implements BatchStage {
  readonly name = 'shoppers';

  constructor(private readonly shoppers: ShopperIndex) {}

  async afterStore(batch: Batch): Promise<void> {
    for (const user of batch.users) {
      let applied = false;
      for (const run of user.events) {
        if (run.outcome !== 'applied') continue;
        applied = true;
        if (isMergeEvent(run.event)) this.shoppers.drop(run.event.fromUserId);
      }
      if (applied) this.shoppers.update(user.userId, user.state);
    }
  }
}
