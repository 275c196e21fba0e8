/**
 * How an evaluation is shown: the table (method x metric at each reported K), the JSON object
 * (`--json`) and the metric-versus-K plot. Pure: returns text, writes nothing. Metrics are printed
 * in percent with two decimals, as in ../shared/datasets/README.md.
 */
import { renderTable } from '../bench/report.js';
import { formatCount, formatElapsed } from '../lib/progress.js';
import { renderLineChart, type PlotSeries } from '../lib/svg-plot.js';
import type { EvalDataset } from './dataset.js';
import type { ListFilter } from './method.js';
import type { CurvePoint, MetricsAtK } from './metrics.js';
import type { MethodTiming, ReplayResult } from './replay.js';

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
}

/** The report of one replay, metrics at each of `ks`. */
export function buildReport(dataset: EvalDataset, replayed: ReplayResult, ks: readonly number[], extra: { model?: ModelInfo; pulseSettings: Record<string, unknown> }): DatasetReport {
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
  out.push(`  ${Object.entries(report.facts).map(([key, value]) => `${key} ${formatFact(value)}`).join(', ')}`);
  if (report.model) {
    const m = report.model;
    const trained = m.trainSeconds !== undefined ? `, trained in ${formatElapsed(m.trainSeconds)}${m.backend ? ` on ${m.backend}` : ''}` : '';
    out.push(`  model ${m.version} (${m.origin}${trained}): ${formatCount(m.items)} items x ${m.dimension}, ${m.dir}`);
  }
  if (Object.keys(report.pulseSettings).length > 0) out.push(`  pulse settings: ${JSON.stringify(report.pulseSettings)}`);
  const filters = uniqueFilters(report.rows);
  for (const filter of filters) {
    const rows = report.rows.filter((row) => row.filter.name === filter.name);
    out.push('');
    out.push(`${filter.name} (excludeRecent ${filter.excludeRecent}, includeBought ${filter.includeBought}); P = hit rate, in %:`);
    const header = ['method', ...report.ks.flatMap((k) => [`P@${k}`, `MRR@${k}`, `NDCG@${k}`, `cov@${k}`])];
    out.push(renderTable([header, ...rows.map((row) => [row.method, ...row.atK.flatMap((m) => [pct(m.hitRate), pct(m.mrr), pct(m.ndcg), pct(m.coverage)])])]));
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
  out.push(`time: ${formatElapsed(report.seconds)} replay; ${report.timings.map((t) => `${t.method} ${formatElapsed(t.trainSeconds)} train + ${formatElapsed(t.testSeconds)} test (${formatCount(t.lists)} lists)`).join('; ')}`);
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
    })),
    timings: report.timings.map((t) => ({ ...t, trainSeconds: round3(t.trainSeconds), testSeconds: round3(t.testSeconds) })),
    seconds: round3(report.seconds),
  };
}

/** P@K (solid) and MRR@K (dashed) for K = 1..maxK, one colour per method, for one list filter. */
export function reportPlot(report: DatasetReport, filter: ListFilter, subtitle: string): string {
  const series: PlotSeries[] = [];
  const palette = ['#D55E00', '#0072B2', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
  const rows = report.rows.filter((row) => row.filter.name === filter.name);
  rows.forEach((row, i) => {
    const color = palette[i % palette.length]!;
    series.push({ name: `${row.method} P@K`, color, points: row.curve.map((p) => [p.k, p.hitRate * 100] as const) });
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
  return { hitRate: round6(m.hitRate), mrr: round6(m.mrr), ndcg: round6(m.ndcg), coverage: Number.isFinite(m.coverage) ? round6(m.coverage) : -1, predictions: m.predictions };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function round3(x: number): number {
  return Math.round(x * 1e3) / 1e3;
}
