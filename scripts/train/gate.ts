import type { Logger } from 'pino';
import type { Item } from '../../engine/contracts/schemas.js';
import { ATTRIBUTE_MODEL_VERSION } from '../../engine/recommend/mod.js';
import { latestModelDir, normalisedRows, readModel } from '../../models/artifact.js';
import type { ModelValidation, ValidationFigures } from '../../models/artifact-types.js';
import { ContentEncoder } from '../../models/content-encoder.js';
import { LearnedVectorSource } from '../../models/learned-vector-source.js';
import type { TrainedModel } from '../../models/train.js';
import {
  attributeSpace,
  evaluateNextItem,
  gateDecision,
  learnedSpace,
  type CandidateSpace,
  type HoldoutSplit,
} from '../../models/validation.js';
import { Progress } from '../lib/progress.js';
import type { TrainCliOptions } from './cli-options.js';

/** The model gate's second half in `npm run train`: the serving model, and scoring it and the candidate on the held-out cases. */

/** What the gate measured and decided. */
export interface GateReport {
  validation: ModelValidation;
  publish: boolean;
  reason: string;
  /** What set the held-out cut-off: the newest --holdout share, or the serving model's last training event. */
  heldOutBoundBy: 'share' | 'serving';
  evaluationSeconds: number;
}

export interface JudgeInput {
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
export async function judge(input: JudgeInput): Promise<GateReport> {
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
export async function servingModel(
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
