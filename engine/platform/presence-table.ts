import type { Logger } from 'pino';
import { subjects } from '../contracts/subjects.js';
import type { LivePresence } from './presence-channel.js';

/** One presence message: a header line `<gatewayId> <ttlMs>`, then one user id per line (see subjects.presence*). */
export interface PresenceAnnouncement {
  gatewayId: string;
  /** How long the listed entries live without a refresh (ms); 0 in a leave. */
  ttlMs: number;
  userIds: string[];
}

/** Ids as IdSchema allows them (ASCII, no space or newline), so one per line needs no escaping. */
const ID = /^[A-Za-z0-9_.:@-]{1,128}$/;
/** Largest ttl a message may carry (ms): a typo cannot pin an entry for days. */
const MAX_TTL_MS = 3_600_000;

/**
 * Encodes `userIds` as messages of at most `maxBytes` each, header included (ids are ASCII, so
 * characters are bytes). None for no ids. Cost: O(total id bytes), one string per message.
 */
export function encodePresence(gatewayId: string, ttlMs: number, userIds: Iterable<string>, maxBytes: number): string[] {
  const header = `${gatewayId} ${ttlMs}`;
  const messages: string[] = [];
  let lines = [header];
  let bytes = header.length;
  for (const userId of userIds) {
    if (lines.length > 1 && bytes + 1 + userId.length > maxBytes) {
      messages.push(lines.join('\n'));
      lines = [header];
      bytes = header.length;
    }
    lines.push(userId);
    bytes += 1 + userId.length;
  }
  if (lines.length > 1) messages.push(lines.join('\n'));
  return messages;
}

/** Decodes a presence message; undefined when its header is malformed. Malformed ids are skipped and counted. */
export function decodePresence(text: string): { announcement: PresenceAnnouncement; badIds: number } | undefined {
  const lines = text.split('\n');
  const [gatewayId, ttlText, extra] = (lines[0] ?? '').split(' ');
  const ttlMs = Number(ttlText);
  if (gatewayId === undefined || !ID.test(gatewayId) || extra !== undefined || !Number.isInteger(ttlMs) || ttlMs < 0 || ttlMs > MAX_TTL_MS)
    return undefined;
  const userIds: string[] = [];
  let badIds = 0;
  for (let i = 1; i < lines.length; i++) {
    const userId = lines[i]!;
    if (ID.test(userId)) userIds.push(userId);
    else badIds += 1;
  }
  return { announcement: { gatewayId, ttlMs, userIds }, badIds };
}

/** How often expired entries are dropped (ms): memory holds them at most this long past expiry. */
const SWEEP_EVERY_MS = 5000;

/**
 * The engine's copy of presence: per gateway, per user, when the entry expires (this process'
 * clock, so gateways' clocks do not matter). Memory: one map entry per (gateway, user) announced
 * and not yet expired. Costs: a join or beat O(ids) map writes, a leave O(ids) deletes,
 * `isPresent` one lookup per live gateway, a sweep O(entries) at most every 5 s.
 */
export class PresenceTable implements LivePresence {
  /** gatewayId -> userId -> expiresAt (epoch ms). */
  readonly #gateways = new Map<string, Map<string, number>>();
  readonly #now: () => number;
  #nextSweepAt = 0;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** A join or a beat: adds the listed users and refreshes their expiry. */
  refresh({ gatewayId, ttlMs, userIds }: PresenceAnnouncement): void {
    const now = this.#now();
    this.#sweepIfDue(now);
    let users = this.#gateways.get(gatewayId);
    if (!users) {
      users = new Map();
      this.#gateways.set(gatewayId, users);
    }
    const expiresAt = now + ttlMs;
    for (const userId of userIds) users.set(userId, expiresAt);
  }

  /** The listed users hold no socket on that gateway any more (other gateways' entries stay). */
  leave({ gatewayId, userIds }: PresenceAnnouncement): void {
    this.#sweepIfDue(this.#now());
    const users = this.#gateways.get(gatewayId);
    if (!users) return;
    for (const userId of userIds) users.delete(userId);
    if (users.size === 0) this.#gateways.delete(gatewayId);
  }

  isPresent(userId: string): boolean {
    const now = this.#now();
    for (const users of this.#gateways.values()) {
      const expiresAt = users.get(userId);
      if (expiresAt !== undefined && expiresAt > now) return true;
    }
    return false;
  }

  count(): number {
    this.#sweep(this.#now());
    if (this.#gateways.size <= 1) return [...this.#gateways.values()][0]?.size ?? 0;
    const users = new Set<string>();
    for (const gateway of this.#gateways.values()) for (const userId of gateway.keys()) users.add(userId);
    return users.size;
  }

  #sweepIfDue(now: number): void {
    if (now >= this.#nextSweepAt) this.#sweep(now);
  }

  #sweep(now: number): void {
    this.#nextSweepAt = now + SWEEP_EVERY_MS;
    for (const [gatewayId, users] of this.#gateways) {
      for (const [userId, expiresAt] of users) if (expiresAt <= now) users.delete(userId);
      if (users.size === 0) this.#gateways.delete(gatewayId);
    }
  }
}

/**
 * Applies one message received on `presence.*` to `table`; shared by the NATS adapter and the
 * in-memory fake so both drop the same malformed messages. Sync requests are not for engines.
 */
export function applyPresence(table: PresenceTable, subject: string, text: string, logger: Logger): void {
  if (subject === subjects.presenceSync) return;
  const decoded = decodePresence(text);
  if (!decoded) {
    logger.warn({ subject, bytes: text.length }, 'malformed presence message dropped');
    return;
  }
  if (decoded.badIds > 0) logger.warn({ subject, badIds: decoded.badIds }, 'malformed user ids in a presence message skipped');
  if (subject === subjects.presenceLeave) table.leave(decoded.announcement);
  else if (subject === subjects.presenceJoin || subject === subjects.presenceBeat) table.refresh(decoded.announcement);
  else logger.warn({ subject }, 'unknown presence subject');
}
