import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import type { DeadLetter, DeadLetterPage, DeadLetters } from '../dead-letters.js';
import type { DeadLetterFailure } from '../event-log.js';
import {
  checkDeadLetterPage,
  cleanFailure,
  deadLetterNotFound,
  deadLetterSeq,
  decodeDeadPayload,
  replayTarget,
} from './nats-dead-letters.js';

interface StoredLetter {
  seq: number;
  partition: number;
  /** The EVENTS payload as it was (JSON text). */
  data: string;
  failure: DeadLetterFailure;
  failedAt: number;
  originalSeq: number;
}

/** Appends a payload to the event log under a message id (deduped like an append); returns its seq. */
export type Reappend = (partition: number, data: string, msgId: string) => number;

/**
 * In-memory DEADLETTERS with the NATS adapter's semantics: ids are a store-wide sequence (newer =
 * larger), a replay re-appends through the event log with the same message id as NATS would use.
 * Made and fed by MemoryEventLog (`deadLetter` on a delivered event).
 */
export class MemoryDeadLetters implements DeadLetters {
  private seq = 0;
  /** seq -> letter; Map order is insertion order, i.e. ascending seq. */
  private readonly letters = new Map<number, StoredLetter>();
  /** Test hook: while true, storing a dead letter fails as `unavailable` (as with DEADLETTERS gone). */
  unavailable = false;

  constructor(
    private readonly partitions: number,
    private readonly reappend: Reappend,
  ) {}

  /** Stores a dead letter; throws PulseError `unavailable` while the test hook says so. */
  store(letter: { partition: number; data: string; failure: DeadLetterFailure; originalSeq: number }): void {
    if (this.unavailable) throw new PulseError(ErrorCodes.unavailable, 'dead-letter store unavailable');
    const seq = ++this.seq;
    this.letters.set(seq, { ...letter, seq, failure: cleanFailure(letter.failure), failedAt: Date.now() });
  }

  async list(page: { limit: number; before?: string }): Promise<DeadLetterPage> {
    const before = checkDeadLetterPage(page);
    const older = [...this.letters.values()].filter((letter) => letter.seq < before).reverse();
    const deadLetters = older.slice(0, page.limit).map(toDeadLetter);
    return older.length > page.limit ? { deadLetters, next: deadLetters[deadLetters.length - 1]!.id } : { deadLetters };
  }

  async replay(id: string): Promise<{ seq: number }> {
    const letter = this.find(id);
    const target = replayTarget(letter.seq, letter.data, letter.partition, this.partitions);
    const seq = this.reappend(target.partition, letter.data, target.msgId);
    this.letters.delete(letter.seq);
    return { seq };
  }

  async drop(id: string): Promise<void> {
    this.letters.delete(this.find(id).seq);
  }

  private find(id: string): StoredLetter {
    const seq = deadLetterSeq(id);
    const letter = seq === undefined ? undefined : this.letters.get(seq);
    if (!letter) throw deadLetterNotFound(id);
    return letter;
  }
}

function toDeadLetter(letter: StoredLetter): DeadLetter {
  return {
    id: String(letter.seq),
    partition: letter.partition,
    event: decodeDeadPayload(letter.data),
    failure: { ...letter.failure },
    failedAt: letter.failedAt,
    originalSeq: letter.originalSeq,
  };
}
