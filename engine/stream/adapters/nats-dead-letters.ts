import { JetStreamApiError, type JetStreamClient, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { headers, type MsgHdrs } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import { parseLoggedEvent } from '../../contracts/orders.js';
import { DEADLETTERS_STREAM, partitionOf, subjects } from '../../contracts/subjects.js';
import type { DeadLetter, DeadLetterPage, DeadLetters } from '../dead-letters.js';
import { MAX_DEAD_LETTERS_PAGE } from '../dead-letters.js';
import type { DeadLetterFailure } from '../event-log.js';

/** Headers of a DEADLETTERS message; its payload is the EVENTS payload, byte for byte. */
export const DEAD_LETTER_HEADERS = {
  code: 'Pulse-Failure-Code',
  message: 'Pulse-Failure-Message',
  attempts: 'Pulse-Attempts',
  partition: 'Pulse-Partition',
  originalSeq: 'Pulse-Original-Seq',
  /** Epoch ms. */
  failedAt: 'Pulse-Failed-At',
} as const;

/** Longest failure message kept (characters); the rest is cut (a stack has no place here). */
const MAX_FAILURE_MESSAGE = 1000;
const MAX_FAILURE_CODE = 64;

/** A failure as stored: one line each (header values cannot hold CR/LF), bounded, attempts >= 1. */
export function cleanFailure(failure: DeadLetterFailure): DeadLetterFailure {
  const line = (text: unknown, max: number) =>
    String(text)
      .replace(/[\x00-\x1f\x7f]+/g, ' ')
      .trim()
      .slice(0, max);
  const attempts = Number.isSafeInteger(failure.attempts) && failure.attempts > 0 ? failure.attempts : 1;
  return {
    code: line(failure.code, MAX_FAILURE_CODE) || ErrorCodes.internal,
    message: line(failure.message, MAX_FAILURE_MESSAGE),
    attempts,
  };
}

/** The store's sequence behind a dead-letter id, or undefined when the id names none (not_found). */
export function deadLetterSeq(id: string): number | undefined {
  if (!/^[1-9][0-9]{0,15}$/.test(id)) return undefined;
  const seq = Number(id);
  return Number.isSafeInteger(seq) ? seq : undefined;
}

export function deadLetterNotFound(id: string): PulseError {
  return new PulseError(ErrorCodes.notFound, `no dead letter "${id}"`);
}

/** Checks a `list` page; returns the sequence bound (exclusive) of `before`, Infinity without it. */
export function checkDeadLetterPage(page: { limit: number; before?: string }): number {
  if (!Number.isInteger(page.limit) || page.limit < 1 || page.limit > MAX_DEAD_LETTERS_PAGE) {
    throw new PulseError(ErrorCodes.invalidRequest, `limit must be an integer in 1..${MAX_DEAD_LETTERS_PAGE}, got ${page.limit}`);
  }
  if (page.before === undefined) return Infinity;
  const before = deadLetterSeq(page.before);
  if (before === undefined) throw new PulseError(ErrorCodes.invalidRequest, `before must be a dead-letter id, got "${page.before}"`);
  return before;
}

/** The stored payload as JSON (a LoggedEvent normally), or the text itself when it is no JSON. */
export function decodeDeadPayload(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Where and under which JetStream message id a replay re-appends a payload: the user's partition
 * today, a message id the duplicate window will not confuse with the original append
 * (`userId/eventId`) but that repeats for a retried replay of the same dead letter.
 */
export function replayTarget(
  seq: number,
  payload: string,
  fallbackPartition: number,
  partitions: number,
): { partition: number; msgId: string } {
  let event: { userId: string; id: string } | undefined;
  try {
    event = parseLoggedEvent(JSON.parse(payload));
  } catch {
    event = undefined;
  }
  if (!event) return { partition: Math.min(fallbackPartition, partitions - 1), msgId: `replay/${seq}` };
  return { partition: partitionOf(event.userId, partitions), msgId: `replay/${seq}/${event.userId}/${event.id}` };
}

export interface StoreDeadLetterArgs {
  payload: Uint8Array;
  partition: number;
  originalSeq: number;
  failure: DeadLetterFailure;
  timeoutMs: number;
}

/**
 * Stores one dead letter (used by NatsEventLog.deadLetter) and resolves once DEADLETTERS has it.
 * Its message id is `dead/<original seq>`: a second dead-lettering of the same delivery (an ack
 * lost after the store) is dropped as a duplicate. Rejects with PulseError `unavailable`.
 */
export async function storeDeadLetter(js: JetStreamClient, args: StoreDeadLetterArgs): Promise<void> {
  const failure = cleanFailure(args.failure);
  const h = headers();
  h.set(DEAD_LETTER_HEADERS.code, failure.code);
  h.set(DEAD_LETTER_HEADERS.message, failure.message);
  h.set(DEAD_LETTER_HEADERS.attempts, String(failure.attempts));
  h.set(DEAD_LETTER_HEADERS.partition, String(args.partition));
  h.set(DEAD_LETTER_HEADERS.originalSeq, String(args.originalSeq));
  h.set(DEAD_LETTER_HEADERS.failedAt, String(Date.now()));
  try {
    await js.publish(subjects.deadLetters(args.partition), args.payload, {
      msgID: `dead/${args.originalSeq}`,
      headers: h,
      timeout: args.timeoutMs,
    });
  } catch (err) {
    throw new PulseError(ErrorCodes.unavailable, 'dead-letter store unavailable', undefined, { cause: err });
  }
}

/** A header as a non-negative integer, or `fallback`. */
function intHeader(h: MsgHdrs | undefined, name: string, fallback: number): number {
  const value = Number(h?.get(name));
  return Number.isSafeInteger(value) && value >= 0 && h?.get(name) !== '' ? value : fallback;
}

function toDeadLetter(msg: StoredMsg): DeadLetter {
  const h = msg.header as MsgHdrs | undefined;
  const subjectPartition = Number(msg.subject.split('.')[1]);
  return {
    id: String(msg.seq),
    partition: intHeader(h, DEAD_LETTER_HEADERS.partition, Number.isInteger(subjectPartition) ? subjectPartition : 0),
    event: decodeDeadPayload(msg.string()),
    failure: {
      code: h?.get(DEAD_LETTER_HEADERS.code) || ErrorCodes.internal,
      message: h?.get(DEAD_LETTER_HEADERS.message) ?? '',
      attempts: intHeader(h, DEAD_LETTER_HEADERS.attempts, 0),
    },
    failedAt: intHeader(h, DEAD_LETTER_HEADERS.failedAt, msg.time.getTime()),
    originalSeq: intHeader(h, DEAD_LETTER_HEADERS.originalSeq, 0),
  };
}

function isNoMessage(err: unknown): boolean {
  // A delete answers 10057 "no message found" for a deleted sequence, "stream store EOF" past the last one.
  return err instanceof JetStreamApiError && (err.code === 10037 || (err.code === 10057 && /no message found|EOF/i.test(err.message)));
}

export interface NatsDeadLettersOptions {
  partitions: number;
  /** How long a replay's append waits for its PubAck (ms). */
  publishTimeoutMs: number;
}

/** DeadLetters on JetStream `DEADLETTERS` (created by NatsTransport next to EVENTS). */
export class NatsDeadLetters implements DeadLetters {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly options: NatsDeadLettersOptions,
    private readonly logger: Logger,
  ) {}

  async list(page: { limit: number; before?: string }): Promise<DeadLetterPage> {
    const before = checkDeadLetterPage(page);
    return this.unavailableOnError('list', async () => {
      const { state } = await this.jsm.streams.info(DEADLETTERS_STREAM, { deleted_details: true });
      if (state.messages === 0) return { deadLetters: [] };
      // Sequences still held, newest first: the range minus what was deleted (drops, replays).
      const deleted = new Set(state.deleted ?? []);
      const seqs: number[] = [];
      for (let seq = Math.min(state.last_seq, before - 1); seq >= state.first_seq && seqs.length <= page.limit; seq--) {
        if (!deleted.has(seq)) seqs.push(seq);
      }
      const taken = seqs.slice(0, page.limit);
      // One request per dead letter, all in flight; one deleted meanwhile is left out.
      const msgs = await Promise.all(taken.map((seq) => this.jsm.streams.getMessage(DEADLETTERS_STREAM, { seq })));
      const deadLetters = msgs.flatMap((msg) => (msg ? [toDeadLetter(msg)] : []));
      return seqs.length > page.limit ? { deadLetters, next: String(taken[taken.length - 1]) } : { deadLetters };
    });
  }

  async replay(id: string): Promise<{ seq: number }> {
    const msg = await this.get(id);
    const dead = toDeadLetter(msg);
    const target = replayTarget(msg.seq, msg.string(), dead.partition, this.options.partitions);
    const seq = await this.unavailableOnError('replay append', async () => {
      const ack = await this.js.publish(subjects.events(target.partition), msg.data, {
        msgID: target.msgId,
        timeout: this.options.publishTimeoutMs,
      });
      return ack.seq;
    });
    // Already gone (a concurrent replay or drop): the append above was this replay's own or a duplicate.
    await this.delete(msg.seq).catch((err: unknown) => {
      if (!(err instanceof PulseError && err.code === ErrorCodes.notFound)) throw err;
    });
    this.logger.info({ deadLetter: id, partition: target.partition, seq }, 'dead letter replayed');
    return { seq };
  }

  async drop(id: string): Promise<void> {
    const seq = deadLetterSeq(id);
    if (seq === undefined) throw deadLetterNotFound(id);
    await this.delete(seq);
    this.logger.info({ deadLetter: id }, 'dead letter dropped');
  }

  private async get(id: string): Promise<StoredMsg> {
    const seq = deadLetterSeq(id);
    if (seq === undefined) throw deadLetterNotFound(id);
    const msg = await this.unavailableOnError('read', () => this.jsm.streams.getMessage(DEADLETTERS_STREAM, { seq }));
    if (!msg) throw deadLetterNotFound(id);
    return msg;
  }

  private async delete(seq: number): Promise<void> {
    try {
      // no_erase: the payload is not overwritten on disk (faster); it is gone from the stream.
      if (!(await this.jsm.streams.deleteMessage(DEADLETTERS_STREAM, seq, false))) throw deadLetterNotFound(String(seq));
    } catch (err) {
      if (err instanceof PulseError) throw err;
      if (isNoMessage(err)) throw deadLetterNotFound(String(seq));
      throw new PulseError(ErrorCodes.unavailable, 'dead-letter store unavailable: delete failed', undefined, { cause: err });
    }
  }

  private async unavailableOnError<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof PulseError) throw err;
      throw new PulseError(ErrorCodes.unavailable, `dead-letter store unavailable: ${what} failed`, undefined, { cause: err });
    }
  }
}
