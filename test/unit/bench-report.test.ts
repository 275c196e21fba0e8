import { describe, expect, it } from 'vitest';
import { parseBenchArgs, socketRateFor } from '../../scripts/bench.js';
import { inBatches, parseCpuProcesses, parseLoadArgs } from '../../scripts/bench/load.js';
import { logProblems } from '../../scripts/bench/phase.js';
import { fixedList } from '../../scripts/bench/echo-engine.js';
import {
  addedLatency,
  benchPlot,
  cpuModelOf,
  formatComparison,
  formatConditions,
  formatDelta,
  formatErrors,
  formatMs,
  parseLoadResult,
  renderTable,
  type LoadResult,
} from '../../scripts/bench/report.js';
import { summarize } from '../../scripts/bench/stats.js';
import { UsageError } from '../../scripts/lib/args.js';

function result(label: string, pushMs: number[], overrides: Partial<LoadResult> = {}): LoadResult {
  return {
    label,
    sockets: { requested: 1000, connected: 1000, errors: {}, totalMs: 1200, connect: summarize([5, 6, 7]) },
    catalog: { visible: 2700, sampled: 2000 },
    window: { warmupS: 3, durationS: 20 },
    targetRate: 2000,
    events: { sent: 40_000, acked: 39_990, failed: 10 },
    rates: { eventsPerSec: 2000, acksPerSec: 1999.5, pushesPerSec: 1990 },
    ack: summarize([1, 2, 3]),
    push: summarize(pushMs),
    noPush: 190,
    latePush: summarize([6000, 7000]),
    unmatchedPushes: 0,
    repeatPushes: 0,
    pushesReceived: 39_800,
    answeredByLater: 12,
    pushTimeoutMs: 5000,
    errors: { rate_limited: 4, ack_timeout: 6 },
    sendLag: summarize([0.5, 1]),
    generatorCpu: 0.42,
    series: [
      { second: 0, events: 2000, acks: 1999, pushes: 1990, pushP50: 3, pushP99: 9 },
      { second: 1, events: 2000, acks: 2000, pushes: 0, pushP50: null, pushP99: null },
    ],
    ...overrides,
  };
}

describe('parseLoadResult', () => {
  it('takes the last JSON line and validates it', () => {
    const r = result('floor', [1, 2, 3]);
    const stdout = `some log line\n{"not":"it"}\n${JSON.stringify(r)}\n`;
    expect(parseLoadResult(stdout)).toEqual(r);
  });

  it('says what is wrong otherwise', () => {
    expect(() => parseLoadResult('nothing here\n')).toThrow(/no result line/);
    expect(() => parseLoadResult('{broken\n')).toThrow(/not JSON/);
    expect(() => parseLoadResult('{"label":"x"}\n')).toThrow(/unexpected shape: sockets/);
  });
});

describe('formatting', () => {
  it('formats milliseconds by magnitude and deltas with a sign', () => {
    expect(formatMs(1.234)).toBe('1.23');
    expect(formatMs(12.34)).toBe('12.3');
    expect(formatMs(1234.5)).toBe('1,235');
    expect(formatMs(null)).toBe('-');
    expect(formatDelta(12, 2)).toBe('+10.0');
    expect(formatDelta(2, 3.5)).toBe('-1.50');
    expect(formatDelta(null, 3)).toBe('-');
  });

  it('lists errors by count, or none', () => {
    expect(formatErrors({})).toBe('none');
    expect(formatErrors({ a: 1, b: 5, c: 0 })).toBe('b 5, a 1');
  });

  it('aligns a table: first column left, the rest right, a rule under the header', () => {
    const text = renderTable([
      ['', 'x', 'yy'],
      ['long label', '1', '22'],
      ['s', '333', ''],
    ]);
    expect(text.split('\n')).toEqual(['              x  yy', '----------  ---  --', 'long label    1  22', 's           333']);
  });

  it('reads the CPU model from /proc/cpuinfo text', () => {
    expect(cpuModelOf('processor\t: 0\nmodel name\t: Intel(R)  Xeon(R) CPU\nflags: x\n')).toBe('Intel(R) Xeon(R) CPU');
    expect(cpuModelOf('Hardware\t: BCM2835\n')).toBe('BCM2835');
    expect(cpuModelOf('')).toBe('unknown');
  });

  it('prints the conditions, flagging a busy machine', () => {
    const text = formatConditions({
      machine: { cpu: 'TestCPU', cores: 2, memoryBytes: 8 * 2 ** 30, node: 'v20.0.0', os: 'Linux', loadAverage: 3 },
      sockets: 1000,
      ratePerSecond: 2000,
      durationS: 20,
      warmupS: 3,
      catalogItems: 3000,
      partitions: 16,
      pushTimeoutMs: 5000,
      servers: 'private',
      notes: ['a note'],
    });
    expect(text).toContain('TestCPU, 2 cores, 8.0 GiB RAM, Node v20.0.0');
    expect(text).toContain('2.00/s per socket');
    expect(text).toContain('busy machine');
    expect(text).toContain('3,000 items');
    expect(text).toContain('note        a note');
  });
});

describe('comparison', () => {
  const floor = result('floor', [2, 3, 4, 5]);
  const pulse = result('pulse', [7, 9, 12, 30]);

  it('computes what the engine adds per percentile', () => {
    const added = addedLatency({ floor, pulse });
    expect(added.p50).toBe(9 - 3);
    expect(added.max).toBe(30 - 5);
    expect(addedLatency({ floor })).toEqual({ p50: null, p95: null, p99: null, max: null });
  });

  it('prints both phases and the difference', () => {
    const lines = formatComparison({ floor, pulse }).split('\n');
    expect(lines[0]).toMatch(/floor\s+pulse\s+engine adds$/);
    expect(lines.find((l) => l.startsWith('event->push p50'))).toMatch(/3\.00\s+9\.00\s+\+6\.00$/);
    expect(lines.find((l) => l.startsWith('no push within 5 s'))).toContain('190 (0.48%)');
    expect(lines.find((l) => l.includes('came late'))).toMatch(/2 \(p50 6,000 ms\)\s+2 \(p50 6,000 ms\)$/);
    expect(lines.find((l) => l.startsWith('errors'))).toContain('ack_timeout 6, rate_limited 4');
    expect(lines.find((l) => l.startsWith('generator CPU'))).toMatch(/42%\s+42%$/);
    expect(lines.find((l) => l.startsWith('answered by a later'))).toMatch(/12 \(0\.03%\)\s+12 \(0\.03%\)$/);
  });

  it('prints one phase alone without the difference column', () => {
    const text = formatComparison({ pulse });
    expect(text).not.toContain('engine adds');
    expect(text).not.toContain('floor');
    expect(text.split('\n')[0]).toMatch(/pulse$/);
  });

  it('plots both phases as SVG', () => {
    const svg = benchPlot({ floor, pulse }, 'conditions');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const name of ['floor push p50', 'floor push p99', 'pulse push p50', 'pulse events/s']) expect(svg).toContain(name);
  });
});

describe('command lines', () => {
  it('parses bench options with defaults: the rate search unless a rate is given', () => {
    const options = parseBenchArgs([], '/data');
    expect(options).toMatchObject({
      mode: 'find-max',
      sockets: 1000,
      socketsExplicit: false,
      ratePerSecond: undefined,
      durationS: 8,
      warmupS: 2,
      json: false,
      outDir: '/data/bench',
      phases: ['floor', 'pulse'],
    });
    expect(options.search).toMatchObject({ startRate: 100, bisectSteps: 3 });
    expect(options.criteria).toMatchObject({ p99LimitMs: 50, minAnsweredShare: 0.99 });
    expect(parseBenchArgs(['--rate', '1000'], '/data')).toMatchObject({ mode: 'fixed', ratePerSecond: 1000, durationS: 20, warmupS: 3 });
    expect(parseBenchArgs(['--sockets', '200', '--duration', '5', '--json', '--only', 'pulse', '--out', '/tmp/x'], '/data')).toMatchObject({
      sockets: 200,
      socketsExplicit: true,
      durationS: 5,
      json: true,
      phases: ['pulse'],
      outDir: '/tmp/x',
    });
    expect(parseBenchArgs(['--p99', '80', '--answered', '98.5', '--start-rate', '50', '--budget', '120'], '/d')).toMatchObject({
      criteria: { p99LimitMs: 80, minAnsweredShare: 0.985 },
      search: { startRate: 50 },
      budgetS: 120,
    });
  });

  it('parses the backlog mode and its bounds', () => {
    const options = parseBenchArgs(['--backlog', '--events', '20000', '--items', '2000', '--users', '2000'], '/d');
    expect(options.mode).toBe('backlog');
    expect(options.backlog).toMatchObject({
      events: 20_000,
      items: 2000,
      users: 2000,
      extraItems: 50_000,
      batchSize: 1000,
      itemBatchSize: 1000,
      concurrency: 8,
    });
    expect(() => parseBenchArgs(['--backlog', '--batch', '1001'], '/d')).toThrow(/--batch must be an integer in \[1, 1000\]/);
  });

  it('refuses mixed modes and options of another mode', () => {
    expect(() => parseBenchArgs(['--rate', '10', '--backlog'], '/d')).toThrow(/choose one mode/);
    expect(() => parseBenchArgs(['--find-max', '--rate', '10'], '/d')).toThrow(/choose one mode/);
    expect(() => parseBenchArgs(['--events', '10'], '/d')).toThrow(/only apply to --backlog/);
    expect(() => parseBenchArgs(['--backlog', '--sockets', '10'], '/d')).toThrow(/only apply to --find-max and --rate/);
    expect(() => parseBenchArgs(['--rate', '10', '--bisect', '2'], '/d')).toThrow(/only apply to --find-max/);
    expect(() => parseBenchArgs(['--answered', '0'], '/d')).toThrow(UsageError);
  });

  it('refuses bad bench options with a usage error', () => {
    expect(() => parseBenchArgs(['--sockets', '0'], '/d')).toThrow(UsageError);
    expect(() => parseBenchArgs(['--rate', 'fast'], '/d')).toThrow(UsageError);
    expect(() => parseBenchArgs(['--only', 'both'], '/d')).toThrow(UsageError);
    expect(() => parseBenchArgs(['--bogus'], '/d')).toThrow(UsageError);
  });

  it('parses the processes whose CPU the load generator samples', () => {
    expect(parseCpuProcesses('')).toEqual([]);
    expect(parseCpuProcesses('gateway=12, nats-server=34')).toEqual([
      { name: 'gateway', pid: 12 },
      { name: 'nats-server', pid: 34 },
    ]);
    expect(() => parseCpuProcesses('gateway')).toThrow(UsageError);
    expect(() => parseCpuProcesses('gateway=0')).toThrow(UsageError);
  });

  it('parses load options; members need the secret', () => {
    const options = parseLoadArgs(['--url', 'http://127.0.0.1:9/x', '--members', '0.25'], { AUTH_SECRET: 's' });
    expect(options).toMatchObject({ url: 'http://127.0.0.1:9', memberShare: 0.25, authSecret: 's', pushTimeoutMs: 5000 });
    expect(parseLoadArgs(['--url', 'http://h'], {}).authSecret).toBeUndefined();
    expect(() => parseLoadArgs([], {})).toThrow(/--url is required/);
    expect(() => parseLoadArgs(['--url', 'nope'], {})).toThrow(UsageError);
    expect(() => parseLoadArgs(['--url', 'http://h', '--members', '2'], {})).toThrow(UsageError);
  });

  it('raises the per-socket limit only when the jittered rate could hit it, and never over an explicit one', () => {
    expect(socketRateFor(2000, 1000, undefined)).toBeUndefined();
    expect(socketRateFor(2000, 10, undefined)).toBe(500);
    expect(socketRateFor(2000, 10, '60')).toBeUndefined();
  });

  it('finds warnings and errors in child output', () => {
    const out = ['{"level":30,"msg":"ok"}', '{"level":40,"msg":"warn"}', '{"level":50,"msg":"bad"}', 'Error: boom', 'fine'].join('\n');
    const problems = logProblems(out, 2);
    expect(problems.count).toBe(3);
    expect(problems.last).toEqual(['{"level":50,"msg":"bad"}', 'Error: boom']);
  });
});

describe('helpers', () => {
  it('inBatches keeps order and bounds concurrency', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await inBatches([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5 * (8 - n)));
      inFlight--;
      return n * 10;
    });
    expect(out).toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(peak).toBe(3);
  });

  it('the echo list is fixed, ranked and k long', () => {
    const items = Array.from({ length: 5 }, (_, i) => ({ itemId: `i${i}`, title: 't', category: 'c', price: 1 }));
    const list = fixedList(items, 3);
    expect(list.items.map((i) => i.itemId)).toEqual(['i0', 'i1', 'i2']);
    expect(list.items[0]!.score).toBeGreaterThan(list.items[2]!.score);
    expect(list.modelVersion).toBe('echo');
  });
});
