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
import { mulberry32 } from '../../models/content-encoder.js';
import { isMain, runMain } from '../lib/args.js';
import { Progress } from '../lib/progress.js';
import { AnswerBook } from './answers.js';
import { cpuWindow, readProcTicks, sampleTicks, type CpuWindow, type MeasuredProcess } from './cpu.js';
import { parseLoadArgs, USAGE, type LoadOptions } from './load-options.js';
import { connectOne, fetchItemIds, inBatches, makeTokens, SETUP_CONCURRENCY } from './load-setup.js';
import { engineCounters } from './prom-text.js';
import type { LoadResult } from './report.js';
import { OpenLoopSchedule, pickEventType } from './schedule.js';
import { SecondSeries, countBy, summarize } from './stats.js';

export { parseCpuProcesses, parseLoadArgs, USAGE, type LoadOptions } from './load-options.js';
export { inBatches } from './load-setup.js';

/** How long a `track` waits for its ack (ms); the gateway gives up on the log after 5 s by default. */
const ACK_TIMEOUT_MS = 10_000;
/** Sends taken from the schedule per loop turn, so a backlog cannot freeze the event loop. */
const MAX_SENDS_PER_TURN = 1000;

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
