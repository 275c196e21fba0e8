import { describe, expect, it } from 'vitest';
import { EventInputSchema, ItemSchema } from '../../engine/contracts/schemas.js';
import { backlogEvents, backlogItem, backlogItems, takeBatch, ZipfSampler } from '../../scripts/bench/backlog-data.js';
import { formatBacklog, judgeBacklog, type BacklogFigures, type StageFigures } from '../../scripts/bench/backlog-report.js';
import { engineCounters, parsePromText, sumOf } from '../../scripts/bench/prom-text.js';
import { ackedMessages } from '../../scripts/bench/replay-watch.js';

const options = { events: 5000, items: 500, users: 200, seed: 7, startTs: 1_700_000_000_000, spanMs: 30 * 24 * 3600 * 1000 };

describe('backlog data', () => {
  it('is the same for the same seed, and valid events and items', () => {
    const first = [...backlogEvents(options)];
    expect([...backlogEvents(options)]).toEqual(first);
    expect([...backlogEvents({ ...options, seed: 8 })]).not.toEqual(first);
    expect(first).toHaveLength(5000);
    for (const event of first.slice(0, 300)) expect(EventInputSchema.safeParse(event).success).toBe(true);
    expect(ItemSchema.safeParse(backlogItem('bi', 3)).success).toBe(true);
    expect(backlogItems('bx', 10, 13).map((i) => i.itemId)).toEqual(['bx10', 'bx11', 'bx12']);
    expect(new Set(first.map((e) => `${e.userId}/${e.id}`)).size).toBe(5000);
  });

  it('spreads users evenly, keeps time order in the past span, and mixes the event types', () => {
    const events = [...backlogEvents(options)];
    const perUser = new Map<string, number>();
    for (const e of events) perUser.set(e.userId, (perUser.get(e.userId) ?? 0) + 1);
    expect(perUser.size).toBe(200);
    const counts = [...perUser.values()];
    // 25 events a user on average; sessions of 2..6 events are dealt round robin.
    expect(Math.min(...counts)).toBeGreaterThan(12);
    expect(Math.max(...counts)).toBeLessThan(40);
    for (let i = 1; i < events.length; i++) expect(events[i]!.ts).toBeGreaterThanOrEqual(events[i - 1]!.ts);
    expect(events[0]!.ts).toBe(options.startTs);
    expect(events.at(-1)!.ts).toBe(options.startTs + options.spanMs);
    const types = new Map<string, number>();
    for (const e of events) types.set(e.type, (types.get(e.type) ?? 0) + 1);
    expect(types.get('view')! / events.length).toBeGreaterThan(0.5);
    for (const type of ['click', 'add_to_cart', 'purchase']) expect(types.get(type) ?? 0).toBeGreaterThan(0);
    // A purchase buys what the session put in the cart.
    const purchase = events.find((e) => e.type === 'purchase')!;
    expect(purchase.type === 'purchase' && purchase.items.length).toBeGreaterThan(0);
  });

  it('makes a few items popular (Zipf-like)', () => {
    const sampler = new ZipfSampler(1000);
    expect(sampler.rank(0)).toBe(0);
    expect(sampler.rank(0.999999)).toBe(999);
    const events = [...backlogEvents({ ...options, events: 20_000, items: 2000 })].filter((e) => e.type === 'view');
    const views = new Map<string, number>();
    for (const e of events) if (e.type === 'view') views.set(e.itemId, (views.get(e.itemId) ?? 0) + 1);
    const sorted = [...views.values()].sort((a, b) => b - a);
    const top20 = sorted.slice(0, 20).reduce((a, b) => a + b, 0);
    expect(top20 / events.length).toBeGreaterThan(0.15);
  });

  it('takes batches until the iterator ends', () => {
    const it = [1, 2, 3, 4, 5][Symbol.iterator]();
    expect([takeBatch(it, 2), takeBatch(it, 2), takeBatch(it, 2), takeBatch(it, 2)]).toEqual([[1, 2], [3, 4], [5], []]);
  });
});

const METRICS = `# HELP pulse_engine_events_applied_total Events
# TYPE pulse_engine_events_applied_total counter
pulse_engine_events_applied_total{type="view"} 700
pulse_engine_events_applied_total{type="purchase"} 30
pulse_engine_events_duplicate_total 5
pulse_engine_events_retried_total 0
pulse_engine_partition_lease_losses_total 2
pulse_engine_errors_total{code="lease_round"} 1
pulse_engine_rpc_seconds_bucket{le="0.1",method="catalog.upsert"} 3
pulse_engine_rpc_seconds_bucket{le="0.5",method="catalog.upsert"} 4
pulse_engine_rpc_seconds_bucket{le="+Inf",method="catalog.upsert"} 9
pulse_engine_rpc_seconds_sum{method="catalog.upsert"} 12.5
pulse_engine_rpc_seconds_count{method="catalog.upsert"} 9
pulse_engine_rpc_expired_total{method="catalog.upsert"} 1
pulse_engine_rpc_rejected_total{method="recommend"} 4
pulse_engine_events_dead_lettered_total{code="bad_event"} 3
pulse_engine_shopper_index_waiting 42
weird_metric{a="x\\"y"} NaN
`;

describe('engine metrics text', () => {
  it('parses samples with labels, and sums counters over them', () => {
    const samples = parsePromText(METRICS);
    expect(samples.find((s) => s.name === 'weird_metric')?.labels).toEqual({ a: 'x"y' });
    expect(sumOf(samples, 'pulse_engine_events_applied_total')).toBe(730);
    expect(sumOf(samples, 'pulse_engine_events_applied_total', { type: 'purchase' })).toBe(30);
    expect(sumOf(samples, 'missing_total')).toBe(0);
  });

  it('reads the counters the backlog follows, with rpc calls over half a second', () => {
    expect(engineCounters(METRICS)).toEqual({
      applied: 730,
      duplicates: 5,
      retried: 0,
      leaseLosses: 2,
      deadLettered: 3,
      shopperIndexWaiting: 42,
      errors: { lease_round: 1 },
      rpc: { 'catalog.upsert': { calls: 9, slow: 5, expired: 1, rejected: 0 }, recommend: { calls: 0, slow: 0, expired: 0, rejected: 4 } },
    });
  });
});

describe('replay progress from the consumers', () => {
  it('counts a partition without a consumer as nothing acked', () => {
    expect(ackedMessages([10, 20, 30], [{ pending: 0, ackPending: 0 }, undefined, { pending: 5, ackPending: 5 }])).toBe(30);
    expect(ackedMessages([10], [{ pending: 12, ackPending: 0 }])).toBe(0);
  });
});

function stage(overrides: Partial<StageFigures> = {}): StageFigures {
  const cost = (name: string, msPerEvent: number) => ({ name, cpuMs: msPerEvent * 1000, msPerEvent, coreShare: 0.5 });
  return {
    events: 20_000,
    seconds: 20,
    eventsPerSec: 1000,
    complete: true,
    applied: 20_000,
    duplicates: 0,
    retried: 0,
    leaseLosses: 0,
    deadLettered: 0,
    shopperIndexWaiting: 0,
    shopperIndexSeconds: 2.5,
    errors: {},
    rpc: { 'catalog.upsert': { calls: 52, slow: 0, expired: 0, rejected: 0 } },
    costs: [
      cost('gateway', 0.05),
      cost('engine', 0.3),
      cost('nats-server', 0.04),
      cost('redis-server', 0.03),
      cost('load generator', 0.01),
    ],
    ...overrides,
  };
}

function figures(overrides: Partial<BacklogFigures> = {}): BacklogFigures {
  return {
    mode: 'backlog',
    data: {
      events: 20_000,
      items: 2000,
      users: 2000,
      extraItems: 50_000,
      seed: 1,
      batchSize: 1000,
      itemBatchSize: 1000,
      concurrency: 8,
      stallS: 120,
      loggedMessages: 20_000,
    },
    catalog: { items: 2000, seconds: 2 },
    ingest: { ...stage(), postSeconds: 8 },
    extraCatalog: { items: 50_000, seconds: 40, finishedBeforeApplied: false },
    replay: { ...stage({ events: 19_000, seconds: 10, eventsPerSec: 1900 }), startSeconds: 6, appliedBeforeTiming: 1000 },
    requests: { http504: 0, clientTimeouts: 0, appendTimeouts: 0, other: {} },
    ...overrides,
  };
}

describe('backlog verdict and report', () => {
  it('passes only with every event applied, no lease lost and no request timed out', () => {
    expect(judgeBacklog(figures())).toMatchObject({ pass: true, reasons: [] });
    const bad = judgeBacklog(
      figures({
        ingest: { ...stage({ leaseLosses: 2, complete: false, seconds: null, applied: 15_000, deadLettered: 1 }), postSeconds: 8 },
        replay: { ...stage({ leaseLosses: 1 }), startSeconds: 6, appliedBeforeTiming: 0 },
        requests: { http504: 3, clientTimeouts: 1, appendTimeouts: 2, other: {} },
      }),
    );
    expect(bad.pass).toBe(false);
    expect(bad.reasons).toEqual([
      '(a) stalled at 15,000 of 20,000 events applied',
      '1 event(s) dead-lettered',
      '3 partition lease(s) lost',
      '6 timed-out request(s) or append(s)',
    ]);
  });

  it('prints rates, CPU per event, lease losses, timeouts and the verdict', () => {
    const text = formatBacklog(judgeBacklog(figures({ requests: { http504: 2, clientTimeouts: 0, appendTimeouts: 0, other: {} } })));
    const line = (start: string) => text.split('\n').find((l) => l.startsWith(start)) ?? '';
    expect(text).toContain('20,000 events of 2,000 users over 2,000 items (seed 1)');
    expect(line('(a) posted -> applied')).toMatch(/20,000\s+20\.0\s+1,000$/);
    expect(line('(a) posting')).toMatch(/2,500$/);
    expect(line('    second catalog')).toMatch(/1,250 \(ended after \(a\)\)$/);
    expect(line('(b) replay')).toMatch(/19,000\s+10\.0\s+1,900$/);
    expect(line('engine  ')).toMatch(/0\.300 \(50%\)\s+0\.300 \(50%\)$/);
    expect(line('bench (posting events)')).toContain('0.0100');
    expect(line('partition lease losses')).toMatch(/0\s+0$/);
    expect(line('engine rpc calls')).toMatch(/catalog\.upsert 52\s+catalog\.upsert 52$/);
    expect(line('timed-out requests')).toContain('2 (HTTP 504: 2');
    expect(line('shoppers like you caught up')).toMatch(/2\.50 \(in the CPU figures\)\s+2\.50 \(in the CPU figures\)$/);
    expect(line('verdict')).toBe('verdict  FAIL: 2 timed-out request(s) or append(s)');
  });
});
