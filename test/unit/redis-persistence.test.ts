import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import {
  judgePersistence,
  readRedisPersistence,
  registerPersistenceMetrics,
  type PersistenceVerdict,
} from '../../engine/platform/redis/redis-persistence.js';

/** A Redis that answers CONFIG GET from `settings`, or refuses CONFIG with `configError`; INFO from `info`. */
function fakeRedis(options: { settings?: Record<string, string>; configError?: string; info?: string }) {
  return {
    async call(command: string, sub: string, name: string) {
      expect([command, sub]).toEqual(['CONFIG', 'GET']);
      if (options.configError) throw new Error(options.configError);
      const value = options.settings?.[name];
      return value === undefined ? [] : [name, value];
    },
    async info(section: string) {
      expect(section).toBe('persistence');
      return options.info ?? '# Persistence\r\nloading:0\r\naof_enabled:0\r\n';
    },
  } as unknown as Parameters<typeof readRedisPersistence>[0];
}

describe('readRedisPersistence', () => {
  it('reads AOF, snapshots, both and neither from CONFIG GET', async () => {
    expect(await readRedisPersistence(fakeRedis({ settings: { appendonly: 'yes', appendfsync: 'everysec', save: '' } }))).toEqual({
      mode: 'aof',
      settings: 'appendonly yes (appendfsync everysec), save ""',
    });
    expect((await readRedisPersistence(fakeRedis({ settings: { appendonly: 'yes', appendfsync: 'always', save: '3600 1' } }))).mode).toBe(
      'aof+rdb',
    );
    expect(await readRedisPersistence(fakeRedis({ settings: { appendonly: 'no', save: '3600 1 300 100' } }))).toEqual({
      mode: 'rdb',
      settings: 'appendonly no, save "3600 1 300 100"',
    });
    expect(await readRedisPersistence(fakeRedis({ settings: { appendonly: 'no', save: '' } }))).toEqual({
      mode: 'none',
      settings: 'appendonly no, save ""',
    });
    // A blank schedule is no schedule.
    expect((await readRedisPersistence(fakeRedis({ settings: { appendonly: 'no', save: '  ' } }))).mode).toBe('none');
  });

  it('falls back to INFO persistence where CONFIG is refused (managed Redis)', async () => {
    const renamed = fakeRedis({
      configError: "ERR unknown command 'CONFIG', with args beginning with: 'GET' 'appendonly'",
      info: '# Persistence\r\naof_enabled:1\r\n',
    });
    expect(await readRedisPersistence(renamed)).toMatchObject({ mode: 'aof', settings: expect.stringContaining('CONFIG GET refused') });
    const denied = fakeRedis({ configError: "NOPERM User default has no permissions to run the 'config|get' command" });
    const reading = await readRedisPersistence(denied);
    expect(reading.mode).toBe('unknown');
    expect(reading.settings).toContain('aof_enabled:0');
  });

  it('rethrows a lost connection instead of calling it a refusal', async () => {
    await expect(readRedisPersistence(fakeRedis({ configError: 'Connection is closed.' }))).rejects.toThrow('Connection is closed.');
  });
});

describe('judgePersistence', () => {
  const where = 'redis://10.0.0.5:6379';

  it('accepts AOF and snapshots, warning that snapshots lose the last writes', () => {
    expect(judgePersistence({ mode: 'aof', settings: 's' }, false, where)).toMatchObject({ ok: true, ephemeralAccepted: false });
    const rdb = judgePersistence({ mode: 'rdb', settings: 'appendonly no, save "60 1"' }, false, where);
    expect(rdb).toMatchObject({ ok: true, ephemeralAccepted: false });
    expect(rdb.detail).toContain('appendonly yes');
  });

  it('refuses a Redis that keeps nothing, naming the settings, what is lost and the way out', () => {
    const verdict = judgePersistence({ mode: 'none', settings: 'appendonly no, save ""' }, false, where);
    expect(verdict.ok).toBe(false);
    for (const part of [where, 'appendonly no, save ""', '`appendonly yes`', 'save', 'member accounts', 'REDIS_EPHEMERAL_OK=1'])
      expect(verdict.detail).toContain(part);
  });

  it('refuses settings it cannot read, unless accepted', () => {
    expect(judgePersistence({ mode: 'unknown', settings: 'CONFIG GET refused' }, false, where)).toMatchObject({
      ok: false,
      detail: expect.stringContaining('REDIS_EPHEMERAL_OK=1'),
    });
    expect(judgePersistence({ mode: 'unknown', settings: 'x' }, true, where)).toMatchObject({ ok: true, ephemeralAccepted: true });
  });

  it('runs on an ephemeral Redis only with REDIS_EPHEMERAL_OK, and says so', () => {
    const verdict = judgePersistence({ mode: 'none', settings: 'appendonly no, save ""' }, true, where);
    expect(verdict).toMatchObject({ mode: 'none', ok: true, ephemeralAccepted: true });
    expect(verdict.detail).toContain('accepted by REDIS_EPHEMERAL_OK=1');
  });
});

describe('persistence metrics', () => {
  it('shows the current mode and whether REDIS_EPHEMERAL_OK is what lets the engine run', async () => {
    const registry = new Registry();
    let verdict: PersistenceVerdict | undefined = { mode: 'aof', ok: true, ephemeralAccepted: false, detail: '' };
    registerPersistenceMetrics(registry, () => verdict);
    let text = await registry.metrics();
    expect(text).toContain('pulse_engine_redis_persistence{mode="aof"} 1');
    expect(text).toContain('pulse_engine_redis_persistence{mode="none"} 0');
    expect(text).toContain('pulse_engine_redis_ephemeral_accepted 0');
    verdict = { mode: 'none', ok: true, ephemeralAccepted: true, detail: '' };
    text = await registry.metrics();
    expect(text).toContain('pulse_engine_redis_persistence{mode="none"} 1');
    expect(text).toContain('pulse_engine_redis_persistence{mode="aof"} 0');
    expect(text).toContain('pulse_engine_redis_ephemeral_accepted 1');
  });
});
