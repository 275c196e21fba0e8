import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item, StoredEvent } from '../../engine/contracts/schemas.js';
import { CATALOG_STREAM, DEADLETTERS_STREAM, EVENTS_STREAM, subjects } from '../../engine/contracts/subjects.js';
import { NatsTransport } from '../../engine/platform/adapters/nats-transport.js';
import { campaignKeys, memberKeys, statsKeys, userKeys } from '../../engine/platform/redis/redis-keys.js';
import { RedisPartitionLeases } from '../../engine/stream/adapters/redis-partition-leases.js';
import { freePort, startNats, startRedis, type RedisServer, type TestServer } from '../helpers/servers.js';
import { runScript } from '../helpers/run-script.js';

/**
 * `npm run reset` (scripts/reset.ts) as a child process against a private nats-server and
 * redis-server holding events, catalog items, a dead letter, Pulse's keys and another
 * application's keys: without --yes nothing goes; a live engine refuses it; --catalog-only purges
 * only CATALOG; --yes purges the streams and Pulse's keys and keeps the others.
 */
const ITEMS = 12;
const EVENTS = 30;
/** Another application's keys on the same Redis. */
const FOREIGN = ['other-app:session:1', 'user:42', 'cache:{u:1}'];

/** `npm run reset` as npm runs it (tsx), with its own environment; resolves on exit. */
function runReset(args: string[], env: Record<string, string>): ReturnType<typeof runScript> {
  return runScript('reset.ts', args, env);
}

const item = (n: number): Item => ({ itemId: `item-${n}`, title: `Item ${n}`, category: 'home/lamps', price: 10 + n });

let nats: TestServer;
let redisServer: RedisServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
let redis: Redis;
let work: string;
let env: Record<string, string>;
let pulseKeys: string[];

async function messages(stream: string): Promise<number> {
  return (await jsm.streams.info(stream)).state.messages;
}

async function existing(keys: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const key of keys) if ((await redis.exists(key)) === 1) found.push(key);
  return found;
}

beforeAll(async () => {
  [nats, redisServer] = await Promise.all([startNats(), startRedis()]);
  work = await mkdtemp(join(tmpdir(), 'pulse-reset-'));
  env = { NATS_URL: nats.url, REDIS_URL: redisServer.url, DATA_DIR: join(work, 'data') };
  await mkdir(join(work, 'data', 'models', 'v1'), { recursive: true });
  await writeFile(join(work, 'data', 'models', 'v1', 'manifest.json'), '{}');

  // Events, catalog items and a dead letter through the NATS adapters (they create the streams).
  const transport = await NatsTransport.connect({
    url: nats.url,
    partitions: 4,
    ackWaitMs: 10_000,
    logger: pino({ level: 'silent' }),
    name: 'reset-test',
  });
  try {
    await transport.catalogLog.put(Array.from({ length: ITEMS }, (_, n) => item(n)));
    for (let n = 0; n < EVENTS; n++) {
      const ts = Date.UTC(2026, 0, 1) + n * 1000;
      const event = { type: 'view', id: `e${n}`, userId: `shopper-${n % 5}`, itemId: `item-${n % ITEMS}`, ts, receivedAt: ts };
      await transport.eventLog.append(event as StoredEvent);
    }
  } finally {
    await transport.close();
  }
  nc = await connect({ servers: nats.url });
  jsm = await jetstreamManager(nc);
  await jetstream(nc).publish(subjects.deadLetters(0), '{"type":"view"}');

  // Pulse's keys (the names the stores build), and another application's.
  redis = new Redis(redisServer.url);
  const user = userKeys('').of('shopper-1');
  const members = memberKeys('');
  const campaigns = campaignKeys('');
  pulseKeys = [
    user.vec,
    user.recent,
    statsKeys('').popularity(),
    members.record('m1'),
    members.email('a@b.example'),
    members.buckets(),
    campaigns.list(),
    campaigns.campaign('c1', 'def'),
  ];
  for (const key of pulseKeys) await redis.set(key, 'x');
  for (const key of FOREIGN) await redis.set(key, 'kept');
}, 60_000);

afterAll(async () => {
  await nc?.close();
  redis?.disconnect();
  await Promise.all([nats?.stop(), redisServer?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

describe('npm run reset', () => {
  it('without --yes prints the streams with their counts and Pulse’s keys, deletes nothing and exits 2', async () => {
    const run = await runReset(['--models'], env);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout).toContain(`would purge stream ${EVENTS_STREAM}: ${EVENTS} messages`);
    expect(run.stdout).toContain(`would purge stream ${CATALOG_STREAM}: ${ITEMS} messages`);
    expect(run.stdout).toContain(`would purge stream ${DEADLETTERS_STREAM}: 1 message`);
    expect(run.stdout).not.toContain(`${DEADLETTERS_STREAM}: 1 messages`);
    expect(run.stdout).toContain(`would delete ${pulseKeys.length} Redis keys of Pulse`);
    expect(run.stdout).toContain(`${FOREIGN.length} other keys kept`);
    expect(run.stdout).toMatch(/would remove the models directory .*models: 1 entry$/m);
    expect(run.stdout).toMatch(/run again with --yes/);
    expect(await messages(EVENTS_STREAM)).toBe(EVENTS);
    expect(await messages(CATALOG_STREAM)).toBe(ITEMS);
    expect(await messages(DEADLETTERS_STREAM)).toBe(1);
    expect(await existing(pulseKeys)).toEqual(pulseKeys);
    expect(await readdir(join(work, 'data', 'models'))).toEqual(['v1']);
  }, 30_000);

  it('refuses while an engine is alive, in one line, and deletes nothing', async () => {
    const leases = new RedisPartitionLeases(redis);
    await leases.heartbeat('engine-a', 60_000);
    try {
      const run = await runReset(['--yes'], env);
      expect(run.code).toBe(1);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/engine\(s\) alive \(engine-a\): engines must be stopped first/);
      expect(await messages(EVENTS_STREAM)).toBe(EVENTS);
      expect(await existing(pulseKeys)).toEqual(pulseKeys);
    } finally {
      await leases.leave('engine-a');
    }
  }, 30_000);

  it('--catalog-only purges the CATALOG stream alone', async () => {
    const run = await runReset(['--yes', '--catalog-only'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`purged stream ${CATALOG_STREAM}: ${ITEMS} messages`);
    expect(run.stdout).toMatch(/DEMO_CATALOG=false/);
    expect(await messages(CATALOG_STREAM)).toBe(0);
    expect(await messages(EVENTS_STREAM)).toBe(EVENTS);
    expect(await messages(DEADLETTERS_STREAM)).toBe(1);
    expect(await existing(pulseKeys)).toEqual(pulseKeys);
  }, 30_000);

  it('--yes --models empties the streams, deletes Pulse’s keys and the models, keeps other keys', async () => {
    await jetstream(nc).publish(subjects.catalogItem('late'), JSON.stringify(item(99)));
    const run = await runReset(['--yes', '--models'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`purged stream ${EVENTS_STREAM}: ${EVENTS} messages`);
    expect(run.stdout).toContain(`deleted ${pulseKeys.length} of ${pulseKeys.length} Redis keys of Pulse`);
    for (const stream of [EVENTS_STREAM, CATALOG_STREAM, DEADLETTERS_STREAM]) expect(await messages(stream), stream).toBe(0);
    expect(await existing(pulseKeys)).toEqual([]);
    expect(await existing(FOREIGN)).toEqual(FOREIGN);
    await expect(readdir(join(work, 'data', 'models'))).rejects.toMatchObject({ code: 'ENOENT' });
  }, 30_000);

  it('fails in one line on bad configuration and on an unreachable server', async () => {
    const bad = await runReset([], { ...env, PULSE_PARTITIONS: 'abc' });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toMatch(/^reset: configuration: PULSE_PARTITIONS[^\n]*$/);
    const down = await runReset([], { ...env, NATS_URL: `nats://127.0.0.1:${await freePort()}` });
    expect(down.code).toBe(1);
    expect(down.stderr.trim()).toMatch(/^reset: cannot reach NATS at nats:\/\/127\.0\.0\.1:\d+: [^\n]*$/);
  }, 30_000);
});
