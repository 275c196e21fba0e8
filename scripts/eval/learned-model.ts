import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { ItemVectorSource } from '../../engine/recommend/mod.js';
import { readModel, writeModel } from '../../models/artifact.js';
import { initTensorFlow } from '../../models/backend.js';
import { ContentEncoder } from '../../models/content-encoder.js';
import { LearnedVectorSource } from '../../models/learned-vector-source.js';
import { trainModel, type TrainOptions } from '../../models/train.js';
import { Progress } from '../lib/progress.js';
import type { EvalDataset } from './dataset.js';
import type { ModelInfo } from './report.js';

/**
 * The learned part of the evaluated Pulse, made exactly as `npm run train` makes it (models/
 * trainModel, written with writeModel) and read back as the engine reads it (readModel,
 * LearnedVectorSource with the attribute encoder as fallback), so the artifact path is measured too.
 * Trained on the training split only. Eval models go to `<outDir>/models/<dataset>/`, never to
 * DATA_DIR/models: a running shop must not pick up a model of a public data set.
 */

export interface LearnedModel {
  source: ItemVectorSource;
  info: ModelInfo;
}

export interface TrainForEvalOptions {
  dataset: EvalDataset;
  /** Trainer options (models/train.ts), e.g. epochs, window, dimension. */
  train: TrainOptions;
  /** `<out>/models/<dataset>` receives the artifact. */
  outDir: string;
  logger: Logger;
  progressStream?: NodeJS.WritableStream;
  quiet?: boolean;
  signal?: AbortSignal;
}

export async function trainForEval(options: TrainForEvalOptions): Promise<LearnedModel> {
  const { dataset } = options;
  const { tf, backend } = await initTensorFlow(options.logger);
  let progress: Progress | undefined;
  let done = 0;
  let loss = Number.NaN;
  const started = performance.now();
  const model = await trainModel({
    events: dataset.train,
    // Bare items (YooChoose: no attributes) would teach the content tower nothing.
    ...(datasetHasAttributes(dataset) ? { items: dataset.items } : {}),
    options: options.train,
    tf,
    backend,
    onProgress: (p) => {
      if (options.quiet || p.phase !== 'item2vec') return;
      loss = p.loss;
      progress ??= new Progress({
        label: `${dataset.name}: item2vec (${backend})`,
        unit: 'pairs',
        total: p.totalPairs,
        ...(options.progressStream ? { stream: options.progressStream } : {}),
      });
      progress.tick(p.pairs - done);
      done = p.pairs;
    },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  progress?.done();
  const trainSeconds = (performance.now() - started) / 1000;
  options.logger.info(
    { dataset: dataset.name, seconds: trainSeconds, loss, backend },
    `${dataset.name}: trained in ${trainSeconds.toFixed(1)} s on ${backend}`,
  );
  const written = await writeModel(join(options.outDir, 'models', dataset.name), model);
  const loaded = await loadForEval(written.dir);
  return {
    source: loaded.source,
    info: {
      ...loaded.info,
      origin: 'trained',
      trainSeconds,
      backend: model.manifest.training.backend,
      parameters: model.manifest.training.parameters,
    },
  };
}

/** Reads a model directory as the engine does; the attribute encoder covers items it does not know. */
export async function loadForEval(dir: string): Promise<LearnedModel> {
  const model = await readModel(resolve(dir));
  const { manifest } = model;
  const source = new LearnedVectorSource(model, new ContentEncoder({ dimension: manifest.dimension }));
  return {
    source,
    info: {
      version: manifest.version,
      origin: 'loaded',
      dir: resolve(dir),
      dimension: manifest.dimension,
      items: manifest.itemIds.length,
      trainSeconds: manifest.training.seconds,
      backend: manifest.training.backend,
      parameters: manifest.training.parameters,
    },
  };
}

/** Whether items carry more than a bare id (then the content tower can learn from them). */
export function datasetHasAttributes(dataset: EvalDataset): boolean {
  return dataset.items.some((item) => item.title !== item.itemId || item.brand !== undefined || (item.tags?.length ?? 0) > 0);
}
