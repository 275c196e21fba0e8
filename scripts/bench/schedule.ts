/**
 * Open-loop send schedule for the load generator: every socket sends at `ratePerSecond / sockets`
 * on average, on its own clock, whether or not earlier events were answered (a closed loop would
 * slow down with the server and hide its latency). Gaps are jittered uniformly in
 * [1 - jitter, 1 + jitter] times the mean gap, so sockets do not fire in lockstep; the first send
 * of each socket is spread uniformly over one mean gap. Times are milliseconds on the caller's clock.
 */

export interface OpenLoopScheduleOptions {
  sockets: number;
  /** Total events per second over all sockets. */
  ratePerSecond: number;
  /** Relative jitter of each gap, in [0, 1). 0 = perfectly periodic. Default 0.5. */
  jitter?: number;
  /** When the schedule starts (ms). */
  startMs: number;
  /** Uniform [0, 1) source; seeded in tests and runs. */
  random: () => number;
}

export interface Send {
  socket: number;
  /** When this send was due (ms); the caller measures its own lag against it. */
  dueMs: number;
}

/** Sockets by next due time: a binary min-heap over two parallel arrays. */
export class OpenLoopSchedule {
  readonly meanGapMs: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private readonly heapSocket: Int32Array;
  private readonly heapDue: Float64Array;

  constructor(options: OpenLoopScheduleOptions) {
    const { sockets, ratePerSecond } = options;
    if (!Number.isInteger(sockets) || sockets < 1) throw new RangeError(`sockets must be a positive integer, got ${sockets}`);
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond))
      throw new RangeError(`ratePerSecond must be a positive number, got ${ratePerSecond}`);
    const jitter = options.jitter ?? 0.5;
    if (!(jitter >= 0 && jitter < 1)) throw new RangeError(`jitter must be in [0, 1), got ${jitter}`);
    this.jitter = jitter;
    this.random = options.random;
    this.meanGapMs = (1000 * sockets) / ratePerSecond;
    this.heapSocket = new Int32Array(sockets);
    this.heapDue = new Float64Array(sockets);
    const firsts = Array.from({ length: sockets }, (_, socket) => ({ socket, due: options.startMs + this.random() * this.meanGapMs }));
    firsts.sort((a, b) => a.due - b.due);
    // A sorted array is a valid min-heap.
    firsts.forEach(({ socket, due }, i) => {
      this.heapSocket[i] = socket;
      this.heapDue[i] = due;
    });
  }

  /** When the next send is due (ms). */
  get nextDueMs(): number {
    return this.heapDue[0]!;
  }

  /**
   * Every send due at or before `nowMs`, in due order, each socket rescheduled after it. A caller
   * that fell behind gets the whole backlog (open loop: late sends are sent, not dropped), up to
   * `limit` per call so one call stays short.
   */
  takeDue(nowMs: number, limit = Number.POSITIVE_INFINITY): Send[] {
    const out: Send[] = [];
    while (out.length < limit && this.heapDue[0]! <= nowMs) {
      const socket = this.heapSocket[0]!;
      const dueMs = this.heapDue[0]!;
      out.push({ socket, dueMs });
      this.heapDue[0] = dueMs + this.nextGapMs();
      this.siftDown(0);
    }
    return out;
  }

  private nextGapMs(): number {
    return this.meanGapMs * (1 - this.jitter + 2 * this.jitter * this.random());
  }

  private siftDown(start: number): void {
    const n = this.heapDue.length;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < n && this.heapDue[left]! < this.heapDue[smallest]!) smallest = left;
      if (right < n && this.heapDue[right]! < this.heapDue[smallest]!) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const socket = this.heapSocket[a]!;
    const due = this.heapDue[a]!;
    this.heapSocket[a] = this.heapSocket[b]!;
    this.heapDue[a] = this.heapDue[b]!;
    this.heapSocket[b] = socket;
    this.heapDue[b] = due;
  }
}

/** The event a socket sends next: mostly views, some clicks and add-to-carts (shares in [0, 1]). */
export type TrackType = 'view' | 'click' | 'add_to_cart';

export const EVENT_MIX: ReadonlyArray<readonly [TrackType, number]> = [
  ['view', 0.8],
  ['click', 0.12],
  ['add_to_cart', 0.08],
];

/** Picks a type from EVENT_MIX with a uniform [0, 1) draw. */
export function pickEventType(u: number): TrackType {
  let rest = u;
  for (const [type, share] of EVENT_MIX) {
    if (rest < share) return type;
    rest -= share;
  }
  return 'view';
}
