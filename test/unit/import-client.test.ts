import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TokenService } from '../../gateway/auth.js';
import { UsageError } from '../../scripts/lib/args.js';
import { formatSummary, resolveToken, runImport } from '../../scripts/import.js';
import { ImportClient } from '../../scripts/lib/import-client.js';
import { laneOf, type ImportKind } from '../../scripts/lib/import-lines.js';
import { FakeGateway, TOKEN } from '../helpers/import-gateway.js';

describe('import over HTTP', () => {
  let dir: string;
  let gateway: FakeGateway;
  const quiet = (): PassThrough => new PassThrough().resume();
  const client = (kind: ImportKind, extra: Partial<ConstructorParameters<typeof ImportClient>[0]> = {}): ImportClient =>
    new ImportClient({ url: gateway.url, token: TOKEN, kind, sleep: async () => undefined, ...extra });
  const events = (n: number, from = 0): string[] =>
    Array.from({ length: n }, (_, i) => JSON.stringify({ type: 'view', itemId: `sku-${from + i}`, userId: `u${(from + i) % 7}` }));

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pulse-import-'));
    gateway = new FakeGateway();
    await gateway.start();
  });
  afterEach(async () => {
    await gateway.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('imports events, reports rejects by line, and a re-run counts nothing twice', async () => {
    const lines = [
      ...events(3), // lines 1-3
      '', // 4: blank
      '{"type":"view",', // 5: not JSON
      '{"id":"given-1","type":"click","itemId":"sku-9","userId":"u1"}', // 6
      '{"itemId":"sku-1","userId":"u1"}', // 7: no type, rejected by the server
      '[]', // 8: not an object
      ...events(5, 100), // 9-13
    ];
    const path = join(dir, 'events.jsonl');
    await writeFile(path, `${lines.join('\n')}\n`);
    const summary = await runImport({
      path,
      kind: 'events',
      client: client('events'),
      batchSize: 2,
      concurrency: 3,
      progressStream: quiet(),
    });
    expect(summary.lines).toBe(13);
    expect(summary.accepted).toBe(9);
    expect(summary.aborted).toBeUndefined();
    expect(summary.rejects.top(10)).toEqual([
      // Equal counts: by code, then message.
      { code: 'invalid_event', message: 'invalid event: type: Required', count: 1, firstLines: [7] },
      { code: 'invalid_json', message: 'line is not a JSON object', count: 1, firstLines: [8] },
      expect.objectContaining({ code: 'invalid_json', count: 1, firstLines: [5] }),
    ]);
    expect(gateway.stored.size).toBe(9);
    expect(gateway.stored.has('u1/given-1')).toBe(true);

    const again = await runImport({
      path,
      kind: 'events',
      client: client('events'),
      batchSize: 4,
      concurrency: 1,
      progressStream: quiet(),
    });
    expect(again.accepted).toBe(9);
    expect(gateway.stored.size).toBe(9); // the deterministic ids deduped every line
  });

  it('retries a batch on 503 and lines rejected as unavailable, without double counting', async () => {
    const path = join(dir, 'retry.jsonl');
    gateway.fail503 = 2;
    gateway.unavailableOnce.add('given-3');
    const lines = [...events(10), '{"id":"given-3","type":"view","itemId":"a","userId":"u3"}'];
    await writeFile(path, `${lines.join('\n')}\n`);
    const summary = await runImport({
      path,
      kind: 'events',
      client: client('events'),
      batchSize: 4,
      concurrency: 2,
      progressStream: quiet(),
    });
    expect(summary.accepted).toBe(11);
    expect(summary.rejects.total).toBe(0);
    expect(gateway.stored.size).toBe(11);
    // Lines go to 2 lanes by user, batched per lane.
    const perLane = [0, 0];
    lines.forEach((text, i) => (perLane[laneOf({ line: i + 1, value: JSON.parse(text) as Record<string, unknown> }, 'events', 2)]! += 1));
    const batches = perLane.reduce((n, count) => n + Math.ceil(count / 4), 0);
    expect(gateway.requests).toBe(2 + batches + 1); // two 503s, the batches, one retry of the unavailable line
  });

  it("keeps each user's events in file order with several requests in flight", async () => {
    gateway.delayMs = () => Math.random() * 6;
    const lines = Array.from({ length: 240 }, (_, i) => JSON.stringify({ id: `e${i}`, type: 'view', itemId: 'x', userId: `u${i % 5}` }));
    const path = join(dir, 'ordered.jsonl');
    await writeFile(path, `${lines.join('\n')}\n`);
    const summary = await runImport({
      path,
      kind: 'events',
      client: client('events'),
      batchSize: 3,
      concurrency: 4,
      progressStream: quiet(),
    });
    expect(summary.accepted).toBe(240);
    for (let u = 0; u < 5; u++) {
      const arrived = gateway.arrival.filter((key) => key.startsWith(`u${u}/`)).map((key) => Number(key.slice(key.indexOf('/e') + 2)));
      expect(arrived).toEqual([...arrived].sort((a, b) => a - b));
      expect(arrived).toHaveLength(48);
    }
  });

  it('imports members: new ones created, known ids counted as existing, a taken email rejected by line', async () => {
    const member = (id: string, email = `${id}@shop.invalid`) => JSON.stringify({ memberId: id, email, name: `Customer ${id}` });
    const path = join(dir, 'members.jsonl');
    await writeFile(path, `${[member('c1'), member('c2'), 'oops', member('c3', 'c1@shop.invalid'), member('c4')].join('\n')}\n`);
    const first = await runImport({
      path,
      kind: 'members',
      client: client('members'),
      batchSize: 2,
      concurrency: 2,
      progressStream: quiet(),
    });
    expect(first).toMatchObject({ lines: 5, accepted: 3, existing: 0 });
    expect(first.rejects.top(5)).toEqual([
      { code: 'email_taken', message: 'a member with this email already exists', count: 1, firstLines: [4] },
      expect.objectContaining({ code: 'invalid_json', firstLines: [3] }),
    ]);
    expect([...gateway.members.keys()].sort()).toEqual(['c1', 'c2', 'c4']);
    const again = await runImport({
      path,
      kind: 'members',
      client: client('members'),
      batchSize: 500,
      concurrency: 1,
      progressStream: quiet(),
    });
    expect(again).toMatchObject({ accepted: 3, existing: 3 });
    expect(formatSummary(again)).toContain('accepted  3  (3 existed already, left unchanged)');
  });

  it('splits batches the server finds too large and rejects a line too large alone', async () => {
    gateway.maxBodyBytes = 400;
    const huge = JSON.stringify({ type: 'search', query: 'x'.repeat(500), userId: 'u1' });
    const path = join(dir, 'large.jsonl');
    await writeFile(path, `${[...events(6), huge, ...events(3, 50)].join('\n')}\n`);
    const summary = await runImport({
      path,
      kind: 'events',
      client: client('events'),
      batchSize: 10,
      concurrency: 1,
      progressStream: quiet(),
    });
    expect(summary.accepted).toBe(9);
    expect(summary.rejects.top(5)).toEqual([{ code: 'payload_too_large', message: 'body over 400 bytes', count: 1, firstLines: [7] }]);
    expect(gateway.stored.size).toBe(9);
  });

  it('imports items from a .gz file', async () => {
    const items = [
      { itemId: 'a', title: 'A', category: 'toys', price: 1 },
      { itemId: 'b', category: 'toys', price: 2 },
      { itemId: 'c', title: 'C', category: 'toys', price: 3 },
    ];
    const path = join(dir, 'items.jsonl.gz');
    await writeFile(path, gzipSync(items.map((i) => JSON.stringify(i)).join('\n')));
    const summary = await runImport({
      path,
      kind: 'items',
      client: client('items'),
      batchSize: 500,
      concurrency: 4,
      progressStream: quiet(),
    });
    expect(summary.accepted).toBe(2);
    expect(summary.rejects.top(5)).toEqual([{ code: 'invalid_item', message: 'invalid item: title: Required', count: 1, firstLines: [2] }]);
    expect([...gateway.items.keys()].sort()).toEqual(['a', 'c']);
  });

  it('stops with a clear reason when the token is refused', async () => {
    const path = join(dir, 'e.jsonl');
    await writeFile(path, events(20).join('\n'));
    const summary = await runImport({
      path,
      kind: 'events',
      client: client('events', { token: 'wrong' }),
      batchSize: 5,
      concurrency: 2,
      progressStream: quiet(),
    });
    expect(summary.aborted).toMatch(/refused the token \(401 unauthorized: invalid token\)/);
    expect(summary.accepted).toBe(0);
    expect(gateway.requests).toBeLessThanOrEqual(2);
  });

  it('stops when the server is unreachable, after its retries', async () => {
    await gateway.close();
    const path = join(dir, 'e.jsonl');
    await writeFile(path, events(3).join('\n'));
    const slept: number[] = [];
    const unreachable = new ImportClient({
      url: gateway.url,
      token: TOKEN,
      kind: 'events',
      attempts: 3,
      backoffMs: 100,
      sleep: async (ms) => void slept.push(ms),
    });
    const summary = await runImport({ path, kind: 'events', client: unreachable, batchSize: 5, concurrency: 1, progressStream: quiet() });
    expect(summary.aborted).toMatch(/server unreachable.*gave up after 3 attempts/);
    expect(slept).toHaveLength(2);
    expect(slept[0]).toBeGreaterThanOrEqual(75); // 100 ms +-25%
    expect(slept[1]).toBeGreaterThanOrEqual(150); // doubled
  });
});

describe('resolveToken', () => {
  it('prefers --token, else signs an admin token with AUTH_SECRET, else explains', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'pulse-import-secret-'));
    expect(await resolveToken('given', { AUTH_SECRET: 's' })).toBe('given');
    const minted = await resolveToken(undefined, { AUTH_SECRET: 'test-secret', DATA_DIR: empty });
    expect(await new TokenService('test-secret').verify(minted)).toMatchObject({ sub: 'import', role: 'admin' });
    await expect(resolveToken(undefined, { DATA_DIR: empty })).rejects.toThrow(UsageError);
    await expect(resolveToken('', { AUTH_SECRET: '', DATA_DIR: empty })).rejects.toThrow(/--token/);
  });

  it('outside production signs with the development secret npm start keeps in DATA_DIR, and never makes one', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'pulse-import-secret-'));
    await writeFile(join(dataDir, 'auth-secret'), 'kept-secret\n');
    const minted = await resolveToken(undefined, { DATA_DIR: dataDir });
    expect(await new TokenService('kept-secret').verify(minted)).toMatchObject({ sub: 'import', role: 'admin' });
    await expect(resolveToken(undefined, { DATA_DIR: dataDir, NODE_ENV: 'production' })).rejects.toThrow(/--token/);
    const none = await mkdtemp(join(tmpdir(), 'pulse-import-secret-'));
    await expect(resolveToken(undefined, { DATA_DIR: none })).rejects.toThrow(/DATA_DIR\/auth-secret/);
    expect(existsSync(join(none, 'auth-secret'))).toBe(false);
  });
});
