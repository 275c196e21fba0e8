import { resolve } from 'node:path';
import { sharedConfigSpec } from '../../engine/config.js';
import { loadConfig } from '../../engine/contracts/env.js';
import type { TrainOptions } from '../../models/train.js';
import { DEFAULT_DATA_THRESHOLDS, type DataThresholds } from '../../models/validation.js';
import { UsageError, intOption, parseCommandLine } from '../lib/args.js';

/** The command line of `npm run train` (scripts/train.ts): usage, options, parsing. */

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
