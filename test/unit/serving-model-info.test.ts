import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryTransport } from '../../engine/platform/adapters/memory-transport.js';
import type { ServingModelInfo } from '../../engine/contracts/model-info.js';
import type { Item } from '../../engine/contracts/schemas.js';
import { AttributeVectorSource, describeSource } from '../../engine/recommend/model-registry.js';
import { TokenService } from '../../gateway/auth.js';
import { loadGatewayConfig } from '../../gateway/config.js';
import { Gateway } from '../../gateway/main.js';
import { ContentEncoder, itemFeatures } from '../../models/content-encoder.js';
import { hashFeatures, towerKnownShare } from '../../models/content-tower.js';
import { LearnedVectorSource } from '../../models/learned-vector-source.js';

/** The serving model as /readyz shows it, and the vectors a learned model gives items it did not learn. */

const D = 16;
const SECRET = 'serving-model-test-secret-0123456789';

const model: ServingModelInfo = {
  version: '20250301T101500Z-1a2b3c',
  createdAt: Date.UTC(2025, 2, 1),
  trainedTo: Date.UTC(2025, 1, 28),
  learnedItems: 300,
  validation: {
    k: 20,
    hitRate: 0.41,
    mrr: 0.15,
    cases: 1500,
    serving: { version: 'attributes-v1', hitRate: 0.19, mrr: 0.08 },
    forced: false,
  },
};

describe('/readyz of a gateway without an engine in its process', () => {
  let gateway: Gateway | undefined;
  let transport: MemoryTransport | undefined;
  afterEach(async () => {
    await gateway?.close();
    await transport?.close();
  });

  it('carries the model the answering engine serves, with its held-out figures, ready or not', async () => {
    const logger = pino({ level: 'silent' });
    const config = loadGatewayConfig({ PORT: '0', HOST: '127.0.0.1', AUTH_SECRET: SECRET, READYZ_ENGINE_TIMEOUT_MS: '200' });
    transport = new MemoryTransport({ partitions: config.partitions, ackWaitMs: 5000, logger });
    let ready = false;
    transport.rpcServer.serve('engine.ping', async () => ({ engineId: 'e1', ready, checks: {}, model }));
    gateway = new Gateway({
      config,
      logger,
      eventLog: transport.eventLog,
      rpc: transport.rpcClient,
      push: transport.pushSubscriber,
      tokens: new TokenService(SECRET),
      readiness: async () => ({ ready: true, checks: { nats: { ok: true, detail: 'connected' } } }),
      probeEngine: true,
    });
    await gateway.start();
    const readyz = async () => {
      const res = await fetch(`http://127.0.0.1:${gateway!.port}/readyz`);
      return { status: res.status, body: (await res.json()) as { ready: boolean; model?: ServingModelInfo } };
    };
    const starting = await readyz();
    expect(starting.status).toBe(503);
    expect(starting.body.model).toEqual(model);
    ready = true;
    await new Promise((r) => setTimeout(r, 1100)); // the probe's answer is cached for a second
    const up = await readyz();
    expect(up.status).toBe(200);
    expect(up.body.model).toEqual(model);
  });
});

describe('a learned model and the items it did not learn', () => {
  const fallback = new ContentEncoder({ dimension: D });
  const lamp: Item = {
    itemId: 'lamp',
    title: 'Nordlys Brass Floor Lamp',
    category: 'home/lamps',
    brand: 'Nordlys',
    price: 120,
    tags: ['lighting'],
  };
  const monitors: Item = {
    itemId: 'monitors',
    title: 'Sonara Hi-Fi Studio Monitors',
    category: 'electronics/audio',
    brand: 'Sonara',
    price: 119,
    tags: ['hi-fi'],
  };
  const moreMonitors: Item = {
    itemId: 'monitors-2',
    title: 'Sonara Compact Studio Monitors',
    category: 'electronics/audio',
    brand: 'Sonara',
    price: 99,
    tags: ['hi-fi'],
  };

  /** A tower trained on the monitors' features only (every other row zero, as training leaves them). */
  function source(): LearnedVectorSource {
    const buckets = 4096;
    const table = new Float32Array(buckets * D);
    for (const { row } of hashFeatures(itemFeatures(monitors), buckets, 1))
      for (let i = 0; i < D; i++) table[row * D + i] = i === 0 ? 1 : 0.01 * i;
    const vectors = new Float32Array(D);
    vectors[0] = 1;
    return new LearnedVectorSource(
      {
        manifest: { version: 'v1', dimension: D, itemIds: ['monitors'], contentTower: { buckets, seed: 1 } },
        vectors,
        rowOf: new Map([['monitors', 0]]),
        contentTable: table,
      },
      fallback,
    );
  }

  it('places an item through the tower when it knows most of its features, and keeps the attribute vector when it knows little', () => {
    const s = source();
    const tower = { table: s.model.contentTable!, buckets: 4096, seed: 1, dimension: D };
    expect(towerKnownShare(tower, moreMonitors)).toBeGreaterThan(0.5);
    // The lamp shares only the price band with the monitors: the tower would put it on top of them.
    expect(towerKnownShare(tower, lamp)).toBeGreaterThan(0);
    expect(towerKnownShare(tower, lamp)).toBeLessThan(0.2);
    expect(s.vectorWithOrigin(monitors).origin).toBe('learned');
    expect(s.vectorWithOrigin(moreMonitors).origin).toBe('tower');
    const placed = s.vectorWithOrigin(lamp);
    expect(placed.origin).toBe('attributes');
    expect(Array.from(placed.vector)).toEqual(Array.from(fallback.encodeItem(lamp)));
    // With the share rule off, the one shared feature decides: the lamp lands on the monitors.
    const loose = new LearnedVectorSource(s.model, fallback, { minTowerShare: 0 });
    expect(loose.vectorWithOrigin(lamp).origin).toBe('tower');
    expect(loose.vectorFor(lamp)[0]).toBeGreaterThan(0.9);
  });

  it('does not trust a tower that failed on its held-out items (attribute vectors instead), unless nothing else can place the item', () => {
    const fitted = source().model;
    const weak = new LearnedVectorSource(
      { ...fitted, manifest: { ...fitted.manifest, metrics: { towerValidationCosine: -0.08 } } },
      fallback,
    );
    expect(weak.hasContentTower).toBe(false);
    expect(weak.vectorWithOrigin(moreMonitors).origin).toBe('attributes');
    expect(weak.vectorWithOrigin(monitors).origin).toBe('learned');
    const sound = new LearnedVectorSource(
      { ...fitted, manifest: { ...fitted.manifest, metrics: { towerValidationCosine: 0.35 } } },
      fallback,
    );
    expect(sound.vectorWithOrigin(moreMonitors).origin).toBe('tower');
    // An attribute encoder of another dimension cannot stand in: the tower is used after all.
    const only = new LearnedVectorSource(
      { ...fitted, manifest: { ...fitted.manifest, metrics: { towerValidationCosine: -0.08 } } },
      new ContentEncoder({ dimension: D * 2 }),
    );
    expect(only.vectorWithOrigin(moreMonitors).origin).toBe('tower');
  });

  it('describes a learned model with its figures, and the attribute model by its version only', () => {
    expect(describeSource(new AttributeVectorSource(fallback))).toEqual({ version: 'attributes-v1' });
    const s = source();
    expect(describeSource(s)).toEqual({ version: 'v1', learnedItems: 1 });
  });
});
