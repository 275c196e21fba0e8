import type { Batch } from './batch.js';

/**
 * How a domain (points, aggregates, analytics, shoppers like you, campaign triggers, the push)
 * joins the batched event path. The processor runs, per partition batch:
 *
 *   load     one pipelined round trip: every user's state and the batch's dedupe markers
 *   prepare  each stage's `prepare`, all at once: reads or writes the effects depend on
 *   compute  pure: each user's events folded in order (event-effect.ts)
 *   store    one pipelined round trip: every change with its marker (tagged with the batch)
 *   after    each stage's `afterStore`, all at once: shop-wide writes once per batch
 *            (idempotent by the batch tag), in-memory updates, triggers, the push
 *   ack      every stored event; failed ones are handed back or dead-lettered
 *
 * A stage adds no Redis round trip per event: it works on the whole batch, and what it writes it
 * writes once per batch. A stage that fails rejects: `critical` stages (whose writes must happen
 * once per event: aggregates, analytics) make the batch's events come back (their redelivery is
 * a duplicate whose share the stage completes then); the others are logged and counted.
 */
export interface BatchStage {
  /** For logs and metrics. */
  readonly name: string;
  /** A failure hands the batch's events back for redelivery (default false: logged only). */
  readonly critical?: boolean;
  /**
   * Before the effects are computed, with the loaded states; may set `EventRun.credit` (points).
   * An event it cannot serve gets `EventRun.error`: that event and the user's later ones fail
   * (handed back or dead-lettered); a rejection fails the whole batch.
   */
  prepare?(batch: Batch): Promise<void>;
  /** After the effects are stored: events carry `outcome`, users their state after the batch. */
  afterStore?(batch: Batch): Promise<void>;
}
