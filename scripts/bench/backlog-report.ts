/**
 * The backlog benchmark's result, its verdict and how it is printed. Pure.
 */
import { formatCount } from '../lib/progress.js';
import { cpuNotes, cpuRows, formatCpuCell, costOf, type CpuCost } from './cpu.js';
import type { EngineCounters, RpcCounts } from './prom-text.js';
import { formatErrors, renderTable } from './report.js';

/**
 * One timed stage: (a) ingest or (b) replay, with the engine's counters at its end (dead-lettered
 * events count as done for the wait, and fail the run).
 */
export interface StageFigures extends EngineCounters {
  /** Events the stage's rate is computed over. */
  events: number;
  /** Wall time (s); null when the engine stalled before applying them all. */
  seconds: number | null;
  eventsPerSec: number | null;
  complete: boolean;
  /** CPU per event of each process over the stage, the shopper index's catch-up included. */
  costs: CpuCost[];
  /**
   * Seconds from the last event applied until no shopper waited to join the "shoppers like you"
   * index (history's shoppers wait until the import is over); null when some still waited at the limit.
   */
  shopperIndexSeconds: number | null;
}

export interface BacklogFigures {
  mode: 'backlog';
  data: {
    events: number;
    items: number;
    users: number;
    extraItems: number;
    seed: number;
    batchSize: number;
    itemBatchSize: number;
    concurrency: number;
    stallS: number;
    loggedMessages: number;
  };
  catalog: { items: number; seconds: number };
  ingest: StageFigures & { postSeconds: number };
  extraCatalog: { items: number; seconds: number; finishedBeforeApplied: boolean };
  /** `startSeconds`: from spawning the new engine to its first acks (null if none came). */
  replay: StageFigures & { startSeconds: number | null; appliedBeforeTiming: number };
  requests: { http504: number; clientTimeouts: number; appendTimeouts: number; other: Record<string, number> };
}

export interface BacklogReport extends BacklogFigures {
  pass: boolean;
  reasons: string[];
}

/** Passes when both stages applied every event, no lease was lost and no request timed out. */
export function judgeBacklog(figures: BacklogFigures): BacklogReport {
  const reasons: string[] = [];
  const { ingest, replay, requests } = figures;
  if (!ingest.complete) reasons.push(`(a) stalled at ${formatCount(ingest.applied)} of ${formatCount(ingest.events)} events applied`);
  if (!replay.complete) reasons.push(`(b) stalled at ${formatCount(replay.applied)} of ${formatCount(figures.data.events)} events applied`);
  const dead = ingest.deadLettered + replay.deadLettered;
  if (dead > 0) reasons.push(`${dead} event(s) dead-lettered`);
  const losses = ingest.leaseLosses + replay.leaseLosses;
  if (losses > 0) reasons.push(`${losses} partition lease(s) lost`);
  const timeouts = requests.http504 + requests.clientTimeouts + requests.appendTimeouts;
  if (timeouts > 0) reasons.push(`${timeouts} timed-out request(s) or append(s)`);
  return { ...figures, pass: reasons.length === 0, reasons };
}

function seconds(value: number | null): string {
  return value === null ? 'stalled' : value < 10 ? value.toFixed(2) : value.toFixed(1);
}

function rate(value: number | null): string {
  return value === null ? '-' : formatCount(value);
}

function caughtUp(stage: StageFigures): string {
  return stage.shopperIndexSeconds === null
    ? `${formatCount(stage.shopperIndexWaiting)} still waiting`
    : `${seconds(stage.shopperIndexSeconds)} (in the CPU figures)`;
}

function rpcSummary(rpc: StageFigures['rpc']): string {
  const entries = Object.entries(rpc).filter(([, r]) => r.calls + r.expired + r.rejected > 0);
  if (entries.length === 0) return 'none';
  const extra = (r: RpcCounts) =>
    [
      r.slow > 0 && `${formatCount(r.slow)} over 0.5 s`,
      r.expired > 0 && `${formatCount(r.expired)} expired`,
      r.rejected > 0 && `${formatCount(r.rejected)} rejected`,
    ]
      .filter(Boolean)
      .join(', ');
  return entries.map(([method, r]) => `${method} ${formatCount(r.calls)}${extra(r) ? ` (${extra(r)})` : ''}`).join(', ');
}

export function formatBacklog(report: BacklogReport): string {
  const { data, catalog, ingest, extraCatalog, replay, requests } = report;
  const head = `backlog: ${formatCount(data.events)} events of ${formatCount(data.users)} users over ${formatCount(data.items)} items (seed ${data.seed}); ${formatCount(data.batchSize)} events a request, ${data.concurrency} in flight; ${formatCount(data.loggedMessages)} messages in EVENTS`;
  const rows: string[][] = [
    ['', 'count', 'seconds', 'per second'],
    [
      'catalog upsert (items)',
      formatCount(catalog.items),
      seconds(catalog.seconds),
      rate(catalog.seconds > 0 ? catalog.items / catalog.seconds : null),
    ],
    [
      '(a) posting: first post -> last 202',
      formatCount(ingest.events),
      seconds(ingest.postSeconds),
      rate(ingest.postSeconds > 0 ? ingest.events / ingest.postSeconds : null),
    ],
    ['(a) posted -> applied, end to end', formatCount(ingest.events), seconds(ingest.seconds), rate(ingest.eventsPerSec)],
    [
      `    second catalog during (a) (items)`,
      formatCount(extraCatalog.items),
      seconds(extraCatalog.seconds),
      `${rate(extraCatalog.seconds > 0 ? extraCatalog.items / extraCatalog.seconds : null)}${extraCatalog.finishedBeforeApplied ? '' : ' (ended after (a))'}`,
    ],
    ['(b) replay: first acks -> all applied', formatCount(replay.events), seconds(replay.seconds), rate(replay.eventsPerSec)],
    ['    spawn -> first acks; acked at the first look', formatCount(replay.appliedBeforeTiming), seconds(replay.startSeconds), ''],
  ];
  const cpu = renderTable(
    cpuRows(
      [
        { label: '(a) ingest', costs: ingest.costs },
        { label: '(b) replay', costs: replay.costs },
      ],
      { generator: 'bench (posting events)' },
    ),
  );
  const notes = cpuNotes([{ label: 'a', costs: ingest.costs }]).map((n) => `  ${n}`);
  const timeouts = requests.http504 + requests.clientTimeouts + requests.appendTimeouts;
  const facts = renderTable([
    ['', '(a) ingest', '(b) replay'],
    [
      'events applied / duplicates',
      `${formatCount(ingest.applied)} / ${formatCount(ingest.duplicates)}`,
      `${formatCount(replay.applied)} / ${formatCount(replay.duplicates)}`,
    ],
    ['events handed back (retried)', formatCount(ingest.retried), formatCount(replay.retried)],
    ['partition lease losses', formatCount(ingest.leaseLosses), formatCount(replay.leaseLosses)],
    ['events dead-lettered', formatCount(ingest.deadLettered), formatCount(replay.deadLettered)],
    ['engine errors', formatErrors(ingest.errors), formatErrors(replay.errors)],
    ['engine rpc calls', rpcSummary(ingest.rpc), rpcSummary(replay.rpc)],
    ['shoppers like you caught up after (s)', caughtUp(ingest), caughtUp(replay)],
  ]);
  return [
    head,
    '',
    renderTable(rows),
    '',
    cpu,
    ...(notes.length > 0 ? ['not measured:', ...notes] : []),
    '',
    facts,
    '',
    `timed-out requests  ${timeouts} (HTTP 504: ${requests.http504}, client timeouts: ${requests.clientTimeouts}, appends the log did not confirm: ${requests.appendTimeouts})${Object.keys(requests.other).length > 0 ? `; other retried failures: ${formatErrors(requests.other)}` : ''}`,
    `engine CPU per event  (a) ${formatCpuCell(costOf(ingest.costs, 'engine'))} ms  (b) ${formatCpuCell(costOf(replay.costs, 'engine'))} ms`,
    `verdict  ${report.pass ? 'pass' : `FAIL: ${report.reasons.join('; ')}`}`,
  ].join('\n');
}
