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
 * The model gate (models/validation.ts): too little data is refused before training; the newest
 * --holdout share of sessions (never any the serving model trained on) is held out, a candidate
 * trains on the rest, and it and the serving model (the newest model under the models directory,
 * which engines load, else the attribute encoder) are scored on the held-out sessions (HR@20,
 * MRR@20 of the next item). Only a candidate not worse than the serving one (or --force) is
 * published: retrained on the whole log (unless --no-refit), written with both models' figures in
 * its manifest, announced. A refused candidate is not written.
 *
 * Exit codes: 0 model written, 1 failure (data unreadable, too little data, NATS needed but
 * down), 2 bad command line, 3 refused by the gate (worse than the serving model: nothing written),
 * 130 interrupted.
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
import { latestModelDir, newModelVersion, normalisedRows, readModel, writeModel } from '../models/artifact.js';
import type { ModelValidation, ValidationFigures } from '../models/artifact-types.js';
import { initTensorFlow } from '../models/backend.js';
import { ContentEncoder } from '../models/content-encoder.js';
import { LearnedVectorSource } from '../models/learned-vector-source.js';
import { trainModel, type TrainedModel, type TrainOptions, type TrainProgress, type TrainSummary } from '../models/train.js';
import {
  DEFAULT_DATA_THRESHOLDS,
  InsufficientDataError,
  attributeSpace,
  dataFailures,
  dataFigures,
  evaluateNextItem,
  gateDecision,
  learnedSpace,
  splitHoldout,
  type CandidateSpace,
  type DataThresholds,
  type HoldoutSplit,
} from '../models/validation.js';
import { ATTRIBUTE_MODEL_VERSION } from '../engine/services/model-registry.js';
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
  --no-announce      do not announce the model on NATS
model gate:
  --holdout X        share of sessions, the newest, held out for validation (default 0.1; never
                     any before the serving model's last training event)
  --min-events N     refuse fewer usable events (default 1000)
  --min-coverage X   refuse events covering less than this share of the catalog's items (default 0.2)
  --min-heldout N    refuse fewer held-out cases (default 100)
  --max-cases N      held-out cases scored at most (default 20000)
  --tolerance X      publish when new HR@20 >= serving HR@20 - X (default 0.01)
  --force            publish even when the new model scores below the serving one
  --no-refit         publish the candidate trained without the held-out part (default: retrain on all)
exit codes: 0 published, 1 failure or too little data, 2 bad command line, 3 refused by the gate`;

export interface TrainCliOptions {
  eventsFile?: string;
  itemsFile?: string;
  limit?: number;
  modelsDir: string;
  natsUrl: string;
  announce: boolean;
  train: TrainOptions;
  gate: GateOptions;
}

export interface GateOptions {
  holdout: number;
  thresholds: DataThresholds;
  maxCases: number;
  tolerance: number;
  force: boolean;
  /** Retrain on the whole log once the candidate passes. */
  refit: boolean;
}

/** What the gate measured and decided. */
export interface GateReport {
  validation: ModelValidation;
  publish: boolean;
  reason: string;
  /** What set the held-out cut-off: the newest --holdout share, or the serving model's last training event. */
  heldOutBoundBy: 'share' | 'serving';
  evaluationSeconds: number;
}

export interface TrainCliResult {
  version: string;
  /** The model directory; absent when the gate refused the model (nothing written). */
  dir?: string;
  summary: TrainSummary;
  announced: boolean;
  gate: GateReport;
  loadSeconds: number;
  totalSeconds: number;
}

/** Exit code of a model the gate refused. */
export const EXIT_REFUSED = 3;

/**
 * Reads the data, checks it is enough, trains a candidate without the held-out part, scores it and
 * the serving model, and (when the gate lets it through) trains on everything, writes and
 * announces; progress on `progressStream` (default stderr).
 * @throws InsufficientDataError (before training) when a data threshold is missed.
 */
export async function runTrain(
  options: TrainCliOptions,
  logger: Logger,
  progressStream: NodeJS.WritableStream = process.stderr,
  signal?: AbortSignal,
): Promise<TrainCliResult> {
  const started = performance.now();
  const fileMode = options.eventsFile !== undefined;
  // NATS: required for the EVENTS stream; in file mode only to announce or to read CATALOG.
  const natsNeed = !fileMode ? 'required' : options.announce || options.itemsFile === undefined ? 'optional' : 'skip';
  const nc = await connectNats(options.natsUrl, logger, natsNeed);
  try {
    const runtime = initTensorFlow(logger);
    // Awaited once the data has passed the gate's thresholds; a refusal before that leaves it unread.
    runtime.catch(() => undefined);
    const read = await readEvents(options, nc, progressStream, signal);
    const events = options.limit !== undefined ? read.events.slice(0, options.limit) : read.events;
    const skipped = Object.entries(read.skipped);
    logger.info(
      { read: read.read, events: events.length, skipped: read.skipped },
      `read ${formatCount(read.read)} events${skipped.length > 0 ? ` (skipped: ${skipped.map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}`,
    );
    const items = await readItems(options, nc, logger);
    const loadSeconds = (performance.now() - started) / 1000;

    // The gate's first half, before any training: enough data, and a held-out part to judge by.
    const { gate } = options;
    const figures = dataFigures(events, items ? new Set(items.map((item) => item.itemId)) : undefined);
    const serving = await servingModel(options.modelsDir, items ?? [], options.train.dimension ?? 64, logger);
    const split = splitHoldout(events, {
      share: gate.holdout,
      maxCases: gate.maxCases,
      ...(options.train.sessionGapMs !== undefined ? { sessionGapMs: options.train.sessionGapMs } : {}),
      // Judge on events the serving model never learned from (see models/validation.ts).
      ...(serving.trainedTo !== undefined ? { notBefore: serving.trainedTo + 1 } : {}),
    });
    const failures = dataFailures(figures, split, gate.thresholds);
    if (failures.length > 0) throw new InsufficientDataError(failures);
    logger.info(
      {
        heldOutFrom: new Date(split.from).toISOString(),
        heldOutSessions: split.heldOutSessions,
        cases: split.cases.length,
        training: split.training.length,
      },
      `held out ${formatCount(split.heldOutEvents)} events from ${new Date(split.from).toISOString()} (${formatCount(split.heldOutSessions)} sessions, ${formatCount(split.cases.length)} cases); the candidate trains on ${formatCount(split.training.length)}`,
    );

    const { tf, backend } = await runtime;
    const train = (trainEvents: typeof events, label: string) => {
      const reporter = new TrainReporter(progressStream, logger, label);
      return trainModel({
        events: trainEvents,
        ...(items ? { items } : {}),
        options: options.train,
        tf,
        backend,
        onProgress: (p) => reporter.update(p),
        ...(signal ? { signal } : {}),
      }).finally(() => reporter.finish());
    };
    const version = newModelVersion();
    const candidate = await train(split.training, 'candidate');
    const report = await judge({
      candidate,
      version,
      split,
      serving: serving.space,
      items: items ?? [],
      options,
      progressStream,
      ...(signal ? { signal } : {}),
    });
    if (!report.publish) {
      logger.warn({ version, reason: report.reason }, `model ${version} refused by the gate: ${report.reason}`);
      return {
        version,
        summary: candidate.summary,
        announced: false,
        gate: report,
        loadSeconds,
        totalSeconds: (performance.now() - started) / 1000,
      };
    }

    const model = gate.refit ? await train(events, 'whole log') : candidate;
    const { dir } = await writeModel(options.modelsDir, {
      ...model,
      manifest: { ...model.manifest, version, validation: report.validation },
    });
    const absoluteDir = resolve(dir);
    let announced = false;
    if (nc && options.announce) {
      await new NatsAnnouncements(nc, modelAnnouncementChannel, logger).announce({ version, dir: absoluteDir });
      announced = true;
      logger.info({ version, dir: absoluteDir }, `announced model ${version} on NATS`);
    } else if (options.announce) {
      logger.info({ version }, 'NATS not reachable: model not announced (engines load the newest model at start)');
    }
    return {
      version,
      dir: absoluteDir,
      summary: model.summary,
      announced,
      gate: report,
      loadSeconds,
      totalSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    await nc?.close().catch(() => undefined);
  }
}

interface JudgeInput {
  candidate: TrainedModel;
  version: string;
  split: HoldoutSplit;
  serving: CandidateSpace;
  items: readonly Item[];
  options: TrainCliOptions;
  progressStream: NodeJS.WritableStream;
  signal?: AbortSignal;
}

/** Scores the candidate and the serving model on the held-out cases and decides. */
async function judge(input: JudgeInput): Promise<GateReport> {
  const { candidate, version, split, serving, items, options } = input;
  const dimension = candidate.manifest.dimension;
  // The engine's attribute encoder (same default seed) of the model's dimension: the fallback of
  // learned models, and the model serving when none was trained yet.
  const encoder = new ContentEncoder({ dimension });
  const candidateSource = new LearnedVectorSource(
    {
      manifest: {
        version,
        dimension,
        itemIds: candidate.manifest.itemIds,
        metrics: candidate.manifest.metrics,
        ...(candidate.content ? { contentTower: { buckets: candidate.content.buckets, seed: candidate.content.seed } } : {}),
      },
      vectors: normalisedRows(candidate.vectors, dimension, candidate.manifest.itemIds),
      rowOf: new Map(candidate.manifest.itemIds.map((id, row) => [id, row])),
      ...(candidate.content ? { contentTable: candidate.content.table } : {}),
    },
    encoder,
  );
  const spaces = [learnedSpace(candidateSource, items), serving];
  const started = performance.now();
  const progress = new Progress({
    label: 'validate new + serving',
    unit: 'cases',
    total: split.cases.length * spaces.length,
    stream: input.progressStream,
  });
  const results: ValidationFigures[] = [];
  for (const space of spaces)
    results.push(
      await evaluateNextItem(space, split.cases, {
        onProgress: (n) => progress.tick(n),
        ...(input.signal ? { signal: input.signal } : {}),
      }),
    );
  const evaluationSeconds = (performance.now() - started) / 1000;
  // A line of rate and ETA only for an evaluation long enough to have shown one.
  if (evaluationSeconds >= 1) progress.done();
  const [candidateFigures, servingFigures] = results as [ValidationFigures, ValidationFigures];
  const decision = gateDecision(candidateFigures, servingFigures, { tolerance: options.gate.tolerance, force: options.gate.force });
  const validation: ModelValidation = {
    protocol: 'next-item',
    k: 20,
    cases: split.cases.length,
    heldOutSessions: split.heldOutSessions,
    holdoutShare: options.gate.holdout,
    heldOutFrom: split.from,
    ...rounded(candidateFigures),
    serving: { version: serving.version, ...rounded(servingFigures) },
    forced: decision.publish && options.gate.force && candidateFigures.hitRate < servingFigures.hitRate - options.gate.tolerance,
  };
  return {
    validation,
    publish: decision.publish,
    reason: decision.reason,
    heldOutBoundBy: split.boundBy,
    evaluationSeconds,
  };
}

/**
 * The model engines serve: the newest complete model under the models directory (engines load it
 * at start, and every published model is the newest when announced), else the attribute encoder.
 * A newest model that does not load is what an engine would refuse too: the attribute model then.
 */
async function servingModel(
  modelsDir: string,
  items: readonly Item[],
  dimension: number,
  logger: Logger,
): Promise<{ space: CandidateSpace; trainedTo?: number }> {
  const dir = await latestModelDir(modelsDir);
  if (dir !== undefined) {
    try {
      const model = await readModel(dir);
      const source = new LearnedVectorSource(model, new ContentEncoder({ dimension: model.manifest.dimension }));
      logger.info({ version: model.manifest.version, dir }, `serving model: ${model.manifest.version}`);
      return { space: learnedSpace(source, items), trainedTo: model.manifest.training.to };
    } catch (err) {
      logger.warn(
        { err, dir },
        `the newest model ${dir} does not load (${(err as Error).message}); comparing with the attribute model engines fall back to`,
      );
    }
  }
  if (items.length === 0) logger.warn('no catalog: the attribute model has no items to score (its figures are 0)');
  return { space: attributeSpace(ATTRIBUTE_MODEL_VERSION, new ContentEncoder({ dimension }), items) };
}

function rounded(figures: ValidationFigures): ValidationFigures {
  return {
    hitRate: Math.round(figures.hitRate * 1e4) / 1e4,
    mrr: Math.round(figures.mrr * 1e4) / 1e4,
    unknownTargets: figures.unknownTargets,
  };
}

async function connectNats(url: string, logger: Logger, need: 'required' | 'optional' | 'skip'): Promise<NatsConnection | undefined> {
  if (need === 'skip') return undefined;
  try {
    return await connect({ servers: url, name: 'pulse-train', timeout: 2000, noAsyncTraces: true });
  } catch (err) {
    if (need === 'required')
      throw new Error(`NATS at ${url} is not reachable (needed to read the EVENTS stream; use --events FILE to train from a file)`, {
        cause: err,
      });
    logger.info({ url }, `NATS at ${url} not reachable: training from the file only`);
    return undefined;
  }
}

async function readEvents(
  options: TrainCliOptions,
  nc: NatsConnection | undefined,
  stream: NodeJS.WritableStream,
  signal?: AbortSignal,
): Promise<ReadEventsResult> {
  let fraction: number | undefined;
  let progress: Progress | undefined;
  let reported = 0;
  const onProgress = ({ read, total, fraction: f }: { read: number; total?: number; fraction?: number }): void => {
    fraction = f;
    progress ??= new Progress({
      label: 'read events',
      unit: 'events',
      stream,
      ...(total !== undefined ? { total } : { fraction: () => fraction }),
    });
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
    logger.info(
      { items: items.length, rejected },
      `read ${formatCount(items.length)} items from ${options.itemsFile}${rejected > 0 ? ` (${rejected} invalid lines skipped)` : ''}`,
    );
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
    /** Which training this is (`candidate`, `whole log`), shown in the progress line. */
    private readonly label: string,
  ) {}

  update(p: TrainProgress): void {
    if (p.phase === 'sequences') {
      this.logger.info(
        { ...p.stats, items: p.items },
        `${formatCount(p.stats.sessions)} sessions and ${formatCount(p.stats.purchaseHistories)} purchase histories of ${formatCount(p.stats.users)} users over ${formatCount(p.items)} items`,
      );
    } else if (p.phase === 'item2vec') {
      this.epochLabel = `epoch ${p.epoch}/${p.epochs}  loss ${Number.isFinite(p.loss) ? p.loss.toFixed(4) : '-'}`;
      this.progress ??= new Progress({
        label: `train item2vec (${this.label})`,
        unit: 'pairs',
        total: p.totalPairs,
        stream: annotatedStream(this.stream, () => this.epochLabel),
        tty: (this.stream as NodeJS.WriteStream).isTTY === true,
      });
      this.progress.tick(p.pairs - this.done);
      this.done = p.pairs;
    } else if (p.epoch === 1 || p.epoch === p.epochs || p.epoch % 10 === 0) {
      this.finish();
      this.logger.info(
        { epoch: p.epoch, epochs: p.epochs, loss: p.loss },
        `content tower epoch ${p.epoch}/${p.epochs}  loss ${p.loss.toFixed(4)} (1 - cosine)`,
      );
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
      target.write(
        text.endsWith('\x1b[K')
          ? `${text.slice(0, -3)}${note}\x1b[K`
          : text.endsWith('\n') && text.trim() !== ''
            ? `${text.slice(0, -1)}${note}\n`
            : text,
      );
      callback();
    },
  });
}

export function formatTrainSummary(result: TrainCliResult, events: { file?: string }): string {
  const s = result.summary;
  const lines = [
    `model ${result.version}${result.dir === undefined ? ' (refused: not written)' : ''}`,
    `  events     ${formatCount(s.usedEvents)} used of ${formatCount(s.events)}${events.file ? ` (${events.file})` : ' (EVENTS stream)'}`,
    `  sequences  ${formatCount(s.sequences)}`,
    `  items      ${formatCount(s.items)} learned${s.towerItems > 0 ? `, content tower trained on ${formatCount(s.towerItems)}` : ', no content tower (no item attributes)'}`,
    `  epochs     ${s.epochs}  (${formatCount(s.pairs)} pairs, final loss ${s.finalLoss.toFixed(4)})`,
    `  backend    ${s.backend}, ${s.engine === 'typed' ? 'typed-array SGD step' : 'TF.js gradient step'}  ${formatRate(s.pairsPerSecond, 'pairs')}`,
    `  time       ${formatElapsed(result.totalSeconds)} in all: load ${formatElapsed(result.loadSeconds)}, item2vec ${formatElapsed(s.item2vecSeconds)}${s.towerItems > 0 ? `, tower ${formatElapsed(s.towerSeconds)}` : ''}, validation ${formatElapsed(result.gate.evaluationSeconds)}`,
    `  output     ${result.dir ?? 'none'}`,
    `  announced  ${result.announced ? 'yes, on pulse.model.published' : 'no'}`,
  ];
  return [...lines, '', formatValidation(result.version, result.gate)].join('\n');
}

/**
 * Both models' held-out figures and the decision:
 *
 *   validation  next item after 1,234 held-out session prefixes (newest 10% of sessions, from 2025-03-01T10:00:00.000Z)
 *     model                               HR@20   MRR@20  unknown targets
 *     new      20250301T101500Z-1a2b3c   0.4120   0.1530               12
 *     serving  attributes-v1             0.1010   0.0400                0
 *   swap: new HR@20 0.4120 >= serving 0.1010 - tolerance 0.01
 */
export function formatValidation(version: string, gate: GateReport): string {
  const v = gate.validation;
  const row = (role: string, name: string, f: ValidationFigures) =>
    `  ${role.padEnd(8)} ${name.padEnd(26)} ${f.hitRate.toFixed(4).padStart(7)}  ${f.mrr.toFixed(4).padStart(7)}  ${formatCount(f.unknownTargets).padStart(15)}`;
  return [
    `validation  next item after ${formatCount(v.cases)} held-out session prefixes (${formatCount(v.heldOutSessions)} sessions from ${new Date(v.heldOutFrom).toISOString()}: ${gate.heldOutBoundBy === 'share' ? `the newest ${Math.round(v.holdoutShare * 100)}%` : "all after the serving model's training data"})`,
    `  ${'model'.padEnd(35)} ${`HR@${v.k}`.padStart(7)}  ${`MRR@${v.k}`.padStart(7)}  ${'unknown targets'.padStart(15)}`,
    row('new', version, v),
    row('serving', v.serving.version, v.serving),
    `${gate.publish ? (v.forced ? 'forced swap' : 'swap') : 'refused'}: ${gate.reason}`,
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
    holdout: { type: 'string' },
    'min-events': { type: 'string' },
    'min-coverage': { type: 'string' },
    'min-heldout': { type: 'string' },
    'max-cases': { type: 'string' },
    tolerance: { type: 'string' },
    force: { type: 'boolean' },
    'no-refit': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (args.help) return 'help';
  const config = loadConfig(sharedConfigSpec, env);
  const lr = args.lr === undefined ? undefined : Number(args.lr);
  if (lr !== undefined && !(lr > 0 && lr <= 10)) throw new UsageError(`--lr must be a number in (0, 10], got "${args.lr}"`);
  if (args.output !== undefined && args.output !== 'input' && args.output !== 'sum')
    throw new UsageError(`--output must be input or sum, got "${args.output}"`);
  if (args.optimizer !== undefined && args.optimizer !== 'adagrad' && args.optimizer !== 'sgd')
    throw new UsageError(`--optimizer must be adagrad or sgd, got "${args.optimizer}"`);
  if (args.engine !== undefined && args.engine !== 'tfjs' && args.engine !== 'typed')
    throw new UsageError(`--engine must be tfjs or typed, got "${args.engine}"`);
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
    gate: {
      holdout: shareOption('holdout', args.holdout, 0.1, 0.5),
      thresholds: {
        minEvents: intOption('min-events', args['min-events'], DEFAULT_DATA_THRESHOLDS.minEvents, 0, Number.MAX_SAFE_INTEGER),
        minCatalogShare:
          args['min-coverage'] === undefined
            ? DEFAULT_DATA_THRESHOLDS.minCatalogShare
            : shareOption('min-coverage', args['min-coverage'], 0, 1, true),
        minHeldOutCases: intOption('min-heldout', args['min-heldout'], DEFAULT_DATA_THRESHOLDS.minHeldOutCases, 0, Number.MAX_SAFE_INTEGER),
      },
      maxCases: intOption('max-cases', args['max-cases'], 20_000, 1, 10_000_000),
      tolerance: shareOption('tolerance', args.tolerance, 0.01, 1, true),
      force: args.force === true,
      refit: args['no-refit'] !== true,
    },
  };
}

/** A fraction option in (0, max] (or [0, max] with `zeroOk`), `fallback` when absent. */
function shareOption(name: string, raw: string | undefined, fallback: number, max: number, zeroOk = false): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value > max || (zeroOk ? value < 0 : value <= 0)) {
    throw new UsageError(`--${name} must be a number in ${zeroOk ? '[' : '('}0, ${max}], got "${raw}"`);
  }
  return value;
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
    return result.dir === undefined ? EXIT_REFUSED : 0;
  } catch (err) {
    if (controller.signal.aborted) {
      process.stderr.write('interrupted: no model written\n');
      return 130;
    }
    throw err;
  }
}

if (isMain(import.meta.url)) runMain(main, USAGE);
