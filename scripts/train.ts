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
 *     (epoch seconds; the session is the user), e.g. data/datasets/yoochoose-sample/train_full.tsv.gz (docs/datasets.md);
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
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { NatsAnnouncements } from '../engine/platform/mod.js';
import { modelAnnouncementChannel } from '../engine/recommend/mod.js';
import type { Item } from '../engine/contracts/schemas.js';
import { newModelVersion, writeModel } from '../models/artifact.js';
import { initTensorFlow } from '../models/backend.js';
import { trainModel } from '../models/train.js';
import { InsufficientDataError, dataFailures, dataFigures, splitHoldout } from '../models/validation.js';
import { UsageError, isMain, runMain } from './lib/args.js';
import { loadConfigOrExit } from './lib/startup.js';
import { readCatalog, readEventFile, readEventLog, readItemFile, type ReadEventsResult } from './lib/event-log-reader.js';
import { createLogger } from './lib/logger.js';
import { Progress, formatCount } from './lib/progress.js';
import { USAGE, parseTrainArgs, type TrainCliOptions } from './train/cli-options.js';
import { judge, servingModel } from './train/gate.js';
import { TrainReporter, formatTrainSummary, type TrainCliResult } from './train/report.js';

export { USAGE, parseTrainArgs, type GateOptions, type TrainCliOptions } from './train/cli-options.js';
export type { GateReport } from './train/gate.js';
export { formatTrainSummary, formatValidation, type TrainCliResult } from './train/report.js';

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

async function main(): Promise<number> {
  // The command line and the shared variables (DATA_DIR, NATS_URL): bad variables all at once, one line each.
  const options = loadConfigOrExit('train', () => parseTrainArgs(process.argv.slice(2), process.env));
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
