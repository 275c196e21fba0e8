/**
 * `npm run train [-- --events F] [--items F.jsonl] [--epochs N] [--dim 64] [--window 3] [--negatives 5] [--out DIR] ...`
 *
 * Trains item embeddings (item2vec in TF.js, models/) and, when item attributes are known, the
 * content tower; writes a versioned model under `DATA_DIR/models/<version>/` (or --out) and
 * announces `{version, dir}` on core NATS `pulse.model.published`, so every running engine
 * switches to it.
 *
 * Data:
 *   - default: every event of the JetStream EVENTS stream at NATS_URL up to its last sequence at
 *     start, and the catalog (item attributes) from the CATALOG stream;
 *   - `--events F`: a file instead: `.jsonl(.gz)` Events with `userId` and `ts` (as `npm run
 *     import`; `id` not needed), or `.tsv(.gz)` in the YooChoose format `SessionId ItemId Time`
 *     (epoch seconds; the session is the user), e.g. ../shared/datasets/yoochoose-sample/train_full.tsv.gz;
 *   - `--items F.jsonl`: item attributes from a file (else CATALOG when NATS is reachable, else none:
 *     no content tower).
 * In file mode NATS is optional: without it the model is written and the announcement skipped
 * (engines load the newest model when they start).
 *
 * Exit codes: 0 model written, 1 failure (data unreadable, too little data, NATS needed but
 * down), 2 bad command line, 130 interrupted.
 */
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { NatsAnnouncements } from '../engine/adapters/nats-announcements.js';
import { modelAnnouncementChannel } from '../engine/ports/model-announcements.js';
import { loadConfig } from '../engine/contracts/env.js';
import type { Item } from '../engine/contracts/schemas.js';
import { sharedConfigSpec } from '../engine/config.js';
import { writeModel } from '../models/artifact.js';
import { initTensorFlow } from '../models/backend.js';
import { trainModel, type TrainOptions, type TrainProgress, type TrainSummary } from '../models/train.js';
import { UsageError, intOption, isMain, parseCommandLine, runMain } from './lib/args.js';
import { readCatalog, readEventFile, readEventLog, readItemFile, type ReadEventsResult } from './lib/event-log-reader.js';
import { createLogger } from './lib/logger.js';
import { Progress, formatCount, formatElapsed, formatRate } from './lib/progress.js';

export const USAGE = `usage: npm run train [-- options]
  --events FILE      train from a file instead of the EVENTS stream: .jsonl(.gz) Events with userId
                     and ts, or .tsv(.gz) YooChoose clicks (SessionId, ItemId, Time in epoch seconds)
  --items FILE       item attributes (.jsonl) for the content tower (default: the CATALOG stream)
  --limit N          use only the first N events (for timing at several sizes)
  --epochs N         passes over the sequences (default 20)
  --max-pairs N      pair budget of the run: fewer epochs when it would be exceeded (default 5000000)
  --dim N            vector dimension, must match the engine's VECTOR_DIM (default 64)
  --window N         skip-gram window (default 3)
  --negatives N      negatives per pair (default 5)
  --lr X             start learning rate (default 0.3 with adagrad, 0.025 with sgd)
  --optimizer adagrad|sgd  sparse update rule (default adagrad: row-wise Adagrad)
  --untied           separate center and context tables (default: one shared table)
  --batch N          pairs per step (default 1024)
  --min-count N      items seen fewer times get no learned row (default 1)
  --output input|sum final vectors: input embeddings, or input + output (default input)
  --engine tfjs|typed  gradient step in TF.js, or plain typed arrays (speed comparison; default tfjs)
  --seed N           random seed (default 1)
  --out DIR          models directory (default DATA_DIR/models)
  --no-announce      do not announce the model on NATS`;

export interface TrainCliOptions {
  eventsFile?: string;
  itemsFile?: string;
  limit?: number;
  modelsDir: string;
  natsUrl: string;
  announce: boolean;
  train: TrainOptions;
}

export interface TrainCliResult {
  version: string;
  dir: string;
  summary: TrainSummary;
  announced: boolean;
  loadSeconds: number;
  totalSeconds: number;
}

/** Reads the data, trains, writes and announces; progress on `progressStream` (default stderr). */
export async function runTrain(options: TrainCliOptions, logger: Logger, progressStream: NodeJS.WritableStream = process.stderr, signal?: AbortSignal): Promise<TrainCliResult> {
  const started = performance.now();
  const fileMode = options.eventsFile !== undefined;
  // NATS: required for the EVENTS stream; in file mode only to announce or to read CATALOG.
  const natsNeed = !fileMode ? 'required' : options.announce || options.itemsFile === undefined ? 'optional' : 'skip';
  const nc = await connectNats(options.natsUrl, logger, natsNeed);
  try {
    const runtime = initTensorFlow(logger);
    const read = await readEvents(options, nc, progressStream, signal);
    const events = options.limit !== undefined ? read.events.slice(0, options.limit) : read.events;
    const skipped = Object.entries(read.skipped);
    logger.info({ read: read.read, events: events.length, skipped: read.skipped }, `read ${formatCount(read.read)} events${skipped.length > 0 ? ` (skipped: ${skipped.map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`);
    const items = await readItems(options, nc, logger);
    const loadSeconds = (performance.now() - started) / 1000;

    const { tf, backend } = await runtime;
    const reporter = new TrainReporter(progressStream, logger);
    const model = await trainModel({ events, ...(items ? { items } : {}), options: options.train, tf, backend, onProgress: (p) => reporter.update(p), ...(signal ? { signal } : {}) });
    reporter.finish();
    const { version, dir } = await writeModel(options.modelsDir, model);
    const absoluteDir = resolve(dir);
    let announced = false;
    if (nc && options.announce) {
      await new NatsAnnouncements(nc, modelAnnouncementChannel, logger).announce({ version, dir: absoluteDir });
      announced = true;
      logger.info({ version, dir: absoluteDir }, `announced model ${version} on NATS`);
    } else if (options.announce) {
      logger.info({ version }, 'NATS not reachable: model not announced (engines load the newest model at start)');
    }
    return { version, dir: absoluteDir, summary: model.summary, announced, loadSeconds, totalSeconds: (performance.now() - started) / 1000 };
  } finally {
    await nc?.close().catch(() => undefined);
  }
}

async function connectNats(url: string, logger: Logger, need: 'required' | 'optional' | 'skip'): Promise<NatsConnection | undefined> {
  if (need === 'skip') return undefined;
  try {
    return await connect({ servers: url, name: 'pulse-train', timeout: 2000, noAsyncTraces: true });
  } catch (err) {
    if (need === 'required') throw new Error(`NATS at ${url} is not reachable (needed to read the EVENTS stream; use --events FILE to train from a file)`, { cause: err });
    logger.info({ url }, `NATS at ${url} not reachable: training from the file only`);
    return undefined;
  }
}

async function readEvents(options: TrainCliOptions, nc: NatsConnection | undefined, stream: NodeJS.WritableStream, signal?: AbortSignal): Promise<ReadEventsResult> {
  let fraction: number | undefined;
  let progress: Progress | undefined;
  let reported = 0;
  const onProgress = ({ read, total, fraction: f }: { read: number; total?: number; fraction?: number }): void => {
    fraction = f;
    progress ??= new Progress({ label: 'read events', unit: 'events', stream, ...(total !== undefined ? { total } : { fraction: () => fraction }) });
    progress.tick(read - reported);
    reported = read;
  };
  try {
    if (options.eventsFile !== undefined) {
      return await readEventFile(options.eventsFile, { onProgress, ...(signal ? { signal } : {}) }).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`no such file: ${options.eventsFile}`);
        throw err;
      });
    }
    return await readEventLog(nc!, { onProgress, ...(signal ? { signal } : {}) });
  } finally {
    progress?.done();
  }
}

async function readItems(options: TrainCliOptions, nc: NatsConnection | undefined, logger: Logger): Promise<Item[] | undefined> {
  if (options.itemsFile !== undefined) {
    const { items, rejected } = await readItemFile(options.itemsFile).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`no such file: ${options.itemsFile}`);
      throw err;
    });
    logger.info({ items: items.length, rejected }, `read ${formatCount(items.length)} items from ${options.itemsFile}${rejected > 0 ? ` (${rejected} invalid lines skipped)` : ''}`);
    return items;
  }
  if (!nc) return undefined;
  const items = await readCatalog(nc);
  logger.info({ items: items.length }, `read ${formatCount(items.length)} items from the CATALOG stream`);
  return items.length > 0 ? items : undefined;
}

/** Progress of the training phases; the item2vec line carries epoch and loss beside rate and ETA. */
class TrainReporter {
  private progress: Progress | undefined;
  private done = 0;
  private epochLabel = '';

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly logger: Logger,
  ) {}

  update(p: TrainProgress): void {
    if (p.phase === 'sequences') {
      this.logger.info({ ...p.stats, items: p.items }, `${formatCount(p.stats.sessions)} sessions and ${formatCount(p.stats.purchaseHistories)} purchase histories of ${formatCount(p.stats.users)} users over ${formatCount(p.items)} items`);
    } else if (p.phase === 'item2vec') {
      this.epochLabel = `epoch ${p.epoch}/${p.epochs}  loss ${Number.isFinite(p.loss) ? p.loss.toFixed(4) : '-'}`;
      this.progress ??= new Progress({ label: 'train item2vec', unit: 'pairs', total: p.totalPairs, stream: annotatedStream(this.stream, () => this.epochLabel), tty: (this.stream as NodeJS.WriteStream).isTTY === true });
      this.progress.tick(p.pairs - this.done);
      this.done = p.pairs;
    } else if (p.epoch === 1 || p.epoch === p.epochs || p.epoch % 10 === 0) {
      this.finish();
      this.logger.info({ epoch: p.epoch, epochs: p.epochs, loss: p.loss }, `content tower epoch ${p.epoch}/${p.epochs}  loss ${p.loss.toFixed(4)} (1 - cosine)`);
    }
  }

  finish(): void {
    this.progress?.done();
    this.progress = undefined;
  }
}

/** A stream that appends `annotate()` to every line Progress writes (before its end-of-line or clear-to-EOL). */
function annotatedStream(target: NodeJS.WritableStream, annotate: () => string): Writable {
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      const text = String(chunk);
      const note = `  ${annotate()}`;
      target.write(text.endsWith('\x1b[K') ? `${text.slice(0, -3)}${note}\x1b[K` : text.endsWith('\n') && text.trim() !== '' ? `${text.slice(0, -1)}${note}\n` : text);
      callback();
    },
  });
}

export function formatTrainSummary(result: TrainCliResult, events: { file?: string }): string {
  const s = result.summary;
  return [
    `model ${result.version}`,
    `  events     ${formatCount(s.usedEvents)} used of ${formatCount(s.events)}${events.file ? ` (${events.file})` : ' (EVENTS stream)'}`,
    `  sequences  ${formatCount(s.sequences)}`,
    `  items      ${formatCount(s.items)} learned${s.towerItems > 0 ? `, content tower trained on ${formatCount(s.towerItems)}` : ', no content tower (no item attributes)'}`,
    `  epochs     ${s.epochs}  (${formatCount(s.pairs)} pairs, final loss ${s.finalLoss.toFixed(4)})`,
    `  backend    ${s.backend}, ${s.engine === 'typed' ? 'typed-array SGD step' : 'TF.js gradient step'}  ${formatRate(s.pairsPerSecond, 'pairs')}`,
    `  time       ${formatElapsed(result.totalSeconds)} in all: load ${formatElapsed(result.loadSeconds)}, item2vec ${formatElapsed(s.item2vecSeconds)}${s.towerItems > 0 ? `, tower ${formatElapsed(s.towerSeconds)}` : ''}`,
    `  output     ${result.dir}`,
    `  announced  ${result.announced ? 'yes, on pulse.model.published' : 'no'}`,
  ].join('\n');
}

export function parseTrainArgs(argv: string[], env: NodeJS.ProcessEnv): TrainCliOptions | 'help' {
  const args = parseCommandLine(argv, {
    events: { type: 'string' },
    items: { type: 'string' },
    limit: { type: 'string' },
    epochs: { type: 'string' },
    'max-pairs': { type: 'string' },
    dim: { type: 'string' },
    window: { type: 'string' },
    negatives: { type: 'string' },
    lr: { type: 'string' },
    batch: { type: 'string' },
    'min-count': { type: 'string' },
    output: { type: 'string' },
    optimizer: { type: 'string' },
    untied: { type: 'boolean' },
    engine: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    'no-announce': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (args.help) return 'help';
  const config = loadConfig(sharedConfigSpec, env);
  const lr = args.lr === undefined ? undefined : Number(args.lr);
  if (lr !== undefined && !(lr > 0 && lr <= 10)) throw new UsageError(`--lr must be a number in (0, 10], got "${args.lr}"`);
  if (args.output !== undefined && args.output !== 'input' && args.output !== 'sum') throw new UsageError(`--output must be input or sum, got "${args.output}"`);
  if (args.optimizer !== undefined && args.optimizer !== 'adagrad' && args.optimizer !== 'sgd') throw new UsageError(`--optimizer must be adagrad or sgd, got "${args.optimizer}"`);
  if (args.engine !== undefined && args.engine !== 'tfjs' && args.engine !== 'typed') throw new UsageError(`--engine must be tfjs or typed, got "${args.engine}"`);
  const train: TrainOptions = {
    epochs: intOption('epochs', args.epochs, DEFAULTS.epochs, 1, 1000),
    maxPairs: intOption('max-pairs', args['max-pairs'], 5_000_000, 1, Number.MAX_SAFE_INTEGER),
    dimension: intOption('dim', args.dim, 64, 8, 1024),
    window: intOption('window', args.window, DEFAULTS.window, 1, 50),
    negatives: intOption('negatives', args.negatives, DEFAULTS.negatives, 1, 100),
    batchSize: intOption('batch', args.batch, 1024, 1, 65_536),
    minCount: intOption('min-count', args['min-count'], 1, 1, 1_000_000),
    seed: intOption('seed', args.seed, 1, 0, 0xffffffff),
    ...(lr !== undefined ? { learningRate: lr } : {}),
    optimizer: (args.optimizer as 'adagrad' | 'sgd' | undefined) ?? 'adagrad',
    tied: args.untied !== true,
    output: (args.output as 'input' | 'sum' | undefined) ?? 'input',
    engine: (args.engine as 'tfjs' | 'typed' | undefined) ?? 'tfjs',
    sessionGapMs: 30 * 60 * 1000,
  };
  return {
    ...(args.events !== undefined ? { eventsFile: args.events } : {}),
    ...(args.items !== undefined ? { itemsFile: args.items } : {}),
    ...(args.limit !== undefined ? { limit: intOption('limit', args.limit, 0, 1, Number.MAX_SAFE_INTEGER) } : {}),
    modelsDir: args.out ?? resolve(config.dataDir, 'models'),
    natsUrl: config.natsUrl,
    announce: args['no-announce'] !== true,
    train,
  };
}

/** Defaults of the CLI (measured on yoochoose-sample; see README). */
const DEFAULTS = { epochs: 20, window: 3, negatives: 5 };

async function main(): Promise<number> {
  const options = parseTrainArgs(process.argv.slice(2), process.env);
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const logger = createLogger('train', process.env.LOG_LEVEL ?? 'info');
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new Error('interrupted')));
  try {
    const result = await runTrain(options, logger, process.stderr, controller.signal);
    process.stdout.write(`${formatTrainSummary(result, options.eventsFile !== undefined ? { file: options.eventsFile } : {})}\n`);
    return 0;
  } catch (err) {
    if (controller.signal.aborted) {
      process.stderr.write('interrupted: no model written\n');
      return 130;
    }
    throw err;
  }
}

if (isMain(import.meta.url)) runMain(main, USAGE);
