/**
 * `npm run bench -- [--find-max | --rate N | --backlog] [options]` (see USAGE)
 *
 * Event-to-push latency, sustained throughput, CPU per event and backlog speed of Pulse, next to a
 * transport floor measured in the same run:
 *
 * 1. Uses NATS_URL / REDIS_URL when set (they must be dedicated to the bench: EVENTS is purged and
 *    the engine consumers deleted between phases; their CPU cannot be measured); otherwise starts a
 *    private nats-server and redis-server on free loopback ports. --backlog always starts its own.
 * 2. Phase "floor": a gateway process and the echo engine (scripts/bench/echo-engine.ts), which
 *    answers every event with a fixed list at once: the same round trip without the engine's work.
 *    Phase "pulse": a fresh event stream, the real engine process (demo catalog) and a gateway.
 * 3. Each measured step runs the load generator (scripts/bench/load.ts) as its own process; it reads
 *    every process's CPU time from /proc at both ends of the measured window.
 * 4. --find-max (the default) searches each phase's highest sustained rate (rate-search.ts), then
 *    measures both at half the floor's; --rate N measures both phases at N events/s; --backlog
 *    times ingest and replay of a bulk of history (scripts/bench/backlog.ts).
 * 5. Prints the conditions and tables (or one JSON object with --json), and writes SVG plots and
 *    the JSON under --out (default DATA_DIR/bench).
 * Every child process and server is stopped on exit, on errors and on Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { arch, cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { sharedConfigSpec } from '../engine/config.js';
import { loadConfig } from '../engine/contracts/env.js';
import { generateDemoCatalog } from '../engine/catalog/mod.js';
import { TokenService } from '../gateway/auth.js';
import { isMain, runMain } from './lib/args.js';
import { loadConfigOrExit } from './lib/startup.js';
import { startNats, startRedis } from './lib/local-servers.js';
import { formatBacklog } from './bench/backlog-report.js';
import { runBacklog } from './bench/backlog.js';
import { parseBenchArgs, socketRateFor, GATEWAY_SOCKET_RATE, USAGE, type BenchOptions } from './bench/options.js';
import { clockTicksPerSecond, resultCosts, type MeasuredProcess } from './bench/cpu.js';
import { measureStep, searchPhase, type MeasuredStep, type StepSettings } from './bench/find-max.js';
import { RunningPhase, resetEventLog, type PhaseContext } from './bench/phase.js';
import { roundRate, socketsFor } from './bench/rate-search.js';
import {
  addedLatency,
  benchPlot,
  cpuModelOf,
  formatComparison,
  formatConditions,
  formatMachine,
  type BenchConditions,
  type MachineInfo,
  type PhaseResults,
} from './bench/report.js';
import {
  findMaxCpuColumns,
  formatCpuTable,
  formatFindMaxSummary,
  formatSteps,
  searchPlot,
  sustainedRatio,
  type FindMaxReport,
} from './bench/search-report.js';
import { Cleanup, ensureBuild } from './bench/processes.js';

export { parseBenchArgs, socketRateFor, USAGE };

async function machineInfo(): Promise<MachineInfo> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const model = cpuModelOf(cpuinfo);
  return {
    cpu: model === 'unknown' ? (cpus()[0]?.model ?? 'unknown') : model,
    cores: cpus().length,
    memoryBytes: totalmem(),
    node: process.version,
    os: `${osType()} ${release()} ${arch()}`,
    loadAverage: loadavg()[0] ?? 0,
  };
}

interface Output {
  /** Text for stdout (without --json). */
  text: string;
  /** The JSON object (stdout with --json, and the result file). */
  json: Record<string, unknown>;
  /** Extra files: name -> content. */
  files: Record<string, string>;
}

function conditionsOf(options: BenchOptions, machine: MachineInfo, servers: string, partitions: number, notes: string[]): BenchConditions {
  const rate = options.ratePerSecond ?? options.search.startRate;
  return {
    machine,
    sockets: options.sockets,
    ratePerSecond: rate,
    durationS: options.durationS,
    warmupS: options.warmupS,
    catalogItems: generateDemoCatalog().length,
    partitions,
    pushTimeoutMs: options.pushTimeoutMs,
    servers,
    notes,
    ...(options.mode === 'find-max'
      ? {
          load: `rate search from ${options.search.startRate}/s (doubling, then ${options.search.bisectSteps} bisections; at most ${options.budgetS} s a phase); at least ${options.sockets} sockets, more to keep each under ${GATEWAY_SOCKET_RATE / 2}/s; pass: p99 <= ${options.criteria.p99LimitMs} ms and >= ${options.criteria.minAnsweredShare * 100}% answered`,
        }
      : {}),
  };
}

async function runFixed(options: BenchOptions, ctx: PhaseContext, conditions: BenchConditions, settings: StepSettings): Promise<Output> {
  const rate = options.ratePerSecond!;
  const sockets = options.socketsExplicit ? options.sockets : socketsFor(rate, options.sockets, GATEWAY_SOCKET_RATE);
  const socketRate = socketRateFor(rate, sockets, process.env.SOCKET_EVENTS_PER_SECOND);
  if (socketRate !== undefined) conditions.notes.push(`gateway SOCKET_EVENTS_PER_SECOND raised to ${socketRate} for this per-socket rate`);
  const steps: Partial<Record<'floor' | 'pulse', MeasuredStep>> = {};
  for (const phase of options.phases) {
    await resetEventLog(ctx.natsUrl, ctx.partitions);
    const running = await RunningPhase.start(phase, ctx, socketRate);
    try {
      steps[phase] = await measureStep(running, ctx, settings, options.criteria, rate, 'fixed', sockets);
    } finally {
      await running.stop();
    }
  }
  const results: PhaseResults = {
    ...(steps.floor ? { floor: steps.floor.result } : {}),
    ...(steps.pulse ? { pulse: steps.pulse.result } : {}),
  };
  const columns = options.phases.map((phase) => ({ label: phase, costs: resultCosts(steps[phase]!.result) }));
  const verdicts = options.phases.map(
    (phase) => `${phase}: ${steps[phase]!.verdict.pass ? 'pass' : `fail (${steps[phase]!.verdict.reasons.join('; ')})`}`,
  );
  const text = [
    formatComparison(results),
    '',
    ...(results.floor && results.pulse
      ? ['"engine adds" = pulse - floor at the same percentile (the floor is the same round trip without the engine\'s work).', '']
      : []),
    `against the sustained-rate criteria (p99 <= ${options.criteria.p99LimitMs} ms, >= ${options.criteria.minAnsweredShare * 100}% answered): ${verdicts.join(', ')}`,
    '',
    formatCpuTable(columns),
  ].join('\n');
  const subtitle = `${conditions.machine.cores} cores, ${sockets} sockets, ${rate} events/s target, ${options.durationS} s measured`;
  return {
    text,
    json: {
      mode: 'fixed',
      conditions,
      ...results,
      added: addedLatency(results),
      verdicts: Object.fromEntries(Object.entries(steps).map(([p, s]) => [p, s.verdict])),
      cpu: Object.fromEntries(columns.map((c) => [c.label, c.costs])),
    },
    files: { 'bench-latency.svg': benchPlot(results, subtitle) },
  };
}

async function runFindMax(options: BenchOptions, ctx: PhaseContext, conditions: BenchConditions, settings: StepSettings): Promise<Output> {
  const report: FindMaxReport = { criteria: options.criteria, ratio: null };
  let halfRate: number | undefined;
  for (const phase of options.phases) {
    await resetEventLog(ctx.natsUrl, ctx.partitions);
    const running = await RunningPhase.start(phase, ctx);
    try {
      const search = await searchPhase(running, ctx, settings, options.criteria, options.search, options.budgetS);
      report[phase] = search;
      if (phase === 'floor' && search.sustained !== null) halfRate = roundRate(search.sustained / 2);
      if (halfRate !== undefined) {
        const step =
          search.steps.find((s) => s.rate === halfRate) ??
          (await measureStep(running, ctx, settings, options.criteria, halfRate, 'half-floor'));
        report.halfFloor = { ...report.halfFloor, rate: halfRate, [phase]: step };
      }
    } finally {
      await running.stop();
    }
  }
  report.ratio = sustainedRatio(report.floor?.sustained, report.pulse?.sustained);
  const steps = [
    ...(report.floor?.steps ?? []),
    ...(report.pulse?.steps ?? []),
    ...[report.halfFloor?.floor, report.halfFloor?.pulse].filter((s): s is MeasuredStep => s?.purpose === 'half-floor'),
  ];
  const text = [formatSteps(steps), '', formatFindMaxSummary(report), '', formatCpuTable(findMaxCpuColumns(report))].join('\n');
  const subtitle = `${conditions.machine.cores} cores, ${settings.warmupS} s warm-up + ${settings.durationS} s a step`;
  const half = report.halfFloor;
  const halfResults: PhaseResults = {
    ...(half?.floor ? { floor: half.floor.result } : {}),
    ...(half?.pulse ? { pulse: half.pulse.result } : {}),
  };
  return {
    text,
    json: { mode: 'find-max', conditions, ...report },
    files: {
      'bench-rate-search.svg': searchPlot(report, subtitle),
      ...(half
        ? { 'bench-latency.svg': benchPlot(halfResults, `${subtitle}, both at ${half.rate} events/s (half the floor's sustained rate)`) }
        : {}),
    },
  };
}

interface Servers {
  natsUrl: string;
  redisUrl: string;
  processes: MeasuredProcess[];
  note: string;
}

async function startServers(
  options: BenchOptions,
  shared: ReturnType<typeof loadConfig<typeof sharedConfigSpec>>,
  cleanup: Cleanup,
): Promise<Servers> {
  // The backlog mode flushes Redis and deletes consumers: it never touches given servers.
  const usable = (name: 'NATS_URL' | 'REDIS_URL') => options.mode !== 'backlog' && shared.explicit.has(name);
  const processes: MeasuredProcess[] = [];
  const notes: string[] = [];
  let natsUrl = shared.natsUrl;
  let redisUrl = shared.redisUrl;
  if (usable('NATS_URL')) {
    processes.push({ name: 'nats-server', note: 'not measured: NATS_URL given (not started by the bench)' });
    notes.push(`NATS ${natsUrl} (given)`);
  } else {
    const nats = await startNats();
    cleanup.add('nats-server', () => nats.stop());
    natsUrl = nats.url;
    processes.push({ name: 'nats-server', ...(nats.pid !== undefined ? { pid: nats.pid } : { note: 'not measured: no pid' }) });
    notes.push(`private nats-server ${natsUrl}`);
  }
  if (usable('REDIS_URL')) {
    processes.push({ name: 'redis-server', note: 'not measured: REDIS_URL given (not started by the bench)' });
    notes.push(`Redis ${redisUrl} (given)`);
  } else {
    const redis = await startRedis();
    cleanup.add('redis-server', () => redis.stop());
    redisUrl = redis.url;
    processes.push({ name: 'redis-server', ...(redis.pid !== undefined ? { pid: redis.pid } : { note: 'not measured: no pid' }) });
    notes.push(`private redis-server ${redisUrl}`);
  }
  if (options.mode === 'backlog' && (shared.explicit.has('NATS_URL') || shared.explicit.has('REDIS_URL')))
    notes.push('(NATS_URL/REDIS_URL ignored: --backlog always uses private servers)');
  return { natsUrl, redisUrl, processes, note: notes.join(', ') };
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const shared = loadConfigOrExit('bench', () => loadConfig(sharedConfigSpec));
  const options = parseBenchArgs(argv, shared.dataDir);
  const say = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const cleanup = new Cleanup(say);

  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    say(`${signal}: stopping every child process and server (again to force)`);
    void cleanup.run().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    // The processes measured run the production build, as `npm start` and `npm run engine` do.
    await ensureBuild(say);
    const servers = await startServers(options, shared, cleanup);
    const secret = randomBytes(32).toString('base64url');
    const adminToken = await new TokenService(secret).sign({ sub: 'bench-admin', role: 'admin', tier: 'enterprise' }, 24 * 3600);
    const machine = await machineInfo();
    const env: Record<string, string> = {
      NATS_URL: servers.natsUrl,
      REDIS_URL: servers.redisUrl,
      AUTH_SECRET: secret,
      PULSE_PARTITIONS: String(shared.partitions),
      DATA_DIR: shared.dataDir,
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
    };
    const ctx: PhaseContext = {
      cleanup,
      env,
      natsUrl: servers.natsUrl,
      partitions: shared.partitions,
      adminToken,
      servers: servers.processes,
      clockTicks: clockTicksPerSecond(),
      pushTimeoutMs: options.pushTimeoutMs,
      seed: options.seed,
      say,
    };
    const head = (text: string) => (options.json ? say(text.replaceAll('\n', '\nbench: ')) : process.stdout.write(`${text}\n\n`));

    let output: Output;
    if (options.mode === 'backlog') {
      head(`${formatMachine(machine)}\nservers     ${servers.note}, ${shared.partitions} partitions`);
      const report = await runBacklog(options.backlog, ctx);
      output = {
        text: formatBacklog(report),
        json: { ...report, machine, servers: servers.note, partitions: shared.partitions },
        files: {},
      };
    } else {
      const conditions = conditionsOf(options, machine, servers.note, shared.partitions, []);
      head(formatConditions(conditions));
      const settings: StepSettings = {
        warmupS: options.warmupS,
        durationS: options.durationS,
        minSockets: options.sockets,
        perSocketLimit: GATEWAY_SOCKET_RATE,
        idleTimeoutMs: 60_000,
      };
      output =
        options.mode === 'fixed'
          ? await runFixed(options, ctx, conditions, settings)
          : await runFindMax(options, ctx, conditions, settings);
    }

    await mkdir(options.outDir, { recursive: true });
    const jsonPath = join(options.outDir, options.mode === 'backlog' ? 'bench-backlog.json' : 'bench-result.json');
    const paths = Object.keys(output.files).map((name) => join(options.outDir, name));
    for (const [name, content] of Object.entries(output.files)) await writeFile(join(options.outDir, name), content);
    const json = { ...output.json, files: { json: jsonPath, plots: paths } };
    await writeFile(jsonPath, `${JSON.stringify(json, null, 2)}\n`);
    if (options.json) process.stdout.write(`${JSON.stringify(json)}\n`);
    else process.stdout.write(`${output.text}\n\n${paths.map((p) => `plot: ${p}\n`).join('')}full result: ${jsonPath}\n`);
    return options.mode === 'backlog' && output.json.pass === false ? 1 : 0;
  } finally {
    await cleanup.run();
  }
}

if (isMain(import.meta.url)) runMain(main, USAGE);
