import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { NatsTransport } from '../../engine/platform/adapters/nats-transport.js';
import type { PushMessage } from '../../engine/contracts/messages.js';
import type { RecommendationList, StoredEvent } from '../../engine/contracts/schemas.js';
import type { Engine } from '../../engine/engine.js';
import { EngineProbe } from '../../gateway/engine-probe.js';
import { readModel } from '../../models/artifact.js';
import { formatTrainSummary, parseTrainArgs, runTrain, type TrainCliResult } from '../../scripts/train.js';
import { startModelEngine, runTrainCli, type ModelEngine } from '../helpers/model-fixtures.js';
import { clusteredShop } from '../helpers/clustered-shop.js';
import type { TestServer } from '../helpers/servers.js';

/**
 * Issue 14, the model gate, against a running engine (real nats-server and redis-server, engine in
 * process on the NATS and Redis adapters, as test/integration/model-swap.test.ts): a few-event log
 * is refused before training and nothing swaps; a real-sized log with clear structure (300 items in
 * 30 clusters whose members share no attributes, 3,000 sessions inside a cluster) trains a model
 * that beats the attribute model on the held-out sessions, is published, swapped in and shown with
 * its figures by engine.ping (the gateways' /readyz); a weak model is then refused against it, and
 * published only with --force.
 */
const DIM = 32;
const shop = clusteredShop({ items: 300, clusters: 30, sessions: 3000 });
/** The same shop's log a little later: 1,000 more sessions after the first 3,000. */
const later = clusteredShop({
  items: 300,
  clusters: 30,
  sessions: 1000,
  sessionSeed: 8,
  start: shop.events[shop.events.length - 1]!.ts! + 3_600_000,
  userPrefix: 'later',
});

describe('the model gate of npm run train', () => {
  let rig: ModelEngine | undefined;
  let nats: TestServer;
  let transport: NatsTransport;
  let engine: Engine;
  let dataDir: string;
  let eventsFile: string;
  let laterFile: string;
  let good: TrainCliResult;
  const lines: string[] = [];

  beforeAll(async () => {
    // The trainer reads the catalog from the CATALOG stream, as in production.
    rig = await startModelEngine({ name: 'model-gate-test', tag: 'gate', dimension: DIM, catalog: shop.items, lines });
    ({ nats, transport, engine, dataDir } = rig);
    eventsFile = join(dataDir, 'events.jsonl');
    await writeFile(eventsFile, `${shop.events.map((e) => JSON.stringify(e)).join('\n')}\n`);
    laterFile = join(dataDir, 'events-later.jsonl');
    await writeFile(laterFile, `${[...shop.events, ...later.events].map((e) => JSON.stringify(e)).join('\n')}\n`);
  }, 60_000);

  afterAll(async () => {
    await rig?.close();
  });

  const env = () => ({ NATS_URL: nats.url, DATA_DIR: dataDir });
  /** runTrain as `npm run train -- <args>` calls it, with the progress lines collected. */
  const train = async (args: string[], file = eventsFile): Promise<{ result: TrainCliResult; printed: string; progress: string }> => {
    const options = parseTrainArgs(['--events', file, '--dim', String(DIM), ...args], env());
    if (options === 'help') throw new Error('help');
    let progress = '';
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        progress += chunk.toString();
        callback();
      },
    });
    const result = await runTrain(options, pino({ level: 'silent' }), stream);
    return { result, printed: formatTrainSummary(result, { file }), progress };
  };
  const models = async () => (await readdir(join(dataDir, 'models')).catch(() => [])).filter((name) => /^\d{8}T/.test(name));

  it('refuses a few-event log before training, naming the thresholds missed; nothing is written or swapped', async () => {
    const tiny = join(dataDir, 'tiny.jsonl');
    await writeFile(
      tiny,
      `${shop.events
        .slice(0, 40)
        .map((e) => JSON.stringify(e))
        .join('\n')}\n`,
    );
    const run = await runTrainCli(['--events', tiny, '--dim', String(DIM)], env());
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/too little data to train a model worth serving: 40 usable events, fewer than --min-events 1,000/);
    expect(run.stderr).toMatch(/the events cover \d+ of 300 catalog items \(\d+(\.\d)?%\), less than --min-coverage 20%/);
    expect(run.stderr).toMatch(/held-out cases, fewer than --min-heldout 100/);
    expect(run.stderr).not.toMatch(/train item2vec/);
    expect(await models()).toEqual([]);
    expect(engine.status().modelVersion).toBe('attributes-v1');
  }, 30_000);

  it('trains on a real-sized log, beats the attribute model on the held-out sessions, swaps it in and shows its figures', async () => {
    const before = await recommendAfterViews('before');
    ({ result: good } = await (async () => {
      const run = await train(['--epochs', '5']);
      // Both models' figures, printed as a table, and the decision.
      expect(run.printed).toMatch(
        /validation {2}next item after [\d,]+ held-out session prefixes \(300 sessions from 2025-[-\dT:.]+Z: the newest 10%\)/,
      );
      expect(run.printed).toMatch(new RegExp(`new {6}${run.result.version} +1\\.0000 +0\\.\\d{4} +0\\n`));
      expect(run.printed).toMatch(/serving {2}attributes-v1 +0\.\d{4} +0\.\d{4} +0\n/);
      expect(run.printed).toMatch(/\nswap: new HR@20 1\.0000 >= serving 0\.\d{4} - tolerance 0\.01/);
      expect(run.progress).toMatch(/train item2vec \(candidate\)/);
      expect(run.progress).toMatch(/train item2vec \(whole log\)/);
      return run;
    })());
    const v = good.gate.validation;
    expect(good.announced).toBe(true);
    expect(v.cases).toBeGreaterThan(1000);
    expect(v.hitRate).toBe(1);
    // Random within a cluster of 10: 1/r averaged over ranks 1..9 is ~0.31.
    expect(v.mrr).toBeGreaterThan(0.25);
    expect(v.serving).toMatchObject({ version: 'attributes-v1' });
    expect(v.serving.hitRate).toBeLessThan(0.4);
    const manifest = (await readModel(good.dir!)).manifest;
    expect(manifest.validation).toEqual(v);
    expect(manifest.training.events).toBe(shop.events.length); // refit on the whole log

    await expect.poll(() => engine.status().modelVersion, { timeout: 20_000, interval: 20, message: 'model swap' }).toBe(good.version);
    // What a gateway's /readyz shows: the engine's answer to engine.ping.
    const probe = new EngineProbe(transport.rpcClient, { timeoutMs: 2000 });
    expect((await probe.checks()).engine?.ok).toBe(true);
    expect(probe.model).toMatchObject({
      version: good.version,
      createdAt: manifest.createdAt,
      learnedItems: 300,
      validation: { k: 20, hitRate: v.hitRate, mrr: v.mrr, cases: v.cases, forced: false },
    });
    expect(lines.some((line) => line.includes(`model ${good.version} has learned vectors for 300 of 300 catalog items`))).toBe(true);

    // A shopper who viewed three items of a cluster is now shown the rest of that cluster.
    const after = await recommendAfterViews('after');
    expect(after.modelVersion).toBe(good.version);
    expect(after.sameCluster).toBeGreaterThanOrEqual(5);
    expect(after.sameCluster).toBeGreaterThan(before.sameCluster);
  }, 60_000);

  it('judges only on events newer than the serving model: the same log again is refused before training', async () => {
    expect(good).toBeDefined();
    await expect(train(['--epochs', '5'])).rejects.toThrow(
      /0 held-out cases, fewer than --min-heldout 100 after the serving model's last training event \(2025-[-\dT:.]+Z\): new events are needed/,
    );
    expect(await models()).toEqual([good.version]);
  });

  it('refuses a weak model against the good serving one on newer events, and publishes it only with --force', async () => {
    expect(good).toBeDefined();
    const weakArgs = ['--epochs', '1', '--optimizer', 'sgd', '--lr', '0.001'];
    const refused = await train(weakArgs, laterFile);
    // The newest 10% of 4,000 sessions: all of them after the good model's training data.
    expect(refused.result.gate.validation.heldOutSessions).toBe(400);
    expect(refused.result.gate.validation.heldOutFrom).toBeGreaterThan(shop.events[shop.events.length - 1]!.ts!);
    expect(refused.result.dir).toBeUndefined();
    expect(refused.result.announced).toBe(false);
    expect(refused.result.gate.publish).toBe(false);
    expect(refused.result.gate.validation.serving.version).toBe(good.version);
    expect(refused.result.gate.validation.hitRate).toBeLessThan(good.gate.validation.hitRate - 0.3);
    expect(refused.printed).toMatch(
      /\nrefused: new HR@20 0\.\d{4} < serving 1\.0000 - tolerance 0\.01: the new model is worse than the serving one \(use --force to publish it anyway\)/,
    );
    expect(refused.printed).toMatch(/output {5}none/);
    expect(await models()).toEqual([good.version]);
    await new Promise((r) => setTimeout(r, 300));
    expect(engine.status().modelVersion).toBe(good.version);

    const forced = await train([...weakArgs, '--force', '--no-refit'], laterFile);
    expect(forced.result.gate.publish).toBe(true);
    expect(forced.printed).toMatch(/\nforced swap: .*published because of --force/);
    const manifest = (await readModel(forced.result.dir!)).manifest;
    expect(manifest.validation).toMatchObject({ forced: true, serving: { version: good.version } });
    expect(manifest.training.events).toBe(shop.events.length + later.events.length - 400 * 6); // --no-refit: the candidate itself
    await expect
      .poll(() => engine.status().modelVersion, { timeout: 20_000, interval: 20, message: 'forced swap' })
      .toBe(forced.result.version);
    expect(engine.status().model.validation?.forced).toBe(true);
  }, 60_000);

  /** Views three items of cluster 0 as a new shopper; how many of the list pushed after the last are of that cluster. */
  async function recommendAfterViews(tag: string): Promise<{ modelVersion: string; sameCluster: number }> {
    const userId = `viewer-${tag}`;
    const pushed: RecommendationList[] = [];
    const unsubscribe = transport.pushSubscriber.subscribeUser(
      userId,
      (m: PushMessage) => m.event === 'recommendations' && pushed.push(m.data),
    );
    try {
      await transport.flush();
      const cluster = [...shop.clusterOf].filter(([, c]) => c === 0).map(([id]) => id);
      const now = Date.now();
      for (const [n, itemId] of cluster.slice(0, 3).entries()) {
        const event: StoredEvent = { id: `${tag}-${n}`, userId, type: 'view', itemId, ts: now + n, receivedAt: now + n };
        await transport.eventLog.append(event);
      }
      const list = await vi.waitFor(
        () => {
          const found = pushed.find((l) => l.cause === `${tag}-2`);
          if (!found) throw new Error(`no push after ${userId}'s views yet`);
          return found;
        },
        { timeout: 10_000, interval: 20 },
      );
      return { modelVersion: list.modelVersion, sameCluster: list.items.filter((item) => shop.clusterOf.get(item.itemId) === 0).length };
    } finally {
      unsubscribe();
    }
  }
});
