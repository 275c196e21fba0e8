/**
 * Which sent events a `recommendations` push answers. Each socket is one shopper, and the engine
 * may rank once for several events of a user (a batch): its push then carries the last of them as
 * `cause`. So a push answers the event it names and every earlier unanswered event of the same
 * socket; each event is answered once, by the first push that covers it. Pure: times are given.
 */

/** What is known about one sent event. Times are the caller's clock (ms); 0 = not (yet) happened. */
export interface SentEvent {
  socket: number;
  /** Position among this socket's sends (0 = its first). */
  index: number;
  sentAt: number;
  ackAt: number;
  /** When the push that answered it arrived. */
  pushAt: number;
  /** Answered by a push whose cause is a later event of the same socket. */
  byLater: boolean;
  failed: boolean;
  /** Sent inside the measured window (not during warmup). */
  measured: boolean;
}

export type PushOutcome = 'answered' | 'repeat' | 'unmatched';

export class AnswerBook {
  private readonly byId = new Map<string, SentEvent>();
  private readonly perSocket: SentEvent[][];
  /** Per socket, the index of its first event not yet answered. */
  private readonly firstOpen: number[];
  /** Pushes naming an event of another socket, an unknown id, or none. */
  unmatched = 0;
  /** Pushes naming an event already answered (by itself or a later push). */
  repeats = 0;

  constructor(sockets: number) {
    this.perSocket = Array.from({ length: sockets }, () => []);
    this.firstOpen = new Array<number>(sockets).fill(0);
  }

  /** Records a send; `id` must be unique within the run. */
  add(id: string, socket: number, sentAt: number, measured: boolean): SentEvent {
    const list = this.perSocket[socket]!;
    const event: SentEvent = { socket, index: list.length, sentAt, ackAt: 0, pushAt: 0, byLater: false, failed: false, measured };
    list.push(event);
    this.byId.set(id, event);
    return event;
  }

  /** A push received on `socket` at `now` naming `cause`. */
  onPush(socket: number, cause: string | undefined, now: number): PushOutcome {
    const named = cause === undefined ? undefined : this.byId.get(cause);
    if (!named || named.socket !== socket) {
      this.unmatched++;
      return 'unmatched';
    }
    const from = this.firstOpen[socket]!;
    if (named.index < from) {
      this.repeats++;
      return 'repeat';
    }
    const list = this.perSocket[socket]!;
    for (let i = from; i <= named.index; i++) {
      const event = list[i]!;
      event.pushAt = now;
      event.byLater = event !== named;
    }
    this.firstOpen[socket] = named.index + 1;
    return 'answered';
  }

  /** Every event sent, in no particular order. */
  events(): IterableIterator<SentEvent> {
    return this.byId.values();
  }
}
