/**
 * The load generator's command line (see load.ts): its usage, its options and how they are parsed.
 */
import { UsageError, intOption, parseCommandLine } from '../lib/args.js';
import type { MeasuredProcess } from './cpu.js';

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

/** `gateway=123,engine=456` -> processes to sample; names without `=` or `,`, pids positive integers. */
export function parseCpuProcesses(text: string): MeasuredProcess[] {
  if (text.trim() === '') return [];
  return text.split(',').map((part) => {
    const match = /^\s*([^=,]+?)\s*=\s*(\d+)\s*$/.exec(part);
    if (!match || !(Number(match[2]) > 0)) throw new UsageError(`--cpu takes NAME=PID,..., got "${part}"`);
    return { name: match[1]!, pid: Number(match[2]) };
  });
}
