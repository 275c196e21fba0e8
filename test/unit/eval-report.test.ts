import { describe, expect, it } from 'vitest';
import { UsageError } from '../../scripts/lib/args.js';
import { parseEvalArgs } from '../../scripts/eval.js';
import type { EvalDataset } from '../../scripts/eval/dataset.js';
import { REPEATS_FILTER, SHOP_FILTER } from '../../scripts/eval/method.js';
import { RankingMetrics } from '../../scripts/eval/metrics.js';
import type { ReplayResult } from '../../scripts/eval/replay.js';
import { buildReport, formatReport, ms, reportJson, reportPlot } from '../../scripts/eval/report.js';
import { LEARNED_ROW, formatChecks, targetChecks } from '../../scripts/eval/targets.js';

/** A replay result where `method` hits at the given rank in each of `ranks` predictions (0 = miss). */
function fakeReplay(rows: Array<{ method: string; ranks: number[] }>, filters = [REPEATS_FILTER, SHOP_FILTER]): ReplayResult {
  const results = rows.flatMap(({ method, ranks }) =>
    filters.map((filter) => {
      const all = new RankingMetrics({ maxK: 20, catalogSize: 100, coverageKs: [10, 20] });
      const newItems = new RankingMetrics({ maxK: 20, catalogSize: 100, coverageKs: [10, 20] });
      ranks.forEach((rank, i) => {
        const list = Array.from({ length: 20 }, (_, j) => `i${(i * 7 + j) % 100}`);
        const relevant = rank > 0 ? list[rank - 1]! : 'nowhere';
        all.add(list, new Set([relevant]));
        if (i % 2 === 0) newItems.add(list, new Set([relevant]));
      });
      // 4 lists per filter: 2 ms each under the first filter, 5 ms under the second.
      return { method, filter, all, newItems, listSeconds: filter === filters[0] ? 0.008 : 0.02, lists: 4 };
    }),
  );
  // 1,000 events learned in 1.5 + 0.5 s: 2 ms per event.
  const timings = rows.map(({ method }) => ({
    method,
    trainSeconds: 1.5,
    testSeconds: 0.528,
    listSeconds: 0.028,
    learnSeconds: 0.5,
    lists: 8,
    events: 1000,
  }));
  return { dataset: 'x', results, timings, seconds: 4 };
}

const dataset = (name: string): EvalDataset => ({
  name,
  protocol: 'the protocol',
  items: [],
  train: [],
  test: [],
  facts: { predictions: 4, note: 'n' },
});

describe('eval report', () => {
  const replayed = fakeReplay([
    { method: LEARNED_ROW, ranks: [1, 2, 0, 4] },
    { method: 'most popular', ranks: [0, 0, 3, 0] },
    { method: 'co-occurrence, last item', ranks: [2, 0, 0, 0] },
  ]);

  it('prints a table per list filter with P, MRR, NDCG and coverage at each K, in percent', () => {
    const report = buildReport(dataset('online-retail'), replayed, [10, 20], { pulseSettings: { coVisitSeeds: 20 } });
    const text = formatReport(report);
    expect(text).toContain('online-retail: the protocol');
    expect(text).toContain('repeats allowed (excludeRecent 0, includeBought true)');
    expect(text).toContain('shop filters (excludeRecent 20, includeBought false)');
    expect(text).toMatch(/method\s+P@10\s+MRR@10\s+NDCG@10\s+cov@10\s+P@20\s+MRR@20\s+NDCG@20\s+cov@20\s+ms\/list\s+ms\/event/);
    // Learned row: hits at 1, 2, 4 of 4 -> 75.00; MRR (1 + 1/2 + 1/4) / 4 = 43.75.
    expect(text).toMatch(/pulse \(learned \+ streaming\)\s+75\.00\s+43\.75/);
    expect(text).toContain('pulse settings: {"coVisitSeeds":20}');
    expect(text).toContain('new-item targets only (2 predictions');
  });

  it('gives every method and filter all eight metrics and the cost per list and per learned event', () => {
    const report = buildReport(dataset('yoochoose'), replayed, [10, 20], { pulseSettings: {} });
    const row = report.rows.find((r) => r.method === 'most popular' && r.filter.name === SHOP_FILTER.name)!;
    expect(row.atK.map((m) => m.k)).toEqual([10, 20]);
    // 28 ms over 8 lists; 5 ms each under shop filters, 2 ms under repeats allowed.
    expect(row.msPerList).toBeCloseTo(3.5, 9);
    expect(row.msPerListUnderFilter).toBeCloseTo(5, 9);
    expect(row.msPerLearnedEvent).toBeCloseTo(2, 9);
    expect(report.rows.find((r) => r.method === 'most popular' && r.filter.name === REPEATS_FILTER.name)!.msPerListUnderFilter).toBeCloseTo(
      2,
      9,
    );
    // Learned row under shop filters: 75.00 43.75, NDCG@10 (1 + 1/log2 3 + 1/log2 5) / 4 = 51.54,
    // coverage@10: the four lists of 10, each shifted by 7, cover items 0..30 of 100.
    const text = formatReport(report);
    const shop = text.slice(text.indexOf('shop filters ('));
    expect(shop).toMatch(
      /pulse \(learned \+ streaming\)\s+75\.00\s+43\.75\s+51\.54\s+31\.00\s+75\.00\s+43\.75\s+\S+\s+\S+\s+3\.50\s+2\.00/,
    );
    expect(text).toMatch(/most popular 1\.50s train \+ 0\.03s lists \(8\) \+ 0\.50s held-out learning/);
    const json = reportJson(report) as {
      results: Array<{
        method: string;
        filter: { name: string };
        metrics: Record<string, Record<string, number>>;
        cost: Record<string, number>;
      }>;
    };
    const learned = json.results.find((r) => r.method === LEARNED_ROW && r.filter.name === SHOP_FILTER.name)!;
    expect(Object.keys(learned.metrics.k10!).sort()).toEqual(['coverage', 'hitRate', 'mrr', 'ndcg', 'predictions']);
    expect(learned.cost).toEqual({ msPerList: 3.5, msPerListUnderFilter: 5, msPerLearnedEvent: 2 });
    expect(reportPlot(report, SHOP_FILTER, 'sub')).toContain('<title>most popular P@K, 3.50 ms/list</title>');
  });

  it('prints costs with three significant figures, whole ms from 100, and - when unknown', () => {
    expect([ms(0.000412), ms(0.5), ms(3.14159), ms(12.345), ms(250.4), ms(0), ms(Number.NaN)]).toEqual([
      '0.000412',
      '0.500',
      '3.14',
      '12.3',
      '250',
      '0',
      '-',
    ]);
  });

  it('checks the targets: online-retail must beat both baselines at K = 20 under every filter', () => {
    const report = buildReport(dataset('online-retail'), replayed, [10, 20], { pulseSettings: {} });
    const checks = targetChecks(report);
    expect(checks).toHaveLength(8); // 2 filters x 2 baselines x (P, MRR)
    expect(checks.every((c) => c.pass)).toBe(true);
    const losing = buildReport(
      dataset('online-retail'),
      fakeReplay([
        { method: LEARNED_ROW, ranks: [0, 0, 0, 5] },
        { method: 'most popular', ranks: [1, 0, 0, 0] },
      ]),
      [10, 20],
      { pulseSettings: {} },
    );
    const lost = targetChecks(losing);
    expect(lost.some((c) => !c.pass)).toBe(true);
    expect(formatChecks(lost)).toMatch(/MISS\s+P@20 vs most popular, repeats allowed\s+25\.00 > {2}25\.00/);
  });

  it('checks the YooChoose floors on the repeats-allowed list', () => {
    const report = buildReport(dataset('yoochoose'), fakeReplay([{ method: LEARNED_ROW, ranks: [1, 2, 0, 4] }]), [10, 20], {
      pulseSettings: {},
    });
    expect(targetChecks(report).map((c) => [c.what, c.pass, c.value])).toEqual([
      ['P@20, repeats allowed', true, 75],
      ['MRR@20, repeats allowed', true, 43.75],
    ]);
    const weak = buildReport(dataset('yoochoose'), fakeReplay([{ method: LEARNED_ROW, ranks: [0, 0, 20, 20] }]), [10, 20], {
      pulseSettings: {},
    });
    expect(targetChecks(weak).map((c) => c.pass)).toEqual([false, false]);
  });

  it('gives one JSON object with metrics per K and the curve, and an SVG line per method and metric', () => {
    const report = buildReport(dataset('yoochoose'), replayed, [10, 20], { pulseSettings: {} });
    const json = reportJson(report) as {
      results: Array<{ method: string; metrics: Record<string, { hitRate: number; mrr: number }>; curve: unknown[] }>;
    };
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(json.results[0]!.metrics.k20).toMatchObject({ hitRate: 0.75, mrr: 0.4375 });
    expect(json.results[0]!.curve).toHaveLength(20);
    const svg = reportPlot(report, REPEATS_FILTER, 'sub');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('<title>pulse (learned + streaming) P@K, 3.50 ms/list</title>');
    expect(svg).toContain('<title>most popular MRR@K</title>');
  });
});

describe('npm run eval arguments', () => {
  it('defaults to both data sets, training, hnsw, streaming baselines', () => {
    const options = parseEvalArgs([], '/data');
    expect(options).toMatchObject({
      datasets: ['yoochoose', 'online-retail'],
      model: { kind: 'train' },
      index: 'hnsw',
      baselines: 'streaming',
      outDir: '/data/eval',
      json: false,
    });
    expect(options.cutoff).toBe(Date.UTC(2011, 9, 9));
  });

  it('reads every option', () => {
    const options = parseEvalArgs(
      [
        '--dataset',
        'online-retail',
        '--model',
        'm/v1',
        '--json',
        '--index',
        'exact',
        '--baselines',
        'static',
        '--cutoff',
        '2011-11-01',
        '--out',
        '/o',
        '--data',
        '/d',
      ],
      '/data',
    );
    expect(options).toMatchObject({
      datasets: ['online-retail'],
      model: { kind: 'load' },
      index: 'exact',
      baselines: 'static',
      outDir: '/o',
      dataDir: '/d',
      json: true,
      cutoff: Date.UTC(2011, 10, 1),
    });
    expect(parseEvalArgs(['--no-model'], '/data').model).toEqual({ kind: 'none' });
    expect(parseEvalArgs(['--epochs', '5', '--engine', 'typed'], '/data').model).toEqual({ kind: 'train', epochs: 5, engine: 'typed' });
  });

  it('refuses contradictions and bad values with a usage error', () => {
    for (const argv of [
      ['--dataset', 'movies'],
      ['--train', '--no-model'],
      ['--model', 'm'], // needs one data set
      ['--index', 'faiss'],
      ['--baselines', 'sometimes'],
      ['--cutoff', '2011-02-30'],
      ['--epochs', '0'],
      ['--no-model', '--epochs', '3'],
      ['--bogus'],
    ]) {
      expect(() => parseEvalArgs(argv, '/data'), argv.join(' ')).toThrow(UsageError);
    }
  });
});
