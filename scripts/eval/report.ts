/**
 * How an evaluation is shown: the table (method x metric at each reported K), the JSON object
 * (`--json`) and the metric-versus-K plot. Pure: returns text, writes nothing. Metrics are printed
 * in percent with two decimals, as in docs/evaluation.md. Costs are wall time in ms: per
 * list (the `recommend` call alone, over every filter: a method's caches may serve the second
 * filter's list of a step from the first's work, so the per-filter figure, in the JSON, depends on
 * the order) and per learned event (training and held-out).
 */
import { renderTable } from '../bench/report.js';
import { formatCount, formatElapsed } from '../lib/progress.js';
import { renderLineChart, type PlotSeries } from '../lib/svg-plot.js';
import type { EvalDataset } from './dataset.js';
import type { ListFilter } from './method.js';
import type { CurvePoint, MetricsAtK } from './metrics.js';
import { msPerLearnedEvent, msPerList, type MethodTiming, type ReplayResult } from './replay.js';

/** What the run knew about the learned model (absent for attribute vectors only). */
export interface ModelInfo {
  version: string;
  /** Where it came from: `trained` in this run, or `loaded` from --model. */
  origin: 'trained' | 'loaded';
  dir: string;
  dimension: number;
  items: number;
  /** Training wall time (s), backend and summary as in the manifest. */
  trainSeconds?: number;
  backend?: string;
  parameters?: Record<string, number | string>;
}

export interface DatasetReport {
  dataset: string;
  protocol: string;
  facts: Record<string, number | string>;
  model?: ModelInfo;
  /** Settings Pulse ran with beyond the engine defaults (per dataset). */
  pulseSettings: Record<string, unknown>;
  ks: number[];
  rows: ReportRow[];
  timings: MethodTiming[];
  seconds: number;
}

export interface ReportRow {
  method: string;
  filter: ListFilter;
  /** Metrics at each reported K. */
  atK: MetricsAtK[];
  /** The same on new-item targets (re-clicks and re-purchases removed). */
  newItemsAtK: MetricsAtK[];
  curve: CurvePoint[];
  /** Cost of one list of the method (ms), every filter, learning excluded; NaN when no list was made. */
  msPerList: number;
  /** The same under this filter only. */
  msPerListUnderFilter: number;
  /** Cost of learning one event (ms), the method's over training and held-out events. */
  msPerLearnedEvent: number;
}

/** The report of one replay, metrics at each of `ks`. */
export function buildReport(
  dataset: EvalDataset,
  replayed: ReplayResult,
  ks: readonly number[],
  extra: { model?: ModelInfo; pulseSettings: Record<string, unknown> },
): DatasetReport {
  const timingOf = new Map(replayed.timings.map((t) => [t.method, t]));
  return {
    dataset: dataset.name,
    protocol: dataset.protocol,
    facts: dataset.facts,
    ...(extra.model ? { model: extra.model } : {}),
    pulseSettings: extra.pulseSettings,
    ks: [...ks],
    rows: replayed.results.map((result) => ({
      method: result.method,
      filter: result.filter,
      atK: ks.map((k) => result.all.at(k)),
      newItemsAtK: ks.map((k) => result.newItems.at(k)),
      curve: result.all.curve(),
      msPerList: timingOf.has(result.method)
        ? msPerList(timingOf.get(result.method)!.listSeconds, timingOf.get(result.method)!.lists)
        : Number.NaN,
      msPerListUnderFilter: msPerList(result.listSeconds, result.lists),
      msPerLearnedEvent: timingOf.has(result.method) ? msPerLearnedEvent(timingOf.get(result.method)!) : Number.NaN,
    })),
    timings: replayed.timings,
    seconds: replayed.seconds,
  };
}

const pct = (value: number): string => (Number.isFinite(value) ? (value * 100).toFixed(2) : '-');

/** The table: one block per list filter, a row per method; then the new-item targets and timings. */
export function formatReport(report: DatasetReport): string {
  const out: string[] = [];
  out.push(`${report.dataset}: ${report.protocol}`);
  out.push(
    `  ${Object.entries(report.facts)
      .map(([key, value]) => `${key} ${formatFact(value)}`)
      .join(', ')}`,
  );
  if (report.model) {
    const m = report.model;
    const trained =
      m.trainSeconds !== undefined ? `, trained in ${formatElapsed(m.trainSeconds)}${m.backend ? ` on ${m.backend}` : ''}` : '';
    out.push(`  model ${m.version} (${m.origin}${trained}): ${formatCount(m.items)} items x ${m.dimension}, ${m.dir}`);
  }
  if (Object.keys(report.pulseSettings).length > 0) out.push(`  pulse settings: ${JSON.stringify(report.pulseSettings)}`);
  const filters = uniqueFilters(report.rows);
  for (const filter of filters) {
    const rows = report.rows.filter((row) => row.filter.name === filter.name);
    out.push('');
    out.push(
      `${filter.name} (excludeRecent ${filter.excludeRecent}, includeBought ${filter.includeBought}); P = hit rate, in %; ms/list and ms/event (learning) in ms:`,
    );
    const header = ['method', ...report.ks.flatMap((k) => [`P@${k}`, `MRR@${k}`, `NDCG@${k}`, `cov@${k}`]), 'ms/list', 'ms/event'];
    out.push(
      renderTable([
        header,
        ...rows.map((row) => [
          row.method,
          ...row.atK.flatMap((m) => [pct(m.hitRate), pct(m.mrr), pct(m.ndcg), pct(m.coverage)]),
          ms(row.msPerList),
          ms(row.msPerLearnedEvent),
        ]),
      ]),
    );
    const fresh = rows[0]?.newItemsAtK[0]?.predictions ?? 0;
    out.push(`  new-item targets only (${formatCount(fresh)} predictions; items the user had not touched before):`);
    out.push(
      indent(
        renderTable([
          ['method', ...report.ks.flatMap((k) => [`P@${k}`, `MRR@${k}`])],
          ...rows.map((row) => [row.method, ...row.newItemsAtK.flatMap((m) => [pct(m.hitRate), pct(m.mrr)])]),
        ]),
        '  ',
      ),
    );
  }
  out.push('');
  out.push(
    `time: ${formatElapsed(report.seconds)} replay; ${report.timings
      .map(
        (t) =>
          `${t.method} ${formatElapsed(t.trainSeconds)} train + ${formatElapsed(t.listSeconds)} lists (${formatCount(t.lists)}) + ${formatElapsed(t.learnSeconds)} held-out learning`,
      )
      .join('; ')}`,
  );
  return out.join('\n');
}

/** The JSON object of `--json` (plain data; curves included). */
export function reportJson(report: DatasetReport): Record<string, unknown> {
  return {
    dataset: report.dataset,
    protocol: report.protocol,
    facts: report.facts,
    ...(report.model ? { model: report.model } : {}),
    pulseSettings: report.pulseSettings,
    results: report.rows.map((row) => ({
      method: row.method,
      filter: row.filter,
      metrics: Object.fromEntries(row.atK.map((m) => [`k${m.k}`, rounded(m)])),
      newItemTargets: Object.fromEntries(row.newItemsAtK.map((m) => [`k${m.k}`, rounded(m)])),
      curve: row.curve.map((p) => ({ k: p.k, hitRate: round6(p.hitRate), mrr: round6(p.mrr), ndcg: round6(p.ndcg) })),
      cost: {
        msPerList: finiteOrNull(row.msPerList),
        msPerListUnderFilter: finiteOrNull(row.msPerListUnderFilter),
        msPerLearnedEvent: finiteOrNull(row.msPerLearnedEvent),
      },
    })),
    timings: report.timings.map((t) => ({
      ...t,
      trainSeconds: round3(t.trainSeconds),
      testSeconds: round3(t.testSeconds),
      listSeconds: round3(t.listSeconds),
      learnSeconds: round3(t.learnSeconds),
    })),
    seconds: round3(report.seconds),
  };
}

/**
 * P@K (solid) and MRR@K (dashed) for K = 1..maxK, one colour per method, for one list filter; each
 * method's P@K legend entry carries its cost per list.
 */
export function reportPlot(report: DatasetReport, filter: ListFilter, subtitle: string): string {
  const series: PlotSeries[] = [];
  const palette = ['#D55E00', '#0072B2', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#882255', '#999933', '#888888', '#332288'];
  const rows = report.rows.filter((row) => row.filter.name === filter.name);
  rows.forEach((row, i) => {
    const color = palette[i % palette.length]!;
    const cost = Number.isFinite(row.msPerList) ? `, ${ms(row.msPerList)} ms/list` : '';
    series.push({ name: `${row.method} P@K${cost}`, color, points: row.curve.map((p) => [p.k, p.hitRate * 100] as const) });
    series.push({ name: `${row.method} MRR@K`, color, dashed: true, points: row.curve.map((p) => [p.k, p.mrr * 100] as const) });
  });
  return renderLineChart({
    title: `${report.dataset}: hit rate (P@K, solid) and MRR@K (dashed), ${filter.name}`,
    subtitle,
    xLabel: 'K (list length)',
    yLabel: 'percent of predictions',
    series,
  });
}

/** Whole numbers with thousands separators, fractions as they are (shares like 0.462). */
function formatFact(value: number | string): string {
  return typeof value === 'number' && Number.isInteger(value) ? formatCount(value) : String(value);
}

function uniqueFilters(rows: readonly ReportRow[]): ListFilter[] {
  const out: ListFilter[] = [];
  for (const row of rows) if (!out.some((f) => f.name === row.filter.name)) out.push(row.filter);
  return out;
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}

function rounded(m: MetricsAtK): Record<string, number> {
  return {
    hitRate: round6(m.hitRate),
    mrr: round6(m.mrr),
    ndcg: round6(m.ndcg),
    coverage: Number.isFinite(m.coverage) ? round6(m.coverage) : -1,
    predictions: m.predictions,
  };
}

/** Milliseconds: three significant figures below 100, whole ms above; `-` when unknown. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  if (value >= 1) return value.toFixed(2);
  return value === 0 ? '0' : value.toPrecision(3);
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : null;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function round3(x: number): number {
  return Math.round(x * 1e3) / 1e3;
}
