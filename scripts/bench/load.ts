/**
 * The benchmark's load generator, run as its own process so its CPU is not the server's.
 *
 *   tsx scripts/bench/load.ts --url http://127.0.0.1:PORT [--sockets 1000] [--rate 2000]
 *       [--duration 20] [--warmup 3] [--push-timeout 5000] [--members 0.5] [--seed 1] [--label pulse]
 *       [--cpu gateway=PID,engine=PID,...] [--clock-ticks 100] [--engine-metrics http://127.0.0.1:PORT/metrics]
 *
 * Opens N Socket.IO websocket connections, each as its own shopper (visitors from
 * `POST /v1/visitors`; a share of members minted with AUTH_SECRET when it is set), and sends
 * `track` events (views, clicks, add-to-carts of catalog items from `GET /v1/items`) on an open-loop
 * schedule. Per event it records emit -> ack and emit -> the `recommendations` push that answered
 * it: the one whose `cause` is the event's id, or a later event of the same socket (the engine may
 * rank once for several events of a user; see answers.ts). At both ends of the measured window it
 * reads the CPU time of the `--cpu` processes and its own from /proc, so CPU and events counted
 * cover the same window. Progress goes to stderr; the result is one JSON line (a LoadResult) on stdout.
 * Loopback or not, every request and wait is bounded in count and time.
 */
import { performance } from 'node:perf_hooks';
import pLimit from 'p-limit';
import { io, type Socket } from 'socket.io-client';
import { z } from 'zod';
import { TokenService } from '../../gateway/auth.js';
import { mulberry32 } from '../../models/content-encoder.js';
import { UsageError, intOption, isMain, parseCommandLine, runMain } from '../lib/args.js';
import { Progress } from '../lib/progress.js';
import { AnswerBook } from './answers.js';
import { cpuWindow, readProcTicks, sampleTicks, type CpuWindow, type MeasuredProcess } from './cpu.js';
import { engineCounters } from './prom-text.js';
import type { LoadResult } from './report.js';
import { OpenLoopSchedule, pickEventType } from './schedule.js';
import { SecondSeries, countBy, summarize } from './stats.js';

export const USAGE = `usage: tsx scripts/bench/load.ts --url URL [--sockets N] [--rate EVENTS_PER_S] [--duration S] [--warmup S]
       [--push-timeout MS] [--members SHARE] [--seed N] [--label NAME] [--cpu NAME=PID,...] [--clock-ticks N]
       [--engine-metrics URL]`;

export interface LoadOptions {
  url: string;
  sockets: number;
  ratePerSecond: number;
  durationS: number;
  warmupS: number;
  pushTimeoutMs: number;
  /** Share of sockets that are members (tokens minted with the secret); the rest are visitors. */
  memberShare: number;
  seed: number;
  label: string;
  /** AUTH_SECRET, to mint member tokens; without it every socket is a visitor. */
  authSecret: string | undefined;
  /** Processes whose CPU time is sampled at both ends of the measured window (this one is added as `load generator`). */
  cpuProcesses: MeasuredProcess[];
  /** Clock ticks per second of /proc times (`getconf CLK_TCK`). */
  clockTicks: number;
  /** The engine's /metrics, read at both ends of the window for the events it processed in it. */
  engineMetricsUrl: string | undefined;
}

/** Requests in flight at once while setting up (tokens, connects). */
const SETUP_CONCURRENCY = 50;
/** Any one setup request or socket handshake (ms). */
const SETUP_TIMEOUT_MS = 15_000;
/** How long a `track` waits for its ack (ms); the gateway gives up on the log after 5 s by default. */
const ACK_TIMEOUT_MS = 10_000;
/** Catalog pages fetched at most (200 items each). */
const MAX_ITEM_PAGES = 10;
/** Sends taken from the schedule per loop turn, so a backlog cannot freeze the event loop. */
const MAX_SENDS_PER_TURN = 1000;

export function parseLoadArgs(argv: string[], env: NodeJS.ProcessEnv): LoadOptions {
  const values = parseCommandLine(argv, {
    url: { type: 'string' },
    sockets: { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    'push-timeout': { type: 'string' },
    members: { type: 'string' },
    seed: { type: 'string' },
    label: { type: 'string' },
    cpu: { type: 'string' },
    'clock-ticks': { type: 'string' },
    'engine-metrics': { type: 'string' },
  });
  if (!values.url) throw new UsageError('--url is required');
  let url: URL;
  try {
    url = new URL(values.url);
  } catch {
    throw new UsageError(`--url is not a URL: "${values.url}"`);
  }
  const memberShare = values.members === undefined ? 0.5 : Number(values.members);
  if (!(memberShare >= 0 && memberShare <= 1)) throw new UsageError(`--members must be a share in [0, 1], got "${values.members}"`);
  return {
    url: url.origin,
    sockets: intOption('sockets', values.sockets, 1000, 1, 100_000),
    ratePerSecond: intOption('rate', values.rate, 2000, 1, 1_000_000),
    durationS: intOption('duration', values.duration, 20, 1, 3600),
    warmupS: intOption('warmup', values.warmup, 3, 0, 600),
    pushTimeoutMs: intOption('push-timeout', values['push-timeout'], 5000, 100, 60_000),
    memberShare,
    seed: intOption('seed', values.seed, 1, 0, 2 ** 31 - 1),
    label: values.label ?? 'load',
    authSecret: env.AUTH_SECRET || undefined,
    cpuProcesses: parseCpuProcesses(values.cpu ?? ''),
    clockTicks: intOption('clock-ticks', values['clock-ticks'], 100, 1, 1_000_000),
    engineMetricsUrl: values['engine-metrics'],
  };
}

/** Events the engine applied or skipped as duplicates so far, from its /metrics; undefined when it does not answer in time. */
async function engineProcessed(metricsUrl: string): Promise<number | undefined> {
  try {
    const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) return undefined;
    const counters = engineCounters(await response.text());
    return counters.applied + counters.duplicates;
  } catch {
    return undefined;
  }
}

/** `gateway=123,engine=456` -> processes to sample; names without `=` or `,`, pids positive integers. */
export function parseCpuProcesses(text: string): MeasuredProcess[] {
  if (text.trim() === '') return [];
  return text.split(',').map((part) => {
    const match = /^\s*([^=,]+?)\s*=\s*(\d+)\s*$/.exec(part);
    if (!match || !(Number(match[2]) > 0)) throw new UsageError(`--cpu takes NAME=PID,..., got "${part}"`);
    return { name: match[1]!, pid: Number(match[2]) };
  });
}

/** Runs `work` over `inputs` with at most `concurrency` in flight; results in input order. */
export async function inBatches<T, R>(
  inputs: readonly T[],
  concurrency: number,
  work: (input: T, index: number) => Promise<R>,
): Promise<R[]> {
  return pLimit(concurrency).map(inputs, work);
}

async function getJson(url: string, init: RequestInit = {}): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(SETUP_TIMEOUT_MS) });
  } catch (err) {
    throw new Error(`${init.method ?? 'GET'} ${url}: ${(err as Error).message}`, { cause: err });
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${text.slice(0, 300)}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${init.method ?? 'GET'} ${url}: answer is not JSON: ${text.slice(0, 200)}`);
  }
}

const VisitorSchema = z.object({ visitorId: z.string(), token: z.string() });
const ItemPageSchema = z.object({ items: z.array(z.object({ itemId: z.string() }).passthrough()), total: z.number().int().nonnegative() });

/** One token per socket: members first (ids unique to this run), visitors from the gateway. */
async function makeTokens(options: LoadOptions, runId: string): Promise<string[]> {
  const members = options.authSecret ? Math.round(options.sockets * options.memberShare) : 0;
  const service = options.authSecret ? new TokenService(options.authSecret) : undefined;
  const ttlSeconds = options.warmupS + options.durationS + 3600;
  return inBatches(
    Array.from({ length: options.sockets }, (_, i) => i),
    SETUP_CONCURRENCY,
    async (i) => {
      if (service && i < members) return service.sign({ sub: `bench-${runId}-m${i}`, role: 'member' }, ttlSeconds);
      return VisitorSchema.parse(await getJson(`${options.url}/v1/visitors`, { method: 'POST' })).token;
    },
  );
}

/** Item ids the shoppers can see, a page of 200 at a time (bounded), and the visible total. */
async function fetchItemIds(url: string, token: string): Promise<{ ids: string[]; total: number }> {
  const ids: string[] = [];
  let total = 0;
  for (let page = 0; page < MAX_ITEM_PAGES; page++) {
    const body = ItemPageSchema.parse(
      await getJson(`${url}/v1/items?limit=200&offset=${page * 200}`, { headers: { authorization: `Bearer ${token}` } }),
    );
    total = body.total;
    for (const item of body.items) ids.push(item.itemId);
    if (body.items.length === 0 || ids.length >= total) break;
  }
  return { ids, total };
}

interface Connected {
  socket: Socket | undefined;
  /** Handshake time (ms), or the error code. */
  ms?: number;
  error?: string;
}

function connectOne(url: string, token: string): Promise<Connected> {
  const started = performance.now();
  const socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true, timeout: SETUP_TIMEOUT_MS });
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ socket, ms: performance.now() - started }));
    socket.once('connect_error', (err: Error & { data?: { code?: unknown } }) => {
      socket.close();
      const code = typeof err.data?.code === 'string' ? err.data.code : err.message === 'timeout' ? 'connect_timeout' : 'connect_error';
      resolve({ socket: undefined, error: code });
    });
  });
}

export async function runLoad(options: LoadOptions, log: NodeJS.WritableStream = process.stderr): Promise<LoadResult> {
  const random = mulberry32(options.seed);
  const runId = `${Date.now().toString(36)}${Math.floor(random() * 1e6).toString(36)}`;

  const tokens = await makeTokens(options, runId);
  const catalog = await fetchItemIds(options.url, tokens[0]!);
  if (catalog.ids.length === 0) throw new Error(`${options.url}/v1/items lists no items: is an engine with a catalog running?`);

  const connectStarted = performance.now();
  const connectProgress = new Progress({ label: `${options.label} connect`, total: options.sockets, unit: 'sockets', stream: log });
  const connections = await inBatches(tokens, SETUP_CONCURRENCY, async (token) => {
    const result = await connectOne(options.url, token);
    connectProgress.tick();
    return result;
  });
  connectProgress.done();
  const connectTotalMs = performance.now() - connectStarted;
  const sockets = connections.map((c) => c.socket);
  const connectErrors = countBy(connections.flatMap((c) => (c.error ? [c.error] : [])));
  if (sockets.every((s) => s === undefined)) throw new Error(`no socket connected: ${JSON.stringify(connectErrors)}`);

  const book = new AnswerBook(options.sockets);
  const errors: string[] = [];
  let pushesReceived = 0;
  let disconnects = 0;
  sockets.forEach((socket, index) => {
    socket?.on('recommendations', (list: { cause?: unknown } | undefined) => {
      pushesReceived++;
      book.onPush(index, typeof list?.cause === 'string' ? list.cause : undefined, performance.now());
    });
    socket?.on('disconnect', () => {
      disconnects++;
    });
  });

  const start = performance.now();
  const measureFrom = start + options.warmupS * 1000;
  const endAt = measureFrom + options.durationS * 1000;
  const schedule = new OpenLoopSchedule({ sockets: options.sockets, ratePerSecond: options.ratePerSecond, startMs: start, random });
  const progress = new Progress({
    label: `${options.label} load`,
    total: Math.round(options.ratePerSecond * (options.warmupS + options.durationS)),
    unit: 'events',
    stream: log,
  });
  const lags: number[] = [];
  let seq = 0;
  let cpuAtMeasure: NodeJS.CpuUsage | undefined;
  // /proc samples of the server processes and this one, at both ends of the measured window.
  const cpuProcesses: MeasuredProcess[] = [...options.cpuProcesses, { name: 'load generator', pid: process.pid }];
  const readTicks = (pid: number) => readProcTicks(pid === process.pid ? 'self' : pid);
  let ticksAtMeasure: Map<string, number | undefined> | undefined;
  let measureStartedAt = 0;
  // The engine's own count of events it processed, at both ends of the window (fetched without
  // blocking the send loop): CPU per accepted event understates the cost when the engine falls behind.
  let engineAtMeasure: Promise<number | undefined> | undefined;

  const send = (socketIndex: number, dueMs: number) => {
    const socket = sockets[socketIndex];
    if (!socket) return; // this socket never connected; its share of the load is not sent
    const now = performance.now();
    const id = `b${(seq++).toString(36)}`;
    const record = book.add(id, socketIndex, now, now >= measureFrom);
    if (record.measured) lags.push(now - dueMs);
    progress.tick();
    if (!socket.connected) {
      record.failed = true;
      if (record.measured) errors.push('disconnected');
      return;
    }
    const itemId = catalog.ids[Math.floor(random() * catalog.ids.length)]!;
    const type = pickEventType(random());
    socket
      .timeout(ACK_TIMEOUT_MS)
      .emit('track', { id, type, itemId }, (err: Error | null, ack: { ok?: unknown; error?: { code?: unknown } } | undefined) => {
        record.ackAt = performance.now();
        if (!err && ack?.ok === true) return;
        record.failed = true;
        if (!record.measured) return;
        errors.push(err ? 'ack_timeout' : typeof ack?.error?.code === 'string' ? ack.error.code : 'bad_ack');
      });
  };

  for (;;) {
    const now = performance.now();
    if (now >= endAt) break;
    if (cpuAtMeasure === undefined && now >= measureFrom) {
      cpuAtMeasure = process.cpuUsage();
      ticksAtMeasure = sampleTicks(cpuProcesses, readTicks);
      measureStartedAt = performance.now();
      if (options.engineMetricsUrl) engineAtMeasure = engineProcessed(options.engineMetricsUrl);
    }
    for (const due of schedule.takeDue(now, MAX_SENDS_PER_TURN)) send(due.socket, due.dueMs);
    const wait = Math.min(schedule.nextDueMs, endAt) - performance.now();
    // setTimeout has ~1 ms granularity: sends may be up to ~1 ms late (reported as generator lag).
    await new Promise<void>((resolve) => (wait > 1 ? setTimeout(resolve, Math.floor(wait)) : setImmediate(resolve)));
  }
  // CPU this process used while sending the measured window, as a share of one core.
  const cpu = process.cpuUsage(cpuAtMeasure);
  const cpuMeasured: CpuWindow | undefined = ticksAtMeasure
    ? cpuWindow(
        cpuProcesses,
        ticksAtMeasure,
        sampleTicks(cpuProcesses, readTicks),
        performance.now() - measureStartedAt,
        options.clockTicks,
      )
    : undefined;
  const generatorCpu = cpuAtMeasure ? (cpu.user + cpu.system) / 1000 / (performance.now() - measureFrom) : 0;
  const engineAtEnd = options.engineMetricsUrl && engineAtMeasure ? await engineProcessed(options.engineMetricsUrl) : undefined;
  const engineAtStart = await engineAtMeasure;
  progress.done();

  // Drain: every measured event gets its ack, and its push or its push timeout (bounded).
  const drainUntil = endAt + Math.max(ACK_TIMEOUT_MS, options.pushTimeoutMs) + 500;
  const measured = [...book.events()].filter((r) => r.measured);
  const settled = (now: number) =>
    measured.every((r) => r.failed || (r.ackAt > 0 && (r.pushAt > 0 || now - r.sentAt > options.pushTimeoutMs)));
  while (performance.now() < drainUntil && !settled(performance.now())) await new Promise((r) => setTimeout(r, 50));
  for (const socket of sockets) {
    // Our own close is not a disconnect worth reporting.
    socket?.off('disconnect');
    socket?.close();
  }

  const seconds = (t: number) => (t - measureFrom) / 1000;
  const series = new SecondSeries(options.durationS);
  const ackLatencies: number[] = [];
  const pushLatencies: number[] = [];
  const lateLatencies: number[] = [];
  let acked = 0;
  let noPush = 0;
  let answeredByLater = 0;
  for (const r of measured) {
    series.addEvent(seconds(r.sentAt));
    if (r.failed) continue;
    if (r.ackAt === 0) {
      // Still unanswered at the end of the drain: count it with the timeouts.
      errors.push('ack_timeout');
      continue;
    }
    acked++;
    ackLatencies.push(r.ackAt - r.sentAt);
    series.addAck(seconds(r.ackAt));
    const latency = r.pushAt - r.sentAt;
    if (r.pushAt === 0 || latency > options.pushTimeoutMs) {
      noPush++;
      if (r.pushAt > 0) lateLatencies.push(latency);
      continue;
    }
    pushLatencies.push(latency);
    if (r.byLater) answeredByLater++;
    series.addPush(seconds(r.sentAt), seconds(r.pushAt), latency);
  }
  if (disconnects > 0) log.write(`${options.label}: ${disconnects} socket(s) disconnected during the run\n`);

  const connectLatencies = connections.flatMap((c) => (c.ms !== undefined ? [c.ms] : []));
  return {
    label: options.label,
    sockets: {
      requested: options.sockets,
      connected: connectLatencies.length,
      errors: connectErrors,
      totalMs: connectTotalMs,
      connect: summarize(connectLatencies),
    },
    catalog: { visible: catalog.total, sampled: catalog.ids.length },
    window: { warmupS: options.warmupS, durationS: options.durationS },
    targetRate: options.ratePerSecond,
    events: { sent: measured.length, acked, failed: measured.length - acked },
    rates: {
      eventsPerSec: measured.length / options.durationS,
      acksPerSec: acked / options.durationS,
      pushesPerSec: pushLatencies.length / options.durationS,
    },
    ack: summarize(ackLatencies),
    push: summarize(pushLatencies),
    noPush,
    latePush: summarize(lateLatencies),
    unmatchedPushes: book.unmatched,
    repeatPushes: book.repeats,
    pushesReceived,
    answeredByLater,
    pushTimeoutMs: options.pushTimeoutMs,
    errors: countBy(errors),
    sendLag: summarize(lags),
    generatorCpu,
    ...(cpuMeasured ? { cpu: cpuMeasured } : {}),
    ...(engineAtStart !== undefined && engineAtEnd !== undefined ? { engineProcessed: Math.max(0, engineAtEnd - engineAtStart) } : {}),
    series: series.points(),
  };
}

async function main(): Promise<number> {
  const options = parseLoadArgs(process.argv.slice(2), process.env);
  const result = await runLoad(options);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return 0;
}

if (isMain(import.meta.url)) runMain(main, USAGE);
