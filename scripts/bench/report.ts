/**
 * The benchmark's result shapes and how they are printed. The load generator writes one
 * LoadResult as a JSON line; the orchestrator decodes it here (validated: it crosses a process
 * boundary) and prints the floor-vs-pulse comparison. Latencies are milliseconds.
 */
import { z } from 'zod';
import { formatCount } from '../lib/progress.js';
import { renderLineChart, type PlotSeries } from '../lib/svg-plot.js';
import type { LatencySummary } from './stats.js';

const ms = z.number().nonnegative().nullable();

const LatencySummarySchema = z.object({ count: z.number().int().nonnegative(), p50: ms, p95: ms, p99: ms, max: ms, mean: ms });

const SecondPointSchema = z.object({
  second: z.number().int().nonnegative(),
  events: z.number().int().nonnegative(),
  acks: z.number().int().nonnegative(),
  pushes: z.number().int().nonnegative(),
  pushP50: ms,
  pushP99: ms,
});

const Counts = z.record(z.string(), z.number().int().nonnegative());

const CpuWindowSchema = z.object({
  ticksPerSecond: z.number().int().positive(),
  windowMs: z.number().nonnegative(),
  processes: z.array(
    z.object({
      name: z.string(),
      pid: z.number().int().positive().optional(),
      startTicks: z.number().int().nonnegative().optional(),
      endTicks: z.number().int().nonnegative().optional(),
      note: z.string().optional(),
    }),
  ),
});

export const LoadResultSchema = z.object({
  label: z.string(),
  sockets: z.object({
    requested: z.number().int().nonnegative(),
    connected: z.number().int().nonnegative(),
    /** Connect failures by error code. */
    errors: Counts,
    /** Wall time to open all sockets (ms), and per-socket handshake latency. */
    totalMs: z.number().nonnegative(),
    connect: LatencySummarySchema,
  }),
  catalog: z.object({ visible: z.number().int().nonnegative(), sampled: z.number().int().nonnegative() }),
  /** The measured window (after warmup), seconds. */
  window: z.object({ warmupS: z.number().nonnegative(), durationS: z.number().positive() }),
  targetRate: z.number().positive(),
  /** Counts over events sent inside the measured window. */
  events: z.object({ sent: z.number().int().nonnegative(), acked: z.number().int().nonnegative(), failed: z.number().int().nonnegative() }),
  rates: z.object({ eventsPerSec: z.number().nonnegative(), acksPerSec: z.number().nonnegative(), pushesPerSec: z.number().nonnegative() }),
  ack: LatencySummarySchema,
  push: LatencySummarySchema,
  /** Acked events without their push within `pushTimeoutMs` (late pushes included). */
  noPush: z.number().int().nonnegative(),
  /** The pushes among `noPush` that did arrive, late, before the generator stopped listening. */
  latePush: LatencySummarySchema,
  /** Pushes whose cause is no event this socket sent (another user's, unknown, or none). */
  unmatchedPushes: z.number().int().nonnegative(),
  /** Pushes naming an event already answered (by an earlier push naming it or a later event). */
  repeatPushes: z.number().int().nonnegative().default(0),
  /** `recommendations` pushes received in all (warmup and drain included). */
  pushesReceived: z.number().int().nonnegative().default(0),
  /** Measured events answered by a push whose cause is a later event of the same user (one ranking for several events). */
  answeredByLater: z.number().int().nonnegative().default(0),
  pushTimeoutMs: z.number().positive(),
  /** Failed acks by error code (`ack_timeout` and `disconnected` are the generator's own). */
  errors: Counts,
  /** How late the generator sent events against their schedule (ms): large values mean it could not keep up. */
  sendLag: LatencySummarySchema,
  /** CPU the generator used during the measured window, as a share of one core (near 1 = it was the bottleneck). */
  generatorCpu: z.number().nonnegative(),
  /** /proc CPU samples of the server processes and the generator at both ends of the measured window (Linux). */
  cpu: CpuWindowSchema.optional(),
  /** Events the engine applied or skipped as duplicates in the measured window, by its /metrics (the real engine only). */
  engineProcessed: z.number().int().nonnegative().optional(),
  series: z.array(SecondPointSchema),
});
export type LoadResult = z.infer<typeof LoadResultSchema>;

/** The last line of `stdout` that decodes as a LoadResult; throws with the reason otherwise. */
export function parseLoadResult(stdout: string): LoadResult {
  const lines = stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('{'));
  const last = lines[lines.length - 1];
  if (last === undefined) throw new Error('the load generator printed no result line');
  let value: unknown;
  try {
    value = JSON.parse(last);
  } catch (err) {
    throw new Error(`the load generator's result is not JSON: ${(err as Error).message}`);
  }
  const parsed = LoadResultSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`the load generator's result has an unexpected shape: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  return parsed.data;
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryBytes: number;
  node: string;
  os: string;
  /** 1-minute load average when the bench started (0 where the OS has none). */
  loadAverage: number;
}

/** The CPU model from /proc/cpuinfo text (`model name`, else `Hardware`/`Processor`), or `unknown`. */
export function cpuModelOf(cpuinfo: string): string {
  for (const key of ['model name', 'Hardware', 'Processor', 'cpu model']) {
    const match = cpuinfo.match(new RegExp(`^${key}\\s*:\\s*(.+)$`, 'm'));
    if (match?.[1]) return match[1].trim().replace(/\s+/g, ' ');
  }
  return 'unknown';
}

export interface BenchConditions {
  machine: MachineInfo;
  sockets: number;
  ratePerSecond: number;
  durationS: number;
  warmupS: number;
  catalogItems: number;
  partitions: number;
  pushTimeoutMs: number;
  servers: string;
  notes: string[];
  /** Replaces the sockets/rate line (the rate search describes its own load). */
  load?: string;
}

/** The machine lines of the conditions (CPU, cores, memory, Node, OS, load average). */
export function formatMachine(machine: MachineInfo): string {
  const gib = (machine.memoryBytes / 2 ** 30).toFixed(1);
  return [
    `machine     ${machine.cpu}, ${machine.cores} cores, ${gib} GiB RAM, Node ${machine.node}, ${machine.os}`,
    `            load average ${machine.loadAverage.toFixed(2)} at start${machine.loadAverage > machine.cores / 2 ? ' (busy machine: other work competes with the bench, figures will be noisy)' : ''}`,
  ].join('\n');
}

export function formatConditions(c: BenchConditions): string {
  const lines = [
    formatMachine(c.machine),
    c.load !== undefined
      ? `load        ${c.load}`
      : `load        ${formatCount(c.sockets)} sockets, ${formatCount(c.ratePerSecond)} events/s target (${fixed(c.ratePerSecond / c.sockets, 2)}/s per socket, open loop)`,
    `window      ${c.warmupS} s warmup, then ${c.durationS} s measured${c.load !== undefined ? ' per step' : ''}; a push later than ${c.pushTimeoutMs / 1000} s counts as none`,
    `catalog     ${formatCount(c.catalogItems)} items (demo catalog), ${c.partitions} partitions`,
    `servers     ${c.servers}`,
  ];
  for (const note of c.notes) lines.push(`note        ${note}`);
  return lines.join('\n');
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '?';
}

/** Milliseconds: two decimals under 10, one under 100, whole above; `-` when unknown. */
export function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  if (Math.abs(value) < 10) return value.toFixed(2);
  if (Math.abs(value) < 100) return value.toFixed(1);
  return formatCount(value);
}

/** pulse - floor with a sign, or `-` when either is unknown. */
export function formatDelta(pulse: number | null | undefined, floor: number | null | undefined): string {
  if (pulse === null || pulse === undefined || floor === null || floor === undefined) return '-';
  const delta = pulse - floor;
  return `${delta >= 0 ? '+' : '-'}${formatMs(Math.abs(delta))}`;
}

export function formatErrors(errors: Record<string, number>): string {
  const entries = Object.entries(errors).filter(([, n]) => n > 0);
  if (entries.length === 0) return 'none';
  return entries
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([code, n]) => `${code} ${formatCount(n)}`)
    .join(', ');
}

function share(part: number, whole: number): string {
  if (whole <= 0) return formatCount(part);
  return `${formatCount(part)} (${((100 * part) / whole).toFixed(2)}%)`;
}

/** Left-aligned first column, right-aligned others, two spaces apart; a rule under the header. */
export function renderTable(rows: string[][]): string {
  const width = Math.max(...rows.map((row) => row.length));
  const widths = Array.from({ length: width }, (_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length)));
  const render = (row: string[]) =>
    widths
      .map((w, col) => {
        const cell = row[col] ?? '';
        return col === 0 ? cell.padEnd(w) : cell.padStart(w);
      })
      .join('  ')
      .trimEnd();
  const [header, ...body] = rows;
  if (!header) return '';
  return [render(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(render)].join('\n');
}

export interface PhaseResults {
  floor?: LoadResult;
  pulse?: LoadResult;
}

/** What the engine adds on top of the transport floor, per percentile (ms); null where unknown. */
export function addedLatency(results: PhaseResults): Record<'p50' | 'p95' | 'p99' | 'max', number | null> {
  const diff = (key: keyof LatencySummary) => {
    const pulse = results.pulse?.push[key];
    const floor = results.floor?.push[key];
    return pulse === null || pulse === undefined || floor === null || floor === undefined ? null : pulse - floor;
  };
  return { p50: diff('p50'), p95: diff('p95'), p99: diff('p99'), max: diff('max') };
}

/** The comparison table: one column per phase that ran, plus the engine's added latency when both did. */
export function formatComparison(results: PhaseResults): string {
  const phases = (['floor', 'pulse'] as const).filter((name) => results[name] !== undefined);
  const both = results.floor !== undefined && results.pulse !== undefined;
  const header = ['', ...phases, ...(both ? ['engine adds'] : [])];
  const row = (label: string, cell: (r: LoadResult) => string, delta?: (floor: LoadResult, pulse: LoadResult) => string): string[] => {
    const cells = phases.map((name) => cell(results[name]!));
    if (both) cells.push(delta ? delta(results.floor!, results.pulse!) : '');
    return [label, ...cells];
  };
  const latency = (label: string, pick: (r: LoadResult) => LatencySummary, key: 'p50' | 'p95' | 'p99' | 'max', withDelta: boolean) =>
    row(`${label} ${key} (ms)`, (r) => formatMs(pick(r)[key]), withDelta ? (f, p) => formatDelta(pick(p)[key], pick(f)[key]) : undefined);
  return renderTable([
    header,
    row('events/s sent', (r) => formatCount(r.rates.eventsPerSec)),
    row('acks/s', (r) => formatCount(r.rates.acksPerSec)),
    row('events answered/s', (r) => formatCount(r.rates.pushesPerSec)),
    latency('event->push', (r) => r.push, 'p50', true),
    latency('event->push', (r) => r.push, 'p95', true),
    latency('event->push', (r) => r.push, 'p99', true),
    latency('event->push', (r) => r.push, 'max', true),
    latency('ack', (r) => r.ack, 'p50', true),
    latency('ack', (r) => r.ack, 'p99', true),
    row('events sent / acked', (r) => `${formatCount(r.events.sent)} / ${formatCount(r.events.acked)}`),
    row(`no push within ${(results.floor ?? results.pulse)!.pushTimeoutMs / 1000} s`, (r) => share(r.noPush, r.events.acked)),
    row('  of which came late', (r) =>
      r.latePush.count > 0 ? `${formatCount(r.latePush.count)} (p50 ${formatMs(r.latePush.p50)} ms)` : '0',
    ),
    row("answered by a later event's push", (r) => share(r.answeredByLater, r.events.acked)),
    row('unmatched / repeat pushes', (r) => `${formatCount(r.unmatchedPushes)} / ${formatCount(r.repeatPushes)}`),
    row('errors', (r) => formatErrors(r.errors)),
    row('sockets connected', (r) => `${formatCount(r.sockets.connected)}/${formatCount(r.sockets.requested)}`),
    row('connect p50/p99 (ms)', (r) => `${formatMs(r.sockets.connect.p50)}/${formatMs(r.sockets.connect.p99)}`),
    row('generator lag p99 (ms)', (r) => formatMs(r.sendLag.p99)),
    row('generator CPU (of 1 core)', (r) => `${Math.round(r.generatorCpu * 100)}%`),
  ]);
}

/** The latency-over-time plot: push p50/p99 per second of both phases (left, ms) and events/s (right). */
export function benchPlot(results: PhaseResults, subtitle: string): string {
  const series: PlotSeries[] = [];
  const colors = { floor: '#0072B2', pulse: '#D55E00' } as const;
  for (const phase of ['floor', 'pulse'] as const) {
    const result = results[phase];
    if (!result) continue;
    const color = colors[phase];
    series.push({ name: `${phase} push p50`, color, points: result.series.map((p) => [p.second, p.pushP50] as const) });
    series.push({ name: `${phase} push p99`, color, dashed: true, points: result.series.map((p) => [p.second, p.pushP99] as const) });
  }
  for (const phase of ['floor', 'pulse'] as const) {
    const result = results[phase];
    if (!result) continue;
    series.push({
      name: `${phase} events/s`,
      color: phase === 'floor' ? '#009E73' : '#CC79A7',
      axis: 'right',
      points: result.series.map((p) => [p.second, p.events] as const),
    });
  }
  return renderLineChart({
    title: 'Pulse event-to-push latency: transport floor vs full engine',
    subtitle,
    xLabel: 'seconds into the measured window (by send time)',
    yLabel: 'event -> push latency (ms)',
    y2Label: 'events sent per second',
    series,
  });
}
