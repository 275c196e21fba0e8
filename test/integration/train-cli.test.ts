import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsTransport } from '../../engine/platform/adapters/nats-transport.js';
import type { Item, StoredEvent } from '../../engine/contracts/schemas.js';
import { subjects } from '../../engine/contracts/subjects.js';
import { readModel, type LoadedModel } from '../../models/artifact.js';
import { ContentEncoder, mulberry32 } from '../../models/content-encoder.js';
import { LearnedVectorSource } from '../../models/learned-vector-source.js';
import { runTrainCli } from '../helpers/model-fixtures.js';
import { freePort, startNats, type TestServer } from '../helpers/servers.js';

const D = 16;

/** Two groups of items with their own attributes; each session stays in one group. */
function generate(seed: number): { items: Item[]; events: Array<{ type: 'view'; userId: string; itemId: string; ts: number }> } {
  const random = mulberry32(seed);
  const items: Item[] = [];
  for (let n = 0; n < 10; n++) {
    items.push({
      itemId: `mug-${n}`,
      title: `Kova stoneware mug ${n}`,
      category: 'kitchen/mugs',
      brand: 'Kova',
      price: 9,
      tags: ['ceramic'],
    });
    items.push({
      itemId: `spade-${n}`,
      title: `Tergo forged spade ${n}`,
      category: 'garden/tools',
      brand: 'Tergo',
      price: 65,
      tags: ['steel'],
    });
  }
  const events = [];
  let ts = Date.UTC(2025, 0, 1);
  for (let s = 0; s < 400; s++) {
    const group = s % 2 === 0 ? 'mug' : 'spade';
    for (let i = 0; i < 5; i++)
      events.push({ type: 'view' as const, userId: `shopper-${s}`, itemId: `${group}-${Math.floor(random() * 10)}`, ts: (ts += 60_000) });
  }
  return { items, events };
}

/** Collects `{version, dir}` announcements on pulse.model.published. */
function listen(nc: NatsConnection): Array<{ version: string; dir: string }> {
  const seen: Array<{ version: string; dir: string }> = [];
  nc.subscribe(subjects.modelPublished, {
    callback: (_err, msg) => {
      seen.push(msg.json());
    },
  });
  return seen;
}

function expectGroupsLearned(model: LoadedModel): void {
  const source = new LearnedVectorSource(model, new ContentEncoder({ dimension: D }));
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);
  const vectorOf = (id: string) => source.vectorFor({ itemId: id, title: 'x', category: 'x', price: 1 });
  expect(dot(vectorOf('mug-1'), vectorOf('mug-2')) - dot(vectorOf('mug-1'), vectorOf('spade-2'))).toBeGreaterThan(0.5);
}

let nats: TestServer;
let nc: NatsConnection;
let work: string;

beforeAll(async () => {
  nats = await startNats();
  nc = await connect({ servers: nats.url });
  work = await mkdtemp(join(tmpdir(), 'pulse-train-cli-'));
});

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('npm run train', () => {
  it('trains from a JSONL file with item attributes, writes a loadable model and announces it', async () => {
    const { items, events } = generate(1);
    const eventsFile = join(work, 'events.jsonl');
    const itemsFile = join(work, 'items.jsonl');
    // File events may lack ids; a bad line is skipped, not fatal.
    await writeFile(eventsFile, `${events.map((e) => JSON.stringify(e)).join('\n')}\n{"type":"nonsense"}\n`);
    await writeFile(itemsFile, `${items.map((i) => JSON.stringify(i)).join('\n')}\n`);
    const dataDir = join(work, `data-${randomUUID()}`);
    const announcements = listen(nc);
    await nc.flush();

    const run = await runTrainCli(['--events', eventsFile, '--items', itemsFile, '--epochs', '6', '--dim', String(D)], {
      NATS_URL: nats.url,
      DATA_DIR: dataDir,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/train item2vec .*pairs\/s.*epoch \d+\/6\s+loss \d/);
    expect(run.stdout).toMatch(/TensorFlow\.js backend: wasm/);
    expect(run.stdout).toMatch(/events\s+2,000 used of 2,000/);
    expect(run.stdout).toMatch(/content tower trained on 20/);

    await expect.poll(() => announcements.length, { timeout: 5000, interval: 25 }).toBeGreaterThan(0);
    const announcement = announcements[0]!;
    const versions = await readdir(join(dataDir, 'models'));
    expect(versions).toEqual([announcement.version]);
    expect(announcement.dir).toBe(join(dataDir, 'models', announcement.version));
    const model = await readModel(announcement.dir);
    expect(model.manifest.dimension).toBe(D);
    expect(model.manifest.itemIds).toHaveLength(20);
    expect(model.manifest.training).toMatchObject({
      events: 2000,
      epochs: 6,
      backend: 'wasm',
      from: events[0]!.ts,
      to: events[events.length - 1]!.ts,
    });
    expect(model.contentTable).toBeDefined();
    expectGroupsLearned(model);
  }, 60_000);

  it('trains from the EVENTS stream and the CATALOG stream when no file is given', async () => {
    const { items, events } = generate(2);
    const transport = await NatsTransport.connect({
      url: nats.url,
      partitions: 4,
      ackWaitMs: 10_000,
      logger: pino({ level: 'silent' }),
      name: 'train-cli-test',
    });
    try {
      await transport.catalogLog.put(items);
      let n = 0;
      for (const e of events) {
        const stored = { ...e, id: `e${n++}`, receivedAt: e.ts } as StoredEvent;
        await transport.eventLog.append(stored);
      }
    } finally {
      await transport.close();
    }
    const dataDir = join(work, `data-${randomUUID()}`);
    const announcements = listen(nc);
    await nc.flush();
    const run = await runTrainCli(['--epochs', '6', '--dim', String(D)], { NATS_URL: nats.url, DATA_DIR: dataDir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/EVENTS stream/);
    expect(run.stdout).toMatch(/read 20 items from the CATALOG stream/);
    await expect.poll(() => announcements.length, { timeout: 5000, interval: 25 }).toBeGreaterThan(0);
    const announcement = announcements[0]!;
    const model = await readModel(announcement.dir);
    expect(model.manifest.training.events).toBe(2000);
    expect(model.contentTable).toBeDefined();
    expectGroupsLearned(model);
  }, 60_000);

  it('writes the model without announcing when NATS is down in file mode', async () => {
    const { events } = generate(3);
    const eventsFile = join(work, 'events-offline.jsonl');
    await writeFile(eventsFile, events.map((e) => JSON.stringify(e)).join('\n'));
    const out = join(work, `models-${randomUUID()}`);
    const run = await runTrainCli(['--events', eventsFile, '--epochs', '2', '--dim', String(D), '--out', out], {
      NATS_URL: `nats://127.0.0.1:${await freePort()}`,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/announced\s+no/);
    const [version] = await readdir(out);
    const model = await readModel(join(out, version!));
    expect(model.contentTable).toBeUndefined();
  }, 60_000);

  it('fails clearly: bad options (exit 2), a missing file (2), NATS down without a file (1)', async () => {
    const bad = await runTrainCli(['--epochs', 'many'], {});
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--epochs must be an integer/);
    const missing = await runTrainCli(['--events', join(work, 'absent.jsonl'), '--no-announce'], {});
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such file/);
    const down = await runTrainCli([], { NATS_URL: `nats://127.0.0.1:${await freePort()}` });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/not reachable.*--events FILE/);
  }, 60_000);
});
