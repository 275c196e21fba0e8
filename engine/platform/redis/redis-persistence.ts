import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';

/**
 * Whether the Redis an engine writes to keeps anything on disk. Member accounts (with their
 * password hashes), reward redemptions, coupons and campaigns are written by request/reply calls,
 * not by events, so the event log cannot bring them back: a Redis that keeps nothing loses them
 * (and every acked event's effect) at its next restart. The engine therefore refuses to start on
 * such a Redis unless the operator says, with REDIS_EPHEMERAL_OK, that losing them is fine.
 *
 * Cost: two CONFIG GETs (or one INFO) at start and after each reconnect; nothing on the hot path.
 */

/** `aof`: append-only file; `rdb`: snapshots only; `none`: neither; `unknown`: the settings could not be read. */
export type PersistenceMode = 'aof' | 'aof+rdb' | 'rdb' | 'none' | 'unknown';

export interface PersistenceReading {
  mode: PersistenceMode;
  /** The settings as read, e.g. `appendonly yes (appendfsync everysec), save "3600 1 300 100"`. */
  settings: string;
}

/** What the engine makes of a reading: may it run, and what /readyz and the log say. */
export interface PersistenceVerdict {
  mode: PersistenceMode;
  /** False: the engine must not start (or, after a reconnect, is not ready). */
  ok: boolean;
  /** True when it runs only because REDIS_EPHEMERAL_OK accepts a Redis that may keep nothing. */
  ephemeralAccepted: boolean;
  detail: string;
}

/** The variable with which an operator accepts a Redis that keeps nothing on disk. */
export const EPHEMERAL_OK_ENV = 'REDIS_EPHEMERAL_OK';

/** What a Redis that keeps nothing loses at a restart (the reason for the rule, in every message). */
const AT_RISK = 'member accounts, points, coupons, campaigns and the effect of every acked event';

/** Thrown at start when Redis keeps nothing on disk and the operator did not accept it. */
export class PersistenceRefusedError extends Error {
  override name = 'PersistenceRefusedError';
}

type ConfigReader = Pick<Redis, 'call' | 'info'>;

/** `CONFIG GET name` as a string, or undefined when Redis answers no such setting. */
async function configGet(redis: ConfigReader, name: string): Promise<string | undefined> {
  const reply = (await redis.call('CONFIG', 'GET', name)) as unknown;
  // RESP2: [name, value]; RESP3 clients may get a map-like object.
  if (Array.isArray(reply)) {
    const at = reply.findIndex((v, i) => i % 2 === 0 && String(v).toLowerCase() === name);
    return at >= 0 && at + 1 < reply.length ? String(reply[at + 1]) : undefined;
  }
  if (reply && typeof reply === 'object' && name in reply) return String((reply as Record<string, unknown>)[name]);
  return undefined;
}

/**
 * Reads the persistence settings: CONFIG GET appendonly / appendfsync / save, or, where CONFIG is
 * refused (managed services rename or forbid it), INFO persistence, which tells AOF on or off but
 * not whether snapshots are scheduled (`unknown` then, unless AOF is on). Rejects only when Redis
 * cannot be reached at all.
 */
export async function readRedisPersistence(redis: ConfigReader): Promise<PersistenceReading> {
  let appendonly: string | undefined;
  let configError: Error | undefined;
  try {
    appendonly = await configGet(redis, 'appendonly');
  } catch (err) {
    configError = err as Error;
  }
  if (configError === undefined && appendonly !== undefined) {
    const save = (await configGet(redis, 'save')) ?? '';
    const fsync = appendonly === 'yes' ? ((await configGet(redis, 'appendfsync')) ?? 'everysec') : undefined;
    const aof = appendonly === 'yes';
    const rdb = save.trim() !== '';
    const mode: PersistenceMode = aof && rdb ? 'aof+rdb' : aof ? 'aof' : rdb ? 'rdb' : 'none';
    return { mode, settings: `appendonly ${appendonly}${fsync ? ` (appendfsync ${fsync})` : ''}, save "${save}"` };
  }
  if (configError && !isRefusal(configError)) throw configError;
  // CONFIG refused: INFO persistence still says whether AOF is on.
  const info = await redis.info('persistence');
  const aofEnabled = /^aof_enabled:(\d)/m.exec(info)?.[1];
  const why = configError ? `CONFIG GET refused (${configError.message.split('\n')[0]})` : 'CONFIG GET appendonly gave no answer';
  if (aofEnabled === '1') return { mode: 'aof', settings: `${why}; INFO persistence: aof_enabled:1` };
  return {
    mode: 'unknown',
    settings: `${why}; INFO persistence: aof_enabled:${aofEnabled ?? '?'} (snapshots cannot be seen without CONFIG)`,
  };
}

/** A command error (unknown or renamed command, ACL denial), as opposed to a lost connection. */
function isRefusal(err: Error): boolean {
  return /^(ERR|NOPERM|NOAUTH|WRONGPASS)\b|unknown command|no permissions/i.test(err.message);
}

/** The rule: AOF or snapshots on, or the operator accepted the loss. `where` names the Redis in messages. */
export function judgePersistence(reading: PersistenceReading, ephemeralOk: boolean, where: string): PersistenceVerdict {
  const { mode, settings } = reading;
  if (mode === 'aof' || mode === 'aof+rdb') return { mode, ok: true, ephemeralAccepted: false, detail: `${mode}: ${settings}` };
  if (mode === 'rdb') {
    return {
      mode,
      ok: true,
      ephemeralAccepted: false,
      detail: `rdb snapshots only: ${settings}; a crash loses what was written since the last snapshot (appendonly yes keeps every acked write)`,
    };
  }
  const problem =
    mode === 'none'
      ? `Redis at ${where} keeps nothing on disk (${settings}): a restart of it loses ${AT_RISK}`
      : `cannot tell whether Redis at ${where} keeps anything on disk (${settings}): if it does not, a restart of it loses ${AT_RISK}`;
  if (ephemeralOk) return { mode, ok: true, ephemeralAccepted: true, detail: `${mode}: accepted by ${EPHEMERAL_OK_ENV}=1 (${problem})` };
  const fix =
    mode === 'none'
      ? `turn persistence on (redis.conf or redis-server flag: \`appendonly yes\`; at runtime: CONFIG SET appendonly yes, then CONFIG REWRITE; or a snapshot schedule such as \`save "60 1000"\`)`
      : `make sure the service keeps an append-only file (\`appendonly yes\`) or snapshots (\`save ...\`)`;
  return {
    mode,
    ok: false,
    ephemeralAccepted: false,
    detail: `${problem}. ${fix[0]!.toUpperCase()}${fix.slice(1)}, or set ${EPHEMERAL_OK_ENV}=1 to accept the loss.`,
  };
}

/**
 * Holds the verdict on one Redis connection: checked at start (`verify` throws when refused) and
 * again after every reconnect, since a Redis restarted or failed over may run with other settings.
 * A reconnect to a Redis that keeps nothing turns `/readyz` 503 and logs an error; the engine
 * keeps running (events stay in JetStream until they are applied, so stopping would gain nothing
 * that the 503 does not already tell).
 */
export class RedisPersistenceGuard {
  #verdict: PersistenceVerdict | undefined;
  #watching = false;

  constructor(
    private readonly redis: Redis,
    private readonly options: { ephemeralOk: boolean; where: string; logger: Logger },
  ) {}

  /** The verdict last reached (undefined before `verify`). */
  get verdict(): PersistenceVerdict | undefined {
    return this.#verdict;
  }

  /** Reads and judges the settings; throws PersistenceRefusedError when the engine must not start. */
  async verify(): Promise<PersistenceVerdict> {
    const verdict = judgePersistence(await readRedisPersistence(this.redis), this.options.ephemeralOk, this.options.where);
    this.#verdict = verdict;
    if (!verdict.ok) throw new PersistenceRefusedError(`refusing to start: ${verdict.detail}`);
    this.#report(verdict, 'start');
    return verdict;
  }

  /** Re-checks after every reconnect from now on. Idempotent. */
  watch(): void {
    if (this.#watching) return;
    this.#watching = true;
    this.redis.on('ready', () => {
      readRedisPersistence(this.redis).then(
        (reading) => {
          const verdict = judgePersistence(reading, this.options.ephemeralOk, this.options.where);
          const changed = verdict.mode !== this.#verdict?.mode || verdict.ok !== this.#verdict?.ok;
          this.#verdict = verdict;
          if (changed) this.#report(verdict, 'reconnect');
        },
        // Unreadable right after a reconnect (it dropped again): the next 'ready' tries again.
        (err: unknown) =>
          this.options.logger.warn({ err: (err as Error).message }, 'could not re-read Redis persistence settings after a reconnect'),
      );
    });
  }

  /** The /readyz check: ok unless the current Redis keeps nothing and that was not accepted. */
  check(): { ok: boolean; detail: string } {
    const verdict = this.#verdict;
    return verdict ? { ok: verdict.ok, detail: verdict.detail } : { ok: false, detail: 'not checked yet' };
  }

  #report(verdict: PersistenceVerdict, when: 'start' | 'reconnect'): void {
    const { logger } = this.options;
    const fields = { mode: verdict.mode, when };
    if (!verdict.ok) logger.error(fields, `Redis persistence: ${verdict.detail}`);
    else if (verdict.ephemeralAccepted || verdict.mode === 'rdb') logger.warn(fields, `Redis persistence: ${verdict.detail}`);
    else logger.info(fields, `Redis persistence: ${verdict.detail}`);
  }
}

/**
 * `pulse_engine_redis_persistence{mode}` (1 for the current mode) and
 * `pulse_engine_redis_ephemeral_accepted` (1 while REDIS_EPHEMERAL_OK is what lets it run), read
 * at each scrape.
 */
export function registerPersistenceMetrics(registry: Registry, verdict: () => PersistenceVerdict | undefined): void {
  const modes: PersistenceMode[] = ['aof', 'aof+rdb', 'rdb', 'none', 'unknown'];
  const persistence: Gauge<'mode'> = new Gauge({
    name: 'pulse_engine_redis_persistence',
    help: 'How the Redis this engine writes to keeps data on disk: 1 for the current mode (aof, aof+rdb, rdb, none, unknown)',
    labelNames: ['mode'],
    registers: [registry],
    collect(): void {
      const mode = verdict()?.mode;
      for (const m of modes) persistence.set({ mode: m }, m === mode ? 1 : 0);
    },
  });
  const accepted: Gauge = new Gauge({
    name: 'pulse_engine_redis_ephemeral_accepted',
    help: `1 while the engine runs on a Redis that may keep nothing on disk only because ${EPHEMERAL_OK_ENV}=1`,
    registers: [registry],
    collect(): void {
      accepted.set(verdict()?.ephemeralAccepted ? 1 : 0);
    },
  });
}
