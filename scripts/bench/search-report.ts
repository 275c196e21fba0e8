/**
 * How the rate search is printed and plotted: every step, the sustained rates and their ratio, the
 * comparison at half the floor's sustained rate, and CPU per event at those rates. Pure.
 */
import { formatCount } from '../lib/progress.js';
import { renderLineChart, type PlotSeries } from '../lib/svg-plot.js';
import { costOf, cpuNotes, cpuRows, formatCpuCell, formatProcessedCell, type CpuColumn } from './cpu.js';
import type { MeasuredStep, PhaseSearch } from './find-max.js';
import type { StepCriteria } from './rate-search.js';
import { formatMs, renderTable } from './report.js';

export interface FindMaxReport {
  criteria: StepCriteria;
  floor?: PhaseSearch;
  pulse?: PhaseSearch;
  /** Both phases at half the floor's sustained rate. */
  halfFloor?: { rate: number; floor?: MeasuredStep; pulse?: MeasuredStep };
  /** Pulse's sustained rate over the floor's; null unless both are known. */
  ratio: number | null;
}

export function sustainedRatio(floor: number | null | undefined, pulse: number | null | undefined): number | null {
  if (floor === null || floor === undefined || floor <= 0 || pulse === null || pulse === undefined) return null;
  return pulse / floor;
}

function percent(share: number | null): string {
  return share === null ? '-' : `${(share * 100).toFixed(2)}%`;
}

/** One row per step, in the order they ran. */
export function formatSteps(steps: readonly MeasuredStep[]): string {
  const rows = [['step', 'rate/s', 'sockets', 'sent/s', 'p50 ms', 'p99 ms', 'answered', 'engine CPU ms/ev', 'per processed', 'verdict']];
  for (const s of steps) {
    rows.push([
      `${s.phase} ${s.purpose}`,
      formatCount(s.rate),
      formatCount(s.sockets),
      formatCount(s.result.rates.eventsPerSec),
      formatMs(s.result.push.p50),
      formatMs(s.verdict.p99Ms),
      percent(s.verdict.answeredShare),
      formatCpuCell(costOf(s.costs, 'engine')),
      formatProcessedCell(costOf(s.costs, 'engine')),
      `${s.verdict.pass ? 'pass' : `fail: ${s.verdict.reasons.join('; ')}`}${s.outstandingAtStart > 0 ? ` (began with ${formatCount(s.outstandingAtStart)} events outstanding)` : ''}`,
    ]);
  }
  return renderTable(rows);
}

/** The step at a phase's sustained rate, else its lowest-rate step (for CPU figures). */
export function stepAtSustained(search: PhaseSearch | undefined): MeasuredStep | undefined {
  if (!search || search.steps.length === 0) return undefined;
  if (search.sustained !== null) return search.steps.find((s) => s.rate === search.sustained && s.verdict.pass);
  return [...search.steps].sort((a, b) => a.rate - b.rate)[0];
}

function rateCell(search: PhaseSearch | undefined): string {
  if (!search) return 'not run';
  const stopped = search.stoppedBy === 'done' ? '' : ` (search stopped by its ${search.stoppedBy})`;
  return search.sustained === null ? `none passed${stopped}` : `${formatCount(search.sustained)} events/s${stopped}`;
}

function p99Cell(step: MeasuredStep | undefined): string {
  if (!step) return 'not measured';
  return `${formatMs(step.verdict.p99Ms)} ms (${step.verdict.pass ? 'pass' : 'fail'}, answered ${percent(step.verdict.answeredShare)})`;
}

/** Sustained rates, their ratio and the half-floor comparison. */
export function formatFindMaxSummary(report: FindMaxReport): string {
  const { criteria } = report;
  const rows = [
    ['', 'floor', 'pulse'],
    [
      `sustained rate (p99 <= ${criteria.p99LimitMs} ms, >= ${criteria.minAnsweredShare * 100}% answered)`,
      rateCell(report.floor),
      rateCell(report.pulse),
    ],
  ];
  if (report.halfFloor) {
    rows.push([
      `event->push p99 at ${formatCount(report.halfFloor.rate)}/s (half the floor's)`,
      p99Cell(report.halfFloor.floor),
      p99Cell(report.halfFloor.pulse),
    ]);
  }
  const ratio = report.ratio === null ? 'unknown (needs both sustained rates)' : report.ratio.toFixed(3);
  return `${renderTable(rows)}\npulse/floor sustained rate: ${ratio}`;
}

/** CPU per event at each phase's sustained rate and at half the floor's. */
export function findMaxCpuColumns(report: FindMaxReport): CpuColumn[] {
  const columns: CpuColumn[] = [];
  for (const search of [report.floor, report.pulse]) {
    const step = stepAtSustained(search);
    if (step) columns.push({ label: `${step.phase} @${formatCount(step.rate)}/s`, costs: step.costs });
  }
  for (const step of [report.halfFloor?.floor, report.halfFloor?.pulse]) {
    if (step) columns.push({ label: `${step.phase} @${formatCount(step.rate)}/s`, costs: step.costs });
  }
  return columns;
}

export function formatCpuTable(columns: readonly CpuColumn[], engineLabel = 'engine (echo engine in floor)'): string {
  if (columns.length === 0) return 'CPU per event: no measured step';
  const notes = cpuNotes(columns).map((note) => `  ${note}`);
  return [renderTable(cpuRows(columns, { engine: engineLabel })), ...(notes.length > 0 ? ['not measured:', ...notes] : [])].join('\n');
}

/**
 * p99 event->push against the rate, both phases (left axis, ms; values above `clipMs` drawn at it
 * so the passing steps stay readable), the p99 limit, and the answered share (right axis, %).
 */
export function searchPlot(report: FindMaxReport, subtitle: string, clipFactor = 4): string {
  const clipMs = report.criteria.p99LimitMs * clipFactor;
  const series: PlotSeries[] = [];
  const colors = { floor: '#0072B2', pulse: '#D55E00' } as const;
  const allSteps: MeasuredStep[] = [];
  for (const phase of ['floor', 'pulse'] as const) {
    const steps = [...(report[phase]?.steps ?? []), ...(report.halfFloor?.[phase] ? [report.halfFloor[phase]!] : [])].sort(
      (a, b) => a.rate - b.rate,
    );
    allSteps.push(...steps);
    if (steps.length === 0) continue;
    series.push({
      name: `${phase} p99 (ms)`,
      color: colors[phase],
      points: steps.map((s) => [s.rate, s.verdict.p99Ms === null ? null : Math.min(clipMs, s.verdict.p99Ms)] as const),
    });
    series.push({
      name: `${phase} answered (%)`,
      color: colors[phase],
      dashed: true,
      axis: 'right',
      points: steps.map((s) => [s.rate, s.verdict.answeredShare === null ? null : s.verdict.answeredShare * 100] as const),
    });
  }
  const rates = allSteps.map((s) => s.rate);
  if (rates.length > 0) {
    series.push({
      name: `p99 limit ${report.criteria.p99LimitMs} ms`,
      color: '#000000',
      dashed: true,
      points: [
        [Math.min(...rates), report.criteria.p99LimitMs],
        [Math.max(...rates), report.criteria.p99LimitMs],
      ],
    });
  }
  return renderLineChart({
    title: 'Pulse rate search: event-to-push p99 against the event rate',
    subtitle: `${subtitle}; p99 above ${clipMs} ms drawn at ${clipMs}`,
    xLabel: 'events per second (target of the step)',
    yLabel: 'event -> push p99 (ms)',
    y2Label: 'events answered within the push timeout (%)',
    series,
  });
}
