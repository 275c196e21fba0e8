import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
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

const TOKEN = 'admin-token-for-tests';

/**
 * A stand-in for the gateway's two batch endpoints, over real HTTP: checks the bearer token,
 * enforces a body limit (413), dedupes events by user + id like the real one, and fails on demand.
 */
class FakeGateway {
  readonly stored = new Map<string, unknown>();
  readonly items = new Map<string, unknown>();
  readonly members = new Map<string, Record<string, unknown>>();
  /** `userId/id` of each stored event, in the order the server took them. */
  readonly arrival: string[] = [];
  /** Delay before a request is handled (ms), e.g. random, so concurrent requests overtake each other. */
  delayMs: () => number = () => 0;
  requests = 0;
  /** Answer the next N requests with 503. */
  fail503 = 0;
  /** Event ids to reject once with `unavailable` (per-line transient failure). */
  readonly unavailableOnce = new Set<string>();
  maxBodyBytes = 1_000_000;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests += 1;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const delay = this.delayMs();
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { error: { code: 'unauthorized', message: 'invalid token' } });
    if (this.fail503 > 0) {
      this.fail503 -= 1;
      return send(503, { error: { code: 'unavailable', message: 'event log unavailable' } });
    }
    if (raw.length > this.maxBodyBytes) return send(413, { error: { code: 'payload_too_large', message: `body over ${this.maxBodyBytes} bytes` } });
    const body = JSON.parse(raw.toString('utf8')) as { events?: Array<Record<string, unknown>>; items?: Array<Record<string, unknown>>; members?: Array<Record<string, unknown>> };
    const rejected: Array<{ index: number; error: { code: string; message: string } }> = [];
    if (req.url === '/v1/events' && body.events) {
      body.events.forEach((event, index) => {
        if (typeof event.type !== 'string') return rejected.push({ index, error: { code: 'invalid_event', message: 'invalid event: type: Required' } });
        const id = String(event.id);
        if (this.unavailableOnce.delete(id)) return rejected.push({ index, error: { code: 'unavailable', message: 'append timed out' } });
        this.stored.set(`${String(event.userId)}/${id}`, event);
        this.arrival.push(`${String(event.userId)}/${id}`);
      });
      return send(202, { accepted: body.events.length - rejected.length, rejected });
    }
    if (req.url === '/v1/items/batch' && body.items) {
      body.items.forEach((item, index) => {
        if (typeof item.title !== 'string') return rejected.push({ index, error: { code: 'invalid_item', message: 'invalid item: title: Required' } });
        this.items.set(String(item.itemId), item);
      });
      return send(200, { upserted: body.items.length - rejected.length, rejected });
    }
    if (req.url === '/v1/members/batch' && body.members) {
      let created = 0;
      let existing = 0;
      body.members.forEach((member, index) => {
        const memberId = String(member.memberId);
        if (this.members.has(memberId)) return void (existing += 1);
        if ([...this.members.values()].some((m) => m.email === member.email)) return rejected.push({ index, error: { code: 'email_taken', message: 'a member with this email already exists' } });
        this.members.set(memberId, member);
        created += 1;
      });
      return send(200, { created, existing, rejected });
    }
    send(404, { error: { code: 'not_found', message: 'no route' } });
  }
}

describe('import over HTTP', () => {
  let dir: string;
  let gateway: FakeGateway;
  const quiet = (): PassThrough => new PassThrough().resume();
  const client = (kind: ImportKind, extra: Partial<ConstructorParameters<typeof ImportClient>[0]> = {}): ImportClient =>
    new ImportClient({ url: gateway.url, token: TOKEN, kind, sleep: async () => undefined, ...extra });
  const events = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => JSON.stringify({ type: 'view', itemId: `sku-${from + i}`, userId: `u${(from + i) % 7}` }));

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
    const summary = await runImport({ path, kind: 'events', client: client('events'), batchSize: 2, concurrency: 3, progressStream: quiet() });
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

    const again = await runImport({ path, kind: 'events', client: client('events'), batchSize: 4, concurrency: 1, progressStream: quiet() });
    expect(again.accepted).toBe(9);
    expect(gateway.stored.size).toBe(9); // the deterministic ids deduped every line
  });

  it('retries a batch on 503 and lines rejected as unavailable, without double counting', async () => {
    const path = join(dir, 'retry.jsonl');
    gateway.fail503 = 2;
    gateway.unavailableOnce.add('given-3');
    const lines = [...events(10), '{"id":"given-3","type":"view","itemId":"a","userId":"u3"}'];
    await writeFile(path, `${lines.join('\n')}\n`);
    const summary = await runImport({ path, kind: 'events', client: client('events'), batchSize: 4, concurrency: 2, progressStream: quiet() });
    expect(summary.accepted).toBe(11);
    expect(summary.rejects.total).toBe(0);
    expect(gateway.stored.size).toBe(11);
    // Lines go to 2 lanes by user, batched per lane.
    const perLane = [0, 0];
    lines.forEach((text, i) => perLane[laneOf({ line: i + 1, value: JSON.parse(text) as Record<string, unknown> }, 'events', 2)]! += 1);
    const batches = perLane.reduce((n, count) => n + Math.ceil(count / 4), 0);
    expect(gateway.requests).toBe(2 + batches + 1); // two 503s, the batches, one retry of the unavailable line
  });

  it("keeps each user's events in file order with several requests in flight", async () => {
    gateway.delayMs = () => Math.random() * 6;
    const lines = Array.from({ length: 240 }, (_, i) => JSON.stringify({ id: `e${i}`, type: 'view', itemId: 'x', userId: `u${i % 5}` }));
    const path = join(dir, 'ordered.jsonl');
    await writeFile(path, `${lines.join('\n')}\n`);
    const summary = await runImport({ path, kind: 'events', client: client('events'), batchSize: 3, concurrency: 4, progressStream: quiet() });
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
    const first = await runImport({ path, kind: 'members', client: client('members'), batchSize: 2, concurrency: 2, progressStream: quiet() });
    expect(first).toMatchObject({ lines: 5, accepted: 3, existing: 0 });
    expect(first.rejects.top(5)).toEqual([
      { code: 'email_taken', message: 'a member with this email already exists', count: 1, firstLines: [4] },
      expect.objectContaining({ code: 'invalid_json', firstLines: [3] }),
    ]);
    expect([...gateway.members.keys()].sort()).toEqual(['c1', 'c2', 'c4']);
    const again = await runImport({ path, kind: 'members', client: client('members'), batchSize: 500, concurrency: 1, progressStream: quiet() });
    expect(again).toMatchObject({ accepted: 3, existing: 3 });
    expect(formatSummary(again)).toContain('accepted  3  (3 existed already, left unchanged)');
  });

  it('splits batches the server finds too large and rejects a line too large alone', async () => {
    gateway.maxBodyBytes = 400;
    const huge = JSON.stringify({ type: 'search', query: 'x'.repeat(500), userId: 'u1' });
    const path = join(dir, 'large.jsonl');
    await writeFile(path, `${[...events(6), huge, ...events(3, 50)].join('\n')}\n`);
    const summary = await runImport({ path, kind: 'events', client: client('events'), batchSize: 10, concurrency: 1, progressStream: quiet() });
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
    const summary = await runImport({ path, kind: 'items', client: client('items'), batchSize: 500, concurrency: 4, progressStream: quiet() });
    expect(summary.accepted).toBe(2);
    expect(summary.rejects.top(5)).toEqual([{ code: 'invalid_item', message: 'invalid item: title: Required', count: 1, firstLines: [2] }]);
    expect([...gateway.items.keys()].sort()).toEqual(['a', 'c']);
  });

  it('stops with a clear reason when the token is refused', async () => {
    const path = join(dir, 'e.jsonl');
    await writeFile(path, events(20).join('\n'));
    const summary = await runImport({ path, kind: 'events', client: client('events', { token: 'wrong' }), batchSize: 5, concurrency: 2, progressStream: quiet() });
    expect(summary.aborted).toMatch(/refused the token \(401 unauthorized: invalid token\)/);
    expect(summary.accepted).toBe(0);
    expect(gateway.requests).toBeLessThanOrEqual(2);
  });

  it('stops when the server is unreachable, after its retries', async () => {
    await gateway.close();
    const path = join(dir, 'e.jsonl');
    await writeFile(path, events(3).join('\n'));
    const slept: number[] = [];
    const unreachable = new ImportClient({ url: gateway.url, token: TOKEN, kind: 'events', attempts: 3, backoffMs: 100, sleep: async (ms) => void slept.push(ms) });
    const summary = await runImport({ path, kind: 'events', client: unreachable, batchSize: 5, concurrency: 1, progressStream: quiet() });
    expect(summary.aborted).toMatch(/server unreachable.*gave up after 3 attempts/);
    expect(slept).toHaveLength(2);
    expect(slept[0]).toBeGreaterThanOrEqual(75); // 100 ms +-25%
    expect(slept[1]).toBeGreaterThanOrEqual(150); // doubled
  });
});

describe('resolveToken', () => {
  it('prefers --token, else signs an admin token with AUTH_SECRET, else explains', async () => {
    expect(await resolveToken('given', { AUTH_SECRET: 's' })).toBe('given');
    const minted = await resolveToken(undefined, { AUTH_SECRET: 'test-secret' });
    expect(await new TokenService('test-secret').verify(minted)).toMatchObject({ sub: 'import', role: 'admin' });
    await expect(resolveToken(undefined, {})).rejects.toThrow(UsageError);
    await expect(resolveToken('', { AUTH_SECRET: '' })).rejects.toThrow(/--token/);
  });
});

describe('npm run import (the command)', () => {
  const run = (args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/import.ts', ...args], { env: { ...process.env, AUTH_SECRET: '', ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  it('exits 0 with a summary, 2 without a token or with bad options, 1 when the server is gone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pulse-import-cli-'));
    const gateway = new FakeGateway();
    await gateway.start();
    try {
      const path = join(dir, 'events.jsonl');
      await writeFile(path, `${JSON.stringify({ type: 'view', itemId: 'x', userId: 'u1' })}\nnot json\n`);
      const ok = await run(['--events', path, '--url', gateway.url, '--token', TOKEN], {});
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain('accepted  1');
      expect(ok.stdout).toContain('invalid_json');
      expect(ok.stdout).toContain('(lines 2)');

      const noToken = await run(['--events', path, '--url', gateway.url], {});
      expect(noToken.code).toBe(2);
      expect(noToken.stderr).toMatch(/an admin token is needed/);

      const both = await run(['--events', path, '--items', path, '--token', 't'], {});
      expect(both.code).toBe(2);
      expect(both.stderr).toMatch(/exactly one of --items FILE, --members FILE, --events FILE or --orders FILE/);

      const badBatch = await run(['--events', path, '--batch', '5000', '--token', 't'], {});
      expect(badBatch.code).toBe(2);
      expect(badBatch.stderr).toMatch(/--batch must be an integer in \[1, 1000\]/);

      await gateway.close();
      const gone = await run(['--events', path, '--url', gateway.url, '--token', TOKEN], {});
      expect(gone.code).toBe(1);
      expect(gone.stdout).toMatch(/ABORTED.*server unreachable/);
    } finally {
      await gateway.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
