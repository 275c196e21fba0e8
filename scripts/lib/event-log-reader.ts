import { DeliverPolicy, jetstream, jetstreamManager, JetStreamApiCodes, JetStreamApiError, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { decodeCatalogChange } from '../../engine/catalog/mod.js';
import { EventInputSchema, IdSchema, ItemSchema, type Item } from '../../engine/contracts/schemas.js';
import { parseLoggedEvent } from '../../engine/contracts/orders.js';
import { CATALOG_STREAM, EVENTS_STREAM, fromSubjectToken, subjects } from '../../engine/contracts/subjects.js';
import type { InteractionEvent } from '../../models/sequences.js';
import { openLines } from './jsonl.js';

/**
 * Where `npm run train` gets its data: the JetStream EVENTS stream (every message up to its last
 * sequence when reading starts, through an ordered consumer: ephemeral, no acks, recreated by the
 * client on gaps), the CATALOG stream (latest change per item), or files.
 * Events are kept in the compact form the sequence builder reads (InteractionEvent).
 */

export interface ReadEventsResult {
  events: InteractionEvent[];
  /** Messages or lines read. */
  read: number;
  /** Ones that did not decode, lacked what training needs (user, item) or were impressions (no interaction), by reason. */
  skipped: Record<string, number>;
}

export interface ReadProgress {
  /** Messages or lines read so far. */
  read: number;
  /** Expected total (messages), when known. */
  total?: number;
  /** Fraction done in [0, 1], when known (bytes of a file). */
  fraction?: number;
}

export interface ReadOptions {
  /** Called every 1,000 messages or lines. */
  onProgress?: (progress: ReadProgress) => void;
  signal?: AbortSignal;
}

/** Messages per pull: large, so reading a big log takes few round trips. */
const PULL_SIZE = 2048;

/** Every event in EVENTS up to its last sequence at call time. An absent stream reads as empty. */
export async function readEventLog(nc: NatsConnection, options: ReadOptions = {}): Promise<ReadEventsResult> {
  const result: ReadEventsResult = { events: [], read: 0, skipped: {} };
  await readStream(nc, EVENTS_STREAM, subjects.eventsAll, options, (msg) => {
    result.read++;
    let stored;
    try {
      stored = parseLoggedEvent(JSON.parse(msg.string()));
    } catch {
      count(result.skipped, 'undecodable');
      return;
    }
    // Cards shown are no interaction: training never learns from them.
    if (stored.type === 'impression') {
      count(result.skipped, 'impression');
      return;
    }
    const event = compact(stored);
    if (event) result.events.push(event);
    else count(result.skipped, 'no_item');
  });
  return result;
}

/** The catalog as CATALOG holds it now: the latest upsert per item, deleted items left out. */
export async function readCatalog(nc: NatsConnection, options: ReadOptions = {}): Promise<Item[]> {
  const items = new Map<string, Item>();
  const prefix = subjects.catalogAll.slice(0, -1);
  await readStream(nc, CATALOG_STREAM, subjects.catalogAll, options, (msg) => {
    const change = decodeCatalogChange(msg.string(), fromSubjectToken(msg.subject.slice(prefix.length)));
    if (change?.type === 'upsert') items.set(change.item.itemId, change.item);
    else if (change?.type === 'delete') items.delete(change.itemId);
  });
  return [...items.values()];
}

async function readStream(
  nc: NatsConnection,
  stream: string,
  filter: string,
  options: ReadOptions,
  onMessage: (msg: JsMsg) => void,
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  let lastSeq: number;
  let total: number;
  try {
    const { state } = await jsm.streams.info(stream);
    lastSeq = state.messages === 0 ? 0 : state.last_seq;
    total = state.messages;
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return;
    throw err;
  }
  if (lastSeq === 0) return;
  const consumer = await jetstream(nc).consumers.get(stream, { deliver_policy: DeliverPolicy.All, filter_subjects: filter });
  const messages = await consumer.consume({ max_messages: PULL_SIZE });
  const stop = (): void => void messages.stop();
  options.signal?.addEventListener('abort', stop, { once: true });
  let read = 0;
  try {
    for await (const msg of messages) {
      onMessage(msg);
      read++;
      if (read % 1000 === 0) options.onProgress?.({ read, total });
      // pending 0: nothing older left (messages past lastSeq are newer than the read's start).
      if (msg.seq >= lastSeq || msg.info.pending === 0) break;
    }
  } finally {
    options.signal?.removeEventListener('abort', stop);
    messages.stop();
    await consumer.delete().catch(() => undefined);
  }
  if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
  options.onProgress?.({ read, total });
}

/**
 * Events from a file:
 *   - `*.jsonl` / `*.jsonl.gz`: one Event per line (as `npm run import`), with `userId` (lines
 *     without one are skipped: they belong to nobody) and ideally `ts`; `id` is not needed;
 *   - `*.tsv` / `*.tsv.gz`: the YooChoose click format `SessionId<TAB>ItemId<TAB>Time` with a
 *     header line, Time in epoch seconds; every click is a `view` by the session as its user.
 */
export async function readEventFile(path: string, options: ReadOptions = {}): Promise<ReadEventsResult> {
  const tsv = /\.tsv(\.gz)?$/i.test(path);
  const source = await openLines(path);
  const result: ReadEventsResult = { events: [], read: 0, skipped: {} };
  try {
    for await (const line of source.lines) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
      result.read++;
      if (result.read % 1000 === 0) options.onProgress?.({ read: result.read, fraction: source.fraction() });
      if (line.trim() === '') continue;
      const event = tsv ? parseClickLine(line, result.read) : parseEventLine(line, result.skipped);
      if (event === 'header') continue;
      if (event) result.events.push(event);
      else if (tsv) count(result.skipped, 'bad_line');
    }
  } finally {
    source.close();
  }
  options.onProgress?.({ read: result.read, fraction: 1 });
  return result;
}

/** Items from a JSON Lines file (as `npm run import -- --items`); invalid lines are counted and skipped. */
export async function readItemFile(path: string): Promise<{ items: Item[]; rejected: number }> {
  const source = await openLines(path);
  const items = new Map<string, Item>();
  let rejected = 0;
  try {
    for await (const line of source.lines) {
      if (line.trim() === '') continue;
      let parsed;
      try {
        parsed = ItemSchema.safeParse(JSON.parse(line));
      } catch {
        rejected++;
        continue;
      }
      if (parsed.success) items.set(parsed.data.itemId, parsed.data);
      else rejected++;
    }
  } finally {
    source.close();
  }
  return { items: [...items.values()], rejected };
}

function parseEventLine(line: string, skipped: Record<string, number>): InteractionEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    count(skipped, 'invalid_json');
    return undefined;
  }
  const parsed = EventInputSchema.safeParse(value);
  if (!parsed.success) {
    count(skipped, 'invalid_event');
    return undefined;
  }
  if (parsed.data.userId === undefined) {
    count(skipped, 'no_user');
    return undefined;
  }
  if (parsed.data.type === 'impression') {
    count(skipped, 'impression');
    return undefined;
  }
  const event = compact({ ...parsed.data, userId: parsed.data.userId });
  if (!event) count(skipped, 'no_item');
  return event;
}

function parseClickLine(line: string, lineNumber: number): InteractionEvent | 'header' | undefined {
  const [session, item, time] = line.split('\t');
  if (lineNumber === 1 && !/^\d/.test(time ?? '')) return 'header';
  const seconds = Number(time);
  const userId = `s${session?.trim() ?? ''}`;
  const itemId = item?.trim() ?? '';
  if (!Number.isFinite(seconds) || seconds <= 0 || !IdSchema.safeParse(userId).success || !IdSchema.safeParse(itemId).success)
    return undefined;
  return { userId, type: 'view', itemId, ts: Math.round(seconds * 1000) };
}

/** The fields training reads; undefined when the event names no item. */
function compact(event: {
  userId: string;
  type: string;
  ts?: number;
  itemId?: string;
  items?: ReadonlyArray<{ itemId: string }>;
  orderId?: string;
}): InteractionEvent | undefined {
  const items = event.items?.map((line) => ({ itemId: line.itemId }));
  if (event.itemId === undefined && (items === undefined || items.length === 0)) return undefined;
  return {
    userId: event.userId,
    type: event.type,
    ...(event.ts !== undefined ? { ts: event.ts } : {}),
    ...(event.itemId !== undefined ? { itemId: event.itemId } : {}),
    ...(items !== undefined ? { items } : {}),
    ...(event.orderId !== undefined ? { orderId: event.orderId } : {}),
  };
}

function count(tally: Record<string, number>, reason: string): void {
  tally[reason] = (tally[reason] ?? 0) + 1;
}
