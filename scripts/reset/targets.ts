/**
 * What `npm run reset` reads and deletes: the JetStream streams (EVENTS, CATALOG, DEADLETTERS),
 * Pulse's Redis keys (scripts/reset/keys.ts: one SCAN pass, UNLINK in batches, never FLUSHALL:
 * the Redis may be shared) and the models directory under DATA_DIR.
 */
import { readdir, rm } from 'node:fs/promises';
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { redactUrl } from '../../engine/platform/mod.js';
import { RedisPartitionLeases } from '../../engine/stream/mod.js';
import { KeyTally } from './keys.js';

/** How long connecting to either server may take (ms). */
const CONNECT_TIMEOUT_MS = 3000;
/** Keys asked of each SCAN step, and the most keys of one UNLINK. */
const SCAN_COUNT = 1000;
const UNLINK_BATCH = 500;

export interface Streams {
  /** Messages of the stream now, or undefined when it does not exist. */
  count(name: string): Promise<number | undefined>;
  /** Purges it; the number of messages removed (0 when it does not exist). */
  purge(name: string): Promise<number>;
  close(): Promise<void>;
}

export async function connectStreams(url: string): Promise<Streams> {
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: url, name: 'pulse-reset', timeout: CONNECT_TIMEOUT_MS, maxReconnectAttempts: 0 });
  } catch (err) {
    throw new Error(`cannot reach NATS at ${redactUrl(url)}: ${(err as Error).message}`);
  }
  let jsm: JetStreamManager;
  try {
    jsm = await jetstreamManager(nc);
  } catch (err) {
    await nc.close().catch(() => undefined);
    throw new Error(`JetStream unavailable at ${redactUrl(url)}: ${(err as Error).message}`);
  }
  const missing = (err: unknown) => err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
  return {
    async count(name) {
      try {
        return (await jsm.streams.info(name)).state.messages;
      } catch (err) {
        if (missing(err)) return undefined;
        throw err;
      }
    },
    async purge(name) {
      try {
        return (await jsm.streams.purge(name)).purged;
      } catch (err) {
        if (missing(err)) return 0;
        throw err;
      }
    },
    async close() {
      await nc.close().catch(() => undefined);
    },
  };
}

export interface RedisState {
  /** Engines whose heartbeat has not expired (they hold or may take partition leases). */
  liveEngines(): Promise<string[]>;
  /** One SCAN pass counting Pulse's keys; deletes them as it goes when `remove` is set. */
  sweep(options: { remove: boolean; onBatch?: (tally: KeyTally, deleted: number) => void }): Promise<{ tally: KeyTally; deleted: number }>;
  close(): Promise<void>;
}

export async function connectRedisState(url: string): Promise<RedisState> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    enableAutoPipelining: false,
  });
  let lastError: Error | undefined;
  redis.on('error', (err: Error) => {
    lastError = err;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${redactUrl(url)}: ${(lastError ?? (err as Error)).message}`);
  }
  const leases = new RedisPartitionLeases(redis);
  return {
    liveEngines: () => leases.liveOwners(),
    async sweep({ remove, onBatch }) {
      const tally = new KeyTally();
      let deleted = 0;
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'COUNT', SCAN_COUNT);
        cursor = next;
        const ours = tally.add(keys);
        if (remove) {
          for (let i = 0; i < ours.length; i += UNLINK_BATCH) deleted += await redis.unlink(...ours.slice(i, i + UNLINK_BATCH));
        }
        if (ours.length > 0) onBatch?.(tally, deleted);
      } while (cursor !== '0');
      return { tally, deleted };
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** Entries of the models directory, or undefined when it does not exist. */
export async function modelEntries(dir: string): Promise<number | undefined> {
  try {
    return (await readdir(dir)).length;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export async function removeModels(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
