import { describe, expect, it } from 'vitest';
import { summarize } from '../../scripts/bench/stats.js';
import type { MeasuredStep, PhaseSearch } from '../../scripts/bench/find-max.js';
import {
  bracket,
  DEFAULT_CRITERIA,
  DEFAULT_SEARCH,
  judgeStep,
  nextRate,
  roundRate,
  socketsFor,
  sustainedRate,
  type SearchOptions,
  type SearchStep,
} from '../../scripts/bench/rate-search.js';
import type { LoadResult } from '../../scripts/bench/report.js';
import {
  findMaxCpuColumns,
  formatCpuTable,
  formatFindMaxSummary,
  formatSteps,
  searchPlot,
  stepAtSustained,
  sustainedRatio,
  type FindMaxReport,
} from '../../scripts/bench/search-report.js';

/** Runs the search against a server whose capacity is `capacity` events/s; the rates tried. */
function simulate(capacity: number, options: SearchOptions = DEFAULT_SEARCH): { tried: number[]; sustained: number | null } {
  const steps: SearchStep[] = [];
  for (let rate = nextRate(steps, options); rate !== undefined; rate = nextRate(steps, options))
    steps.push({ rate, pass: rate <= capacity });
  return { tried: steps.map((s) => s.rate), sustained: sustainedRate(steps) };
}

describe('rate search', () => {
  it('doubles from the start rate until a step fails, then bisects a bounded number of times', () => {
    const { tried, sustained } = simulate(1000);
    expect(tried).toEqual([100, 200, 400, 800, 1600, 1200, 1000, 1100]);
    expect(sustained).toBe(1000);
  });

  it('stops bisecting once the bracket is within the resolution', () => {
    const { tried } = simulate(1000, { ...DEFAULT_SEARCH, bisectSteps: 10 });
    expect(tried.slice(0, 5)).toEqual([100, 200, 400, 800, 1600]);
    const last = tried.at(-1)!;
    expect(tried.length).toBeLessThanOrEqual(DEFAULT_SEARCH.maxSteps);
    expect(Math.abs(last - 1000)).toBeLessThanOrEqual(100);
  });

  it('halves below a failing first step down to the smallest rate', () => {
    expect(simulate(30).tried).toEqual([100, 50, 25, 38, 32, 29]);
    expect(simulate(30).sustained).toBe(29);
    const none = simulate(1);
    expect(none.sustained).toBeNull();
    expect(none.tried).toEqual([100, 50, 25, 13]);
  });

  it('stops at the maximum rate and at the step limit', () => {
    expect(simulate(1e9, { ...DEFAULT_SEARCH, maxRate: 1000 }).tried).toEqual([100, 200, 400, 800, 1000]);
    expect(simulate(1e9, { ...DEFAULT_SEARCH, maxSteps: 3 }).tried).toEqual([100, 200, 400]);
  });

  it('keeps the highest pass and the lowest failure above it when the steps are noisy', () => {
    const steps = [
      { rate: 100, pass: true },
      { rate: 200, pass: false },
      { rate: 150, pass: true },
      { rate: 400, pass: true },
      { rate: 800, pass: false },
    ];
    expect(bracket(steps)).toEqual({ pass: 400, fail: 800 });
    expect(nextRate(steps)).toBe(600);
  });

  it('rounds rates to readable steps and sizes sockets under half the per-socket limit', () => {
    expect([roundRate(150), roundRate(125), roundRate(37.5), roundRate(1234), roundRate(6)]).toEqual([150, 130, 38, 1250, 6]);
    expect(socketsFor(100, 1000, 50)).toBe(1000);
    expect(socketsFor(40_000, 1000, 50)).toBe(1600);
  });
});

function load(overrides: Partial<LoadResult>): LoadResult {
  return {
    label: 'x',
    sockets: { requested: 10, connected: 10, errors: {}, totalMs: 1, connect: summarize([1]) },
    catalog: { visible: 1, sampled: 1 },
    window: { warmupS: 2, durationS: 8 },
    targetRate: 100,
    events: { sent: 800, acked: 800, failed: 0 },
    rates: { eventsPerSec: 100, acksPerSec: 100, pushesPerSec: 100 },
    ack: summarize([1]),
    push: summarize([5, 10, 20]),
    noPush: 0,
    latePush: summarize([]),
    unmatchedPushes: 0,
    repeatPushes: 0,
    pushesReceived: 800,
    answeredByLater: 0,
    pushTimeoutMs: 5000,
    errors: {},
    sendLag: summarize([0]),
    generatorCpu: 0.1,
    series: [],
    ...overrides,
  };
}

describe('step verdict', () => {
  it('passes under the p99 limit with nearly every event answered', () => {
    expect(judgeStep(load({}))).toEqual({ pass: true, reasons: [], p99Ms: 20, answeredShare: 1 });
    expect(judgeStep(load({ noPush: 8 })).pass).toBe(true);
  });

  it('fails and says why', () => {
    expect(judgeStep(load({ push: summarize([10, 80]) })).reasons).toEqual(['p99 80.0 ms > 50 ms']);
    expect(judgeStep(load({ noPush: 9 })).reasons).toEqual(['answered 98.9% < 99%']);
    expect(judgeStep(load({ rates: { eventsPerSec: 80, acksPerSec: 80, pushesPerSec: 80 } })).reasons[0]).toMatch(
      /generator sent 80\.0\/s of 100\/s/,
    );
    expect(judgeStep(load({ events: { sent: 800, acked: 700, failed: 100 } })).reasons).toEqual(['12.5% of events failed']);
    const point = (second: number, pushP99: number | null) => ({ second, events: 100, acks: 100, pushes: 100, pushP50: 5, pushP99 });
    expect(
      judgeStep(load({ push: summarize([10, 80]), series: [point(0, 102), point(1, 31), point(2, null), point(3, 68.4), point(4, 50)] }))
        .reasons,
    ).toEqual(['p99 80.0 ms > 50 ms in 2 of 5 seconds (102, 68.4 ms)']);
    expect(judgeStep(load({ push: summarize([10, 80]), series: [point(0, 40), point(1, 45)] })).reasons).toEqual(['p99 80.0 ms > 50 ms']);
    expect(judgeStep(load({ push: summarize([]), events: { sent: 0, acked: 0, failed: 0 } })).reasons).toEqual([
      'no push arrived',
      'no event accepted',
    ]);
  });
});

describe('rate search report', () => {
  const costs = (engineMs: number) => [
    { name: 'gateway', cpuMs: 100, msPerEvent: 0.1, coreShare: 0.1 },
    { name: 'engine', cpuMs: 1000 * engineMs, msPerEvent: engineMs, coreShare: 0.5 },
    { name: 'nats-server', cpuMs: null, msPerEvent: null, coreShare: null, note: 'not measured: NATS_URL given' },
    { name: 'redis-server', cpuMs: 10, msPerEvent: 0.01, coreShare: 0.01 },
    { name: 'load generator', cpuMs: 50, msPerEvent: 0.05, coreShare: 0.05 },
  ];
  const step = (phase: 'floor' | 'pulse', rate: number, p99: number, purpose: MeasuredStep['purpose'] = 'search'): MeasuredStep => {
    const result = load({
      targetRate: rate,
      rates: { eventsPerSec: rate, acksPerSec: rate, pushesPerSec: rate },
      push: summarize([1, p99]),
    });
    return {
      phase,
      purpose,
      rate,
      sockets: 1000,
      verdict: judgeStep(result),
      costs: costs(phase === 'floor' ? 0.05 : 0.4),
      outstandingAtStart: 0,
      wallS: 14,
      result,
    };
  };
  const floor: PhaseSearch = {
    phase: 'floor',
    steps: [step('floor', 100, 5), step('floor', 200, 8), step('floor', 400, 90), step('floor', 300, 20)],
    sustained: 300,
    stoppedBy: 'done',
    wallS: 60,
  };
  const pulse: PhaseSearch = {
    phase: 'pulse',
    steps: [step('pulse', 100, 30), step('pulse', 200, 400)],
    sustained: 100,
    stoppedBy: 'time budget',
    wallS: 30,
  };
  const report: FindMaxReport = {
    criteria: DEFAULT_CRITERIA,
    floor,
    pulse,
    halfFloor: { rate: 150, floor: step('floor', 150, 6, 'half-floor'), pulse: step('pulse', 150, 120, 'half-floor') },
    ratio: sustainedRatio(300, 100),
  };

  it('computes the ratio and finds the step at the sustained rate', () => {
    expect(report.ratio).toBeCloseTo(1 / 3, 10);
    expect(sustainedRatio(null, 100)).toBeNull();
    expect(sustainedRatio(0, 100)).toBeNull();
    expect(stepAtSustained(floor)?.rate).toBe(300);
    expect(stepAtSustained({ ...pulse, sustained: null })?.rate).toBe(100);
    expect(stepAtSustained(undefined)).toBeUndefined();
  });

  it('prints every step with its verdict', () => {
    const lines = formatSteps([...floor.steps, ...pulse.steps]).split('\n');
    expect(lines[0]).toMatch(
      /^step\s+rate\/s\s+sockets\s+sent\/s\s+p50 ms\s+p99 ms\s+answered\s+engine CPU ms\/ev\s+per processed\s+verdict$/,
    );
    expect(lines.find((l) => l.includes(' 400 '))).toMatch(/90\.0\s+100\.00%\s+0\.0500 \(50%\)\s+-\s+fail: p99 90\.0 ms > 50 ms$/);
    expect(lines.filter((l) => l.endsWith('pass'))).toHaveLength(4);
    expect(formatSteps([{ ...floor.steps[0]!, outstandingAtStart: 1234 }])).toContain('pass (began with 1,234 events outstanding)');
  });

  it('prints the sustained rates, the half-floor comparison and the ratio', () => {
    const text = formatFindMaxSummary(report);
    expect(text).toMatch(
      /sustained rate \(p99 <= 50 ms, >= 99% answered\)\s+300 events\/s\s+100 events\/s \(search stopped by its time budget\)/,
    );
    expect(text).toMatch(
      /event->push p99 at 150\/s \(half the floor's\)\s+6\.00 ms \(pass, answered 100\.00%\)\s+120 ms \(fail, answered 100\.00%\)/,
    );
    expect(text).toContain('pulse/floor sustained rate: 0.333');
    expect(formatFindMaxSummary({ criteria: DEFAULT_CRITERIA, floor, ratio: null })).toMatch(
      /not run[\s\S]*unknown \(needs both sustained rates\)/,
    );
  });

  it('prints CPU per event at the sustained and half-floor rates, naming what was not measured', () => {
    const columns = findMaxCpuColumns(report);
    expect(columns.map((c) => c.label)).toEqual(['floor @300/s', 'pulse @100/s', 'floor @150/s', 'pulse @150/s']);
    const text = formatCpuTable(columns);
    expect(text.split('\n').find((l) => l.startsWith('engine (echo engine in floor)'))).toMatch(
      /0\.0500 \(50%\)\s+0\.400 \(50%\)\s+0\.0500 \(50%\)\s+0\.400 \(50%\)$/,
    );
    expect(text).toContain('not measured:\n  nats-server: not measured: NATS_URL given');
    expect(formatCpuTable([])).toBe('CPU per event: no measured step');
  });

  it('plots p99 against the rate for both phases, clipped, with the limit', () => {
    const svg = searchPlot(report, 'conditions');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const name of ['floor p99 (ms)', 'pulse p99 (ms)', 'floor answered (%)', 'p99 limit 50 ms', 'p99 above 200 ms drawn at 200'])
      expect(svg).toContain(name);
  });
});
