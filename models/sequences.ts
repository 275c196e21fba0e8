/**
 * Interaction sequences for item2vec, from the event log. Pure, no I/O.
 *
 * Per user, events ordered by `ts` (ties keep input order) become:
 *   - sessions: split where two consecutive events are more than `sessionGapMs` apart;
 *   - a purchase history: every item the user bought, in time order, the items of one order
 *     adjacent, when the purchases span more than one session (else it repeats a session); the
 *     user's sessions made of purchases only are then left out (the history holds them).
 * The items of one basket (a purchase or cart event with several line items) form a *group*: their
 * order within an order is arbitrary, so the trainer shuffles each group every epoch and every item
 * meets different basket neighbours. Consecutive repeats of an item (view, then click, then
 * add_to_cart of it) count once. Sequences of fewer than `minLength` distinct positions are dropped:
 * a one-item session teaches skip-gram nothing.
 */

/** The fields of an event the sequence builder reads (a StoredEvent fits, so does a file line). */
export interface InteractionEvent {
  userId: string;
  type: string;
  /** Epoch ms; without it the event continues the user's current session. */
  ts?: number;
  itemId?: string;
  items?: ReadonlyArray<{ itemId: string }>;
  orderId?: string;
}

/** Event types that say the shopper wanted the item (dislike and remove_from_cart do not; search has a query). */
export const SEQUENCE_EVENT_TYPES: ReadonlySet<string> = new Set(['view', 'click', 'add_to_cart', 'purchase', 'like']);

export interface SequenceOptions {
  /** A gap longer than this between two events of a user starts a new session (ms). Default 30 min. */
  sessionGapMs?: number;
  /** Add each buyer's purchase history as one more sequence. Default true. */
  purchaseHistories?: boolean;
  /** Shortest sequence kept (positions). Default 2. */
  minLength?: number;
  /** Longest sequence kept: longer ones are cut into consecutive pieces (positions). Default 500. */
  maxLength?: number;
}

export interface Sequence {
  kind: 'session' | 'purchases';
  userId: string;
  /** Item ids in order. */
  items: string[];
  /**
   * Basket boundaries: group g is items[groupStarts[g] .. groupStarts[g+1]) (the last one runs to
   * the end). Single items are groups of one. Always starts with 0.
   */
  groupStarts: number[];
  /** Epoch ms of the first and last event (NaN when the events had no time). */
  from: number;
  to: number;
}

export interface SequenceStats {
  /** Events given. */
  events: number;
  /** Events of a sequence type with at least one item. */
  usedEvents: number;
  users: number;
  sessions: number;
  purchaseHistories: number;
  /** Sequences dropped as shorter than minLength. */
  tooShort: number;
  /** Sessions of purchases only, left out because the user's purchase history holds them. */
  coveredByHistory: number;
  /** Epoch ms of the first and last used event with a time (NaN when none). */
  from: number;
  to: number;
}

export interface SequenceSet {
  sequences: Sequence[];
  stats: SequenceStats;
}

export const DEFAULT_SESSION_GAP_MS = 30 * 60 * 1000;

interface Touch {
  ts: number | undefined;
  /** Input position, for a stable sort. */
  seq: number;
  items: string[];
  purchase: boolean;
}

/** Builds sessions and purchase histories (see the file comment). */
export function buildSequences(events: Iterable<InteractionEvent>, options: SequenceOptions = {}): SequenceSet {
  const gap = options.sessionGapMs ?? DEFAULT_SESSION_GAP_MS;
  const minLength = options.minLength ?? 2;
  const maxLength = options.maxLength ?? 500;
  if (!(gap > 0)) throw new RangeError(`sessionGapMs must be > 0, got ${gap}`);
  if (!Number.isInteger(minLength) || minLength < 1) throw new RangeError(`minLength must be an integer >= 1, got ${minLength}`);
  if (!Number.isInteger(maxLength) || maxLength < minLength)
    throw new RangeError(`maxLength must be an integer >= minLength, got ${maxLength}`);

  const byUser = new Map<string, Touch[]>();
  const stats: SequenceStats = {
    events: 0,
    usedEvents: 0,
    users: 0,
    sessions: 0,
    purchaseHistories: 0,
    tooShort: 0,
    coveredByHistory: 0,
    from: Number.NaN,
    to: Number.NaN,
  };
  for (const event of events) {
    const seq = stats.events++;
    if (!SEQUENCE_EVENT_TYPES.has(event.type)) continue;
    const items = touchedItems(event);
    if (items.length === 0) continue;
    stats.usedEvents++;
    const ts = typeof event.ts === 'number' && Number.isFinite(event.ts) ? event.ts : undefined;
    if (ts !== undefined) {
      if (!(ts >= stats.from)) stats.from = ts;
      if (!(ts <= stats.to)) stats.to = ts;
    }
    let touches = byUser.get(event.userId);
    if (!touches) byUser.set(event.userId, (touches = []));
    touches.push({ ts, seq, items, purchase: event.type === 'purchase' });
  }
  stats.users = byUser.size;

  const sequences: Sequence[] = [];
  const keep = (sequence: Sequence): void => {
    for (const piece of cut(sequence, maxLength)) {
      if (piece.items.length < minLength) stats.tooShort++;
      else {
        sequences.push(piece);
        if (piece.kind === 'session') stats.sessions++;
        else stats.purchaseHistories++;
      }
    }
  };
  for (const [userId, touches] of byUser) {
    // Untimed events keep their place after the timed event before them (sort key inherits its ts).
    let lastTs = Number.NEGATIVE_INFINITY;
    const keyed = touches.map((touch) => {
      if (touch.ts !== undefined) lastTs = touch.ts;
      return { touch, key: touch.ts ?? lastTs };
    });
    keyed.sort((a, b) => a.key - b.key || a.touch.seq - b.touch.seq);
    const sessions = splitSessions(
      keyed.map((k) => k.touch),
      gap,
    );
    const withHistory =
      options.purchaseHistories !== false && sessions.filter((session) => session.some((touch) => touch.purchase)).length > 1;
    for (const session of sessions) {
      // A session of purchases only is a stretch of the purchase history (same baskets, same
      // order): training on both would count its pairs twice.
      if (withHistory && session.every((touch) => touch.purchase)) {
        stats.coveredByHistory++;
        continue;
      }
      keep(toSequence('session', userId, session, false));
    }
    if (withHistory)
      keep(
        toSequence(
          'purchases',
          userId,
          keyed.map((k) => k.touch).filter((touch) => touch.purchase),
          true,
        ),
      );
  }
  return { sequences, stats };
}

function touchedItems(event: InteractionEvent): string[] {
  const items: string[] = [];
  const seen = new Set<string>();
  const add = (id: string | undefined): void => {
    if (typeof id === 'string' && id.length > 0 && !seen.has(id)) {
      seen.add(id);
      items.push(id);
    }
  };
  // A purchase names its basket in `items`; `itemId` on it (if any) is one of them or a hint.
  for (const line of event.items ?? []) add(line.itemId);
  add(event.itemId);
  return items;
}

function splitSessions(touches: Touch[], gap: number): Touch[][] {
  const sessions: Touch[][] = [];
  let current: Touch[] = [];
  let lastTs: number | undefined;
  for (const touch of touches) {
    if (current.length > 0 && touch.ts !== undefined && lastTs !== undefined && touch.ts - lastTs > gap) {
      sessions.push(current);
      current = [];
    }
    current.push(touch);
    if (touch.ts !== undefined) lastTs = touch.ts;
  }
  if (current.length > 0) sessions.push(current);
  return sessions;
}

function toSequence(kind: Sequence['kind'], userId: string, touches: Touch[], purchasesOnly: boolean): Sequence {
  const items: string[] = [];
  const groupStarts: number[] = [];
  let from = Number.NaN;
  let to = Number.NaN;
  for (const touch of touches) {
    if (purchasesOnly && !touch.purchase) continue;
    if (touch.ts !== undefined) {
      if (!(touch.ts >= from)) from = touch.ts;
      if (!(touch.ts <= to)) to = touch.ts;
    }
    const start = items.length;
    for (const id of touch.items) {
      // Consecutive repeats collapse: view -> click -> add_to_cart of one item is one position.
      if (items.length > 0 && items[items.length - 1] === id) continue;
      items.push(id);
    }
    // Every touch that added an item starts a group; a basket's group spans its line items.
    if (items.length > start) groupStarts.push(start);
  }
  return { kind, userId, items, groupStarts: groupStarts.length > 0 ? groupStarts : [0], from, to };
}

/** Pieces of at most maxLength positions, group boundaries kept (a group may be split at a cut). */
function cut(sequence: Sequence, maxLength: number): Sequence[] {
  if (sequence.items.length <= maxLength) return [sequence];
  const pieces: Sequence[] = [];
  for (let start = 0; start < sequence.items.length; start += maxLength) {
    const end = Math.min(sequence.items.length, start + maxLength);
    const starts = [0];
    for (const g of sequence.groupStarts) if (g > start && g < end) starts.push(g - start);
    pieces.push({ ...sequence, items: sequence.items.slice(start, end), groupStarts: starts });
  }
  return pieces;
}

/** Sequences as row indices into a vocabulary, for the trainer. */
export interface IndexedSequences {
  /** Row -> item id, most frequent first (ties by id, so the order is deterministic). */
  itemIds: string[];
  /** Row -> occurrences over all kept sequences. */
  counts: Float64Array;
  /** Per sequence: the rows, and its group starts (see Sequence.groupStarts). */
  sequences: Array<{ rows: Int32Array; groupStarts: Int32Array }>;
  /** Total positions over all sequences. */
  positions: number;
}

/**
 * Maps item ids to rows. Items seen fewer than `minCount` times are dropped from the sequences
 * (they get no learned row); sequences left shorter than 2 positions are dropped.
 */
export function indexSequences(sequences: readonly Sequence[], minCount = 1): IndexedSequences {
  const counts = new Map<string, number>();
  for (const sequence of sequences) for (const id of sequence.items) counts.set(id, (counts.get(id) ?? 0) + 1);
  const itemIds = [...counts]
    .filter(([, count]) => count >= minCount)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([id]) => id);
  const rowOf = new Map(itemIds.map((id, row) => [id, row]));
  const rowCounts = new Float64Array(itemIds.length);
  const out: IndexedSequences['sequences'] = [];
  let positions = 0;
  for (const sequence of sequences) {
    const rows: number[] = [];
    const starts: number[] = [];
    const groupEnds = new Set(sequence.groupStarts);
    for (let i = 0; i < sequence.items.length; i++) {
      const row = rowOf.get(sequence.items[i]!);
      if (groupEnds.has(i) || starts.length === 0) {
        if (starts[starts.length - 1] !== rows.length) starts.push(rows.length);
      }
      if (row === undefined) continue;
      if (rows.length > 0 && rows[rows.length - 1] === row) continue;
      rows.push(row);
    }
    // A group start that ended up past the last row (its items were dropped) is no group.
    while (starts.length > 1 && starts[starts.length - 1]! >= rows.length) starts.pop();
    if (rows.length < 2) continue;
    for (const row of rows) rowCounts[row]! += 1;
    positions += rows.length;
    out.push({ rows: Int32Array.from(rows), groupStarts: Int32Array.from(starts.length > 0 ? starts : [0]) });
  }
  return { itemIds, counts: rowCounts, sequences: out, positions };
}
