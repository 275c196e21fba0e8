/**
 * `npm run eval -- [--dataset yoochoose|online-retail|all] [--train | --model DIR | --no-model] [--json] ...`
 *
 * Replays held-out data through the code that serves shoppers (scripts/eval/pulse-method.ts: the
 * engine's CatalogService, ModelRegistry, Recommender and EventProcessor over the in-memory state
 * ports), test-then-learn, beside baselines fed the same stream (scripts/eval/baselines.ts), and
 * reports hit rate (P@K), MRR@K, NDCG@K and catalog coverage at K = 10 and 20.
 *
 * 1. Reads the data set from --data (default DATA_DIR/datasets, docs/datasets.md; never committed).
 * 2. Learned part: by default trains item2vec (models/trainModel, as `npm run train`) on the
 *    training split only and writes it under <out>/models/<dataset>/; --model DIR loads an
 *    artifact instead; --no-model evaluates the attribute vectors alone.
 * 3. Replays: training events first (the streaming part: popularity, co-visitation, user vectors),
 *    then each held-out event: every method's list is scored, then the event is applied.
 * 4. Prints a table per data set (--json: one JSON object), writes eval-result.json and an SVG of
 *    P@K and MRR@K for K = 1..20 per data set and list filter to --out (default DATA_DIR/eval).
 *
 * Exit codes: 0 done, 1 failure (data unreadable, training failed), 2 bad command line, 130 interrupted.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { loadEngineConfig, sharedConfigSpec } from '../engine/config.js';
import { loadAll, loadConfig } from '../engine/contracts/env.js';
import type { ItemVectorSource } from '../engine/recommend/mod.js';
import { UsageError, intOption, isMain, parseCommandLine, runMain } from './lib/args.js';
import { loadConfigOrExit } from './lib/startup.js';
import { missingDataset } from './lib/datasets.js';
import { createLogger } from './lib/logger.js';
import { formatElapsed } from './lib/progress.js';
import { createBaselines, type BaselineMode } from './eval/baselines.js';
import type { EvalDataset } from './eval/dataset.js';
import { loadForEval, trainForEval, type LearnedModel } from './eval/learned-model.js';
import type { EvalMethod } from './eval/method.js';
import { ONLINE_RETAIL_CUTOFF, readOnlineRetail } from './eval/online-retail.js';
import { DATASET_NAMES, PROFILES, SOURCE_ROWS, VECTOR_ONLY, VECTOR_WITH_COMPLEMENTS, type DatasetName } from './eval/profiles.js';
import { PulseMethod, attributeVectors } from './eval/pulse-method.js';
import { replay } from './eval/replay.js';
import { SharedAggregates } from './eval/shared-aggregates.js';
import { evaluateSearch, formatSearchReport } from './eval/search.js';
import { buildReport, formatReport, reportJson, reportPlot, type DatasetReport } from './eval/report.js';
import {
  COMPLEMENTS_ROW,
  LEARNED_ROW,
  SERVED_FILTER_NAME,
  VECTOR_ONLY_ROW,
  formatChecks,
  targetChecks,
  type TargetCheck,
} from './eval/targets.js';
import { readYoochoose } from './eval/yoochoose.js';

export const USAGE = `usage: npm run eval -- [options]
  --dataset NAME       yoochoose, online-retail or all (default all)
  --train              train item2vec on each training split first (default)
  --model DIR          evaluate this model artifact instead of training (one dataset only)
  --no-model           attribute vectors only, no learned model
  --epochs N           trainer epochs (default: npm run train's)
  --engine tfjs|typed  trainer's gradient step (default tfjs)
  --engine-defaults    also measure Pulse with the engine's default ranking (untuned)
  --index hnsw|exact   the item index (default hnsw, what serves)
  --baselines streaming|static  baselines keep learning from the held-out stream (default) or not
  --cutoff YYYY-MM-DD  online-retail: first day held out (default 2011-10-09)
  --data DIR           where the data sets are (default DATA_DIR/datasets; docs/datasets.md)
  --out DIR            plots, eval-result.json and eval models (default DATA_DIR/eval)
  --search             online-retail: BM25, the content tower and their blend for recommend {query} (eval/search.ts)
  --json               print one JSON object instead of the tables`;

export interface EvalCliOptions {
  datasets: DatasetName[];
  model: { kind: 'train'; epochs?: number; engine?: 'tfjs' | 'typed' } | { kind: 'load'; dir: string } | { kind: 'none' };
  engineDefaults: boolean;
  index: 'hnsw' | 'exact';
  baselines: BaselineMode;
  cutoff: number;
  dataDir: string;
  outDir: string;
  json: boolean;
  /** `--search`: the search comparison (scripts/eval/search.ts) instead of the list evaluation. */
  search: boolean;
}

export function parseEvalArgs(argv: string[], dataDir: string): EvalCliOptions {
  const v = parseCommandLine(argv, {
    dataset: { type: 'string' },
    train: { type: 'boolean' },
    model: { type: 'string' },
    'no-model': { type: 'boolean' },
    epochs: { type: 'string' },
    engine: { type: 'string' },
    'engine-defaults': { type: 'boolean' },
    index: { type: 'string' },
    baselines: { type: 'string' },
    cutoff: { type: 'string' },
    data: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
    search: { type: 'boolean' },
  });
  if (v.search && v.dataset === 'yoochoose') throw new UsageError('--search needs item titles: online-retail only');
  const name = v.search ? 'online-retail' : (v.dataset ?? 'all');
  if (name !== 'all' && !(DATASET_NAMES as string[]).includes(name))
    throw new UsageError(`--dataset must be one of ${DATASET_NAMES.join(', ')} or all, got "${name}"`);
  const datasets = name === 'all' ? [...DATASET_NAMES] : [name as DatasetName];
  if ([v.train, v.model !== undefined, v['no-model']].filter(Boolean).length > 1)
    throw new UsageError('choose one of --train, --model DIR and --no-model');
  if (v.model !== undefined && datasets.length > 1)
    throw new UsageError('--model DIR belongs to one data set: add --dataset yoochoose or --dataset online-retail');
  if (v.engine !== undefined && v.engine !== 'tfjs' && v.engine !== 'typed')
    throw new UsageError(`--engine must be tfjs or typed, got "${v.engine}"`);
  if ((v.epochs !== undefined || v.engine !== undefined) && (v.model !== undefined || v['no-model']))
    throw new UsageError('--epochs and --engine apply to training only');
  const model: EvalCliOptions['model'] =
    v.model !== undefined
      ? { kind: 'load', dir: resolve(v.model) }
      : v['no-model']
        ? { kind: 'none' }
        : {
            kind: 'train',
            ...(v.epochs !== undefined ? { epochs: intOption('epochs', v.epochs, 20, 1, 10_000) } : {}),
            ...(v.engine !== undefined ? { engine: v.engine as 'tfjs' | 'typed' } : {}),
          };
  const index = v.index ?? 'hnsw';
  if (index !== 'hnsw' && index !== 'exact') throw new UsageError(`--index must be hnsw or exact, got "${index}"`);
  const baselines = v.baselines ?? 'streaming';
  if (baselines !== 'streaming' && baselines !== 'static')
    throw new UsageError(`--baselines must be streaming or static, got "${baselines}"`);
  let cutoff = ONLINE_RETAIL_CUTOFF;
  if (v.cutoff !== undefined) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v.cutoff);
    cutoff = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : Number.NaN;
    if (!Number.isFinite(cutoff) || new Date(cutoff).toISOString().slice(0, 10) !== v.cutoff)
      throw new UsageError(`--cutoff must be a date YYYY-MM-DD, got "${v.cutoff}"`);
  }
  return {
    datasets,
    model,
    engineDefaults: v['engine-defaults'] === true,
    index,
    baselines,
    cutoff,
    dataDir: resolve(v.data ?? join(dataDir, 'datasets')),
    outDir: resolve(v.out ?? join(dataDir, 'eval')),
    json: v.json === true,
    search: v.search === true,
  };
}

async function readDataset(name: DatasetName, options: EvalCliOptions): Promise<EvalDataset> {
  const path =
    name === 'yoochoose' ? join(options.dataDir, 'yoochoose-sample') : join(options.dataDir, 'online-retail', 'online_retail.csv.gz');
  if (!existsSync(path)) throw missingDataset(path, '--data DIR');
  if (name === 'yoochoose') return readYoochoose(path);
  return readOnlineRetail(path, options.cutoff);
}

export interface DatasetOutcome {
  report: DatasetReport;
  checks: TargetCheck[];
  plots: string[];
}

/** Evaluates one data set: model, methods, replay, report, plots. */
export async function evaluateDataset(
  name: DatasetName,
  options: EvalCliOptions,
  logger: Logger,
  signal?: AbortSignal,
): Promise<DatasetOutcome> {
  const profile = PROFILES[name];
  const readStarted = performance.now();
  const dataset = await readDataset(name, options);
  logger.info(
    { dataset: name, ...dataset.facts, seconds: (performance.now() - readStarted) / 1000 },
    `${name}: ${dataset.train.length} training events, ${dataset.test.length} held-out events`,
  );

  let model: LearnedModel | undefined;
  if (options.model.kind === 'train') {
    const train = {
      ...profile.train,
      ...(options.model.epochs !== undefined ? { epochs: options.model.epochs } : {}),
      ...(options.model.engine ? { engine: options.model.engine } : {}),
    };
    model = await trainForEval({ dataset, train, outDir: options.outDir, logger, quiet: options.json, ...(signal ? { signal } : {}) });
  } else if (options.model.kind === 'load') {
    model = await loadForEval(options.model.dir);
  }

  // The engine's own configuration (its environment variables and defaults), as a shop runs it.
  const engineConfig = { ...loadEngineConfig(process.env), ...profile.shop };
  const itemIds = dataset.items.map((item) => item.itemId);
  // A row with its own sources measures the ranking under the fixed filters only (the served list is the engine's, whatever the row).
  const fixedFilters = profile.filters.filter((filter) => !filter.served).map((filter) => filter.name);
  // Every Pulse row learns the same events with the same settings: their shop-wide aggregates are learned once.
  const aggregates = new SharedAggregates(engineConfig.popularityHalfLifeSeconds);
  const pulse = (label: string, vectors: ItemVectorSource, tuned: boolean, sources?: typeof VECTOR_ONLY): PulseMethod =>
    new PulseMethod({
      name: label,
      items: dataset.items,
      vectors,
      config: engineConfig,
      index: options.index,
      aggregates,
      ...(tuned ? { recommender: { ...profile.recommender, ...sources } } : {}),
      ...(sources ? { filters: fixedFilters } : {}),
    });
  const methods: EvalMethod[] = [];
  if (model) methods.push(pulse(LEARNED_ROW, model.source, true));
  if (model && profile.complementRows) {
    methods.push(pulse(VECTOR_ONLY_ROW, model.source, true, VECTOR_ONLY));
    methods.push(pulse(COMPLEMENTS_ROW, model.source, true, VECTOR_WITH_COMPLEMENTS));
  }
  methods.push(pulse('pulse, attribute vectors', attributeVectors(engineConfig.vectorDim), true));
  // Each source of the served list alone (served filter only): what each brings.
  if (model) {
    for (const row of SOURCE_ROWS) {
      methods.push(
        new PulseMethod({
          name: row.name,
          items: dataset.items,
          vectors: model.source,
          config: engineConfig,
          index: options.index,
          aggregates,
          served: row.served,
          filters: [SERVED_FILTER_NAME],
        }),
      );
    }
  }
  if (options.engineDefaults)
    methods.push(pulse('pulse, engine defaults', model?.source ?? attributeVectors(engineConfig.vectorDim), false));
  methods.push(...createBaselines(itemIds, profile.pairScope, options.baselines, engineConfig.recentLimit));

  const replayed = await replay(dataset, methods, { filters: profile.filters, quiet: options.json, ...(signal ? { signal } : {}) });
  const report = buildReport(dataset, replayed, [10, 20], {
    ...(model ? { model: model.info } : {}),
    pulseSettings: { ...profile.recommender, index: options.index, baselines: options.baselines },
  });
  const checks = targetChecks(report);

  await mkdir(options.outDir, { recursive: true });
  const plots: string[] = [];
  const subtitle = `${dataset.protocol}; ${report.rows[0]?.atK[0]?.predictions ?? 0} predictions${model ? `; model ${model.info.version}` : ''}`;
  for (const filter of profile.filters) {
    const path = join(options.outDir, `eval-${name}-${filter.name.replace(/\s+/g, '-')}.svg`);
    await writeFile(path, reportPlot(report, filter, subtitle));
    plots.push(path);
  }
  return { report, checks, plots };
}

async function main(): Promise<number> {
  // The engine's variables too (every evaluation runs the engine's ranking): every problem at once, one line each.
  const [shared] = loadConfigOrExit('eval', () =>
    loadAll(
      () => loadConfig(sharedConfigSpec),
      () => loadEngineConfig(process.env),
    ),
  );
  const options = parseEvalArgs(process.argv.slice(2), shared.dataDir);
  const logger = createLogger('eval', options.json ? 'warn' : shared.logLevel);
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new Error('interrupted')));
  const started = performance.now();
  if (options.search) return searchMain(options, logger, controller.signal);
  const outcomes: DatasetOutcome[] = [];
  try {
    for (const name of options.datasets) {
      const outcome = await evaluateDataset(name, options, logger, controller.signal);
      outcomes.push(outcome);
      if (!options.json)
        process.stdout.write(`\n${formatReport(outcome.report)}\n${formatChecks(outcome.checks)}\nplots: ${outcome.plots.join(', ')}\n`);
    }
  } catch (err) {
    if (controller.signal.aborted) {
      process.stderr.write('eval interrupted\n');
      return 130;
    }
    throw err;
  }
  const seconds = (performance.now() - started) / 1000;
  const json = {
    datasets: outcomes.map((o) => ({ ...reportJson(o.report), checks: o.checks, plots: o.plots })),
    seconds: Math.round(seconds * 1000) / 1000,
  };
  const resultPath = join(options.outDir, 'eval-result.json');
  await writeFile(resultPath, `${JSON.stringify(json, null, 2)}\n`);
  if (options.json) process.stdout.write(`${JSON.stringify(json)}\n`);
  else process.stdout.write(`\neval done in ${formatElapsed(seconds)}; results in ${resultPath}\n`);
  return 0;
}

/** `--search`: the model as for the list evaluation, then the search comparison on online-retail. */
async function searchMain(options: EvalCliOptions, logger: Logger, signal: AbortSignal): Promise<number> {
  const profile = PROFILES['online-retail'];
  const dataset = await readDataset('online-retail', options);
  let model: LearnedModel | undefined;
  if (options.model.kind === 'train') {
    const train = {
      ...profile.train,
      ...(options.model.epochs !== undefined ? { epochs: options.model.epochs } : {}),
      ...(options.model.engine ? { engine: options.model.engine } : {}),
    };
    model = await trainForEval({ dataset, train, outDir: options.outDir, logger, quiet: options.json, signal });
  } else if (options.model.kind === 'load') {
    model = await loadForEval(options.model.dir);
  }
  const config = loadEngineConfig(process.env);
  const report = await evaluateSearch({
    dataset,
    vectors: model?.source ?? attributeVectors(config.vectorDim),
    towerName: model ? 'content tower' : 'attribute encoder',
    config,
    recommender: profile.recommender,
    index: options.index,
    quiet: options.json,
    signal,
  });
  const json = { ...report, ...(model ? { model: model.info } : {}) };
  await mkdir(options.outDir, { recursive: true });
  const resultPath = join(options.outDir, 'eval-search-result.json');
  await writeFile(resultPath, `${JSON.stringify(json, null, 2)}\n`);
  if (options.json) process.stdout.write(`${JSON.stringify(json)}\n`);
  else process.stdout.write(`\n${model ? `model ${model.info.version}\n` : ''}${formatSearchReport(report)}\nresults in ${resultPath}\n`);
  return 0;
}

if (isMain(import.meta.url)) runMain(main, USAGE);
