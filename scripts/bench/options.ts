/** The benchmark's command line: modes, options, defaults and their checks. Pure. */
import { join, resolve } from 'node:path';
import { UsageError, intOption, parseCommandLine } from '../lib/args.js';
import { MAX_EVENTS_PER_BATCH } from '../../gateway/event-intake.js';
import { MAX_ITEMS_PER_BATCH } from '../../gateway/http-routes.js';
import type { BacklogOptions } from './backlog.js';
import { DEFAULT_CRITERIA, DEFAULT_SEARCH, type SearchOptions, type StepCriteria } from './rate-search.js';

/** The gateway's request size limits the backlog's batches must respect. */
export const BACKLOG_LIMITS = { maxEventsPerRequest: MAX_EVENTS_PER_BATCH, maxItemsPerRequest: MAX_ITEMS_PER_BATCH };

export const USAGE = `usage: npm run bench -- [--find-max | --rate N | --backlog] [options]

modes
  --find-max         (the default) for the floor and for Pulse, the highest sustained rate: events/s at
                     which event->push p99 <= --p99 ms and >= --answered % of accepted events get their
                     push within --push-timeout. Starts at --start-rate, doubles until a step fails, then
                     bisects (--bisect steps); each step is --warmup s + --duration s. Then both phases at
                     half the floor's sustained rate, and the ratio Pulse/floor. CPU ms per event of every
                     process (gateway, engine, nats-server, redis-server; the load generator apart).
  --rate N           fixed rate: floor and Pulse at N events/s, latency table and CPU ms per event
                     (e.g. --rate 1000 for the engine's CPU per event at 1,000 events/s).
  --backlog          ingest and replay of a bulk of history on fresh private servers: catalog upsert,
                     events posted through POST /v1/events (timestamps in the past) while a second
                     catalog is upserted, timed until the engine applied them all; then a new engine
                     replays the whole log onto flushed Redis. Lease losses and timed-out requests must
                     be 0 to pass (exit code 1 otherwise).

latency options (--find-max, --rate)
  --sockets N        fewest Socket.IO connections (default 1000); raised so each carries at most half the
                     gateway's per-socket limit (SOCKET_EVENTS_PER_SECOND, default 50/s). With --rate and
                     an explicit --sockets, the gateway's limit is raised instead when needed.
  --duration S       measured seconds per step (default 8 with --find-max, 20 with --rate)
  --warmup S         seconds of load before measuring (default 2 with --find-max, 3 with --rate)
  --push-timeout MS  an event without its push within this counts as "no push" (default 5000)
  --only PHASE       run only "floor" or "pulse"
  --seed N           seed of the load and of the backlog data (default 1)

rate search options (--find-max)
  --start-rate N     first rate tried, events/s (default ${DEFAULT_SEARCH.startRate})
  --max-rate N       never tries above this (default ${DEFAULT_SEARCH.maxRate})
  --bisect N         bisection steps after the first failure (default ${DEFAULT_SEARCH.bisectSteps})
  --budget S         wall-time budget of one phase's search (default 900)
  --p99 MS           p99 event->push limit of a passing step (default ${DEFAULT_CRITERIA.p99LimitMs})
  --answered PCT     share of accepted events answered by a push in time, in % (default ${DEFAULT_CRITERIA.minAnsweredShare * 100})

backlog options (--backlog)
  --events N         events posted (default 1000000)
  --items N          items of the catalog upserted first (default 50000)
  --users N          users the events are spread over evenly (default 100000)
  --extra-items N    items of the second catalog upserted while the events are ingested (default 50000)
  --batch N          events per POST /v1/events (default and most ${BACKLOG_LIMITS.maxEventsPerRequest})
  --item-batch N     items per POST /v1/items/batch (default and most ${BACKLOG_LIMITS.maxItemsPerRequest})
  --concurrency N    event requests in flight (default 8)
  --stall S          a wait for the engine ends when nothing was applied for this long (default 120)

output
  --json             print one JSON object instead of the tables
  --out DIR          where the plots and the JSON result go (default DATA_DIR/bench)
NATS_URL / REDIS_URL: use these servers (dedicated to the bench) instead of private ones; their CPU is
then not measured. --backlog ignores them.`;

export type Mode = 'find-max' | 'fixed' | 'backlog';

export interface BenchOptions {
  mode: Mode;
  /** Fewest sockets of a step. */
  sockets: number;
  /** --sockets was given: the fixed mode keeps it and raises the gateway's limit instead. */
  socketsExplicit: boolean;
  /** The fixed mode's rate. */
  ratePerSecond: number | undefined;
  durationS: number;
  warmupS: number;
  pushTimeoutMs: number;
  phases: Array<'floor' | 'pulse'>;
  seed: number;
  json: boolean;
  outDir: string;
  search: SearchOptions;
  criteria: StepCriteria;
  /** Wall-time budget of one phase's rate search (s). */
  budgetS: number;
  backlog: BacklogOptions;
}

/** The gateway's default per-socket limit (SOCKET_EVENTS_PER_SECOND). */
export const GATEWAY_SOCKET_RATE = 50;

const LATENCY_ONLY = ['sockets', 'duration', 'warmup', 'push-timeout', 'only'] as const;
const SEARCH_ONLY = ['start-rate', 'max-rate', 'bisect', 'budget', 'p99', 'answered'] as const;
const BACKLOG_ONLY = ['events', 'items', 'users', 'extra-items', 'batch', 'item-batch', 'concurrency', 'stall'] as const;

export function parseBenchArgs(argv: string[], dataDir: string): BenchOptions {
  const str = { type: 'string' } as const;
  const values = parseCommandLine(argv, {
    'find-max': { type: 'boolean' },
    rate: str,
    backlog: { type: 'boolean' },
    ...Object.fromEntries([...LATENCY_ONLY, ...SEARCH_ONLY, ...BACKLOG_ONLY, 'seed', 'out'].map((name) => [name, str])),
    json: { type: 'boolean' },
  }) as Record<string, string | boolean | undefined>;
  const text = (name: string) => values[name] as string | undefined;
  const modes = [values['find-max'] && '--find-max', values.rate !== undefined && '--rate', values.backlog && '--backlog'].filter(Boolean);
  if (modes.length > 1) throw new UsageError(`choose one mode, got ${modes.join(' and ')}`);
  const mode: Mode = values.backlog ? 'backlog' : values.rate !== undefined ? 'fixed' : 'find-max';
  const refuse = (names: readonly string[], what: string) => {
    const given = names.filter((name) => values[name] !== undefined);
    if (given.length > 0) throw new UsageError(`${given.map((n) => `--${n}`).join(', ')} only apply to ${what}`);
  };
  if (mode === 'backlog') refuse([...LATENCY_ONLY, ...SEARCH_ONLY], '--find-max and --rate');
  else refuse(BACKLOG_ONLY, '--backlog');
  if (mode === 'fixed') refuse(SEARCH_ONLY, '--find-max');
  const only = text('only');
  if (only !== undefined && only !== 'floor' && only !== 'pulse') throw new UsageError(`--only must be "floor" or "pulse", got "${only}"`);
  const fixed = mode === 'fixed';
  const answeredPct = text('answered') === undefined ? DEFAULT_CRITERIA.minAnsweredShare * 100 : Number(text('answered'));
  if (!(answeredPct > 0 && answeredPct <= 100))
    throw new UsageError(`--answered must be a percentage in (0, 100], got "${text('answered')}"`);
  const startRate = intOption('start-rate', text('start-rate'), DEFAULT_SEARCH.startRate, 1, 1_000_000);
  return {
    mode,
    sockets: intOption('sockets', text('sockets'), 1000, 1, 100_000),
    socketsExplicit: values.sockets !== undefined,
    ratePerSecond: fixed ? intOption('rate', text('rate'), 500, 1, 1_000_000) : undefined,
    durationS: intOption('duration', text('duration'), fixed ? 20 : 8, 1, 3600),
    warmupS: intOption('warmup', text('warmup'), fixed ? 3 : 2, 0, 600),
    pushTimeoutMs: intOption('push-timeout', text('push-timeout'), 5000, 100, 60_000),
    phases: only ? [only] : ['floor', 'pulse'],
    seed: intOption('seed', text('seed'), 1, 0, 2 ** 31 - 1),
    json: values.json === true,
    outDir: resolve(text('out') ?? join(dataDir, 'bench')),
    search: {
      ...DEFAULT_SEARCH,
      startRate,
      maxRate: intOption('max-rate', text('max-rate'), Math.max(DEFAULT_SEARCH.maxRate, startRate), startRate, 10_000_000),
      bisectSteps: intOption('bisect', text('bisect'), DEFAULT_SEARCH.bisectSteps, 0, 20),
      minRate: Math.min(DEFAULT_SEARCH.minRate, startRate),
    },
    criteria: {
      ...DEFAULT_CRITERIA,
      p99LimitMs: intOption('p99', text('p99'), DEFAULT_CRITERIA.p99LimitMs, 1, 600_000),
      minAnsweredShare: answeredPct / 100,
    },
    budgetS: intOption('budget', text('budget'), 900, 10, 24 * 3600),
    backlog: {
      events: intOption('events', text('events'), 1_000_000, 1, 100_000_000),
      items: intOption('items', text('items'), 50_000, 1, 10_000_000),
      users: intOption('users', text('users'), 100_000, 1, 100_000_000),
      extraItems: intOption('extra-items', text('extra-items'), 50_000, 0, 10_000_000),
      seed: intOption('seed', text('seed'), 1, 0, 2 ** 31 - 1),
      batchSize: intOption('batch', text('batch'), BACKLOG_LIMITS.maxEventsPerRequest, 1, BACKLOG_LIMITS.maxEventsPerRequest),
      itemBatchSize: intOption('item-batch', text('item-batch'), BACKLOG_LIMITS.maxItemsPerRequest, 1, BACKLOG_LIMITS.maxItemsPerRequest),
      concurrency: intOption('concurrency', text('concurrency'), 8, 1, 256),
      stallS: intOption('stall', text('stall'), 120, 5, 3600),
    },
  };
}

/**
 * The gateway's per-socket limit for this load: the default, unless the jittered per-socket rate
 * (gaps down to half the mean) could exceed it; an explicit SOCKET_EVENTS_PER_SECOND always wins.
 */
export function socketRateFor(ratePerSecond: number, sockets: number, explicit: string | undefined): number | undefined {
  if (explicit) return undefined;
  const peak = (2 * ratePerSecond) / sockets;
  return peak > GATEWAY_SOCKET_RATE ? Math.ceil(peak * 1.25) : undefined;
}
