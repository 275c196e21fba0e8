/**
 * The serving model as /readyz and the marketing console show it: answered by an engine to
 * `engine.ping`, put into the /readyz body by the gateway. Plain data, no model code.
 */
export interface ServingModelInfo {
  /** `attributes-v1` until a learned model serves, then its version (`<UTC stamp>-<hex>`). */
  version: string;
  /** Epoch ms the model was written (learned models only). */
  createdAt?: number;
  /** Epoch ms of the last event it trained on (learned models only). */
  trainedTo?: number;
  /** Items with a learned vector (learned models only); the others get tower or attribute vectors. */
  learnedItems?: number;
  /** The model gate's figures on the held-out sessions (models trained with the gate). */
  validation?: {
    /** Cut-off of both figures (20). */
    k: number;
    hitRate: number;
    mrr: number;
    /** Held-out cases (session prefixes) they are over. */
    cases: number;
    /** The model serving when it was trained, on the same cases. */
    serving: { version: string; hitRate: number; mrr: number };
    /** Published with --force although it scored below that model. */
    forced: boolean;
  };
}

/** "Model <version>, trained <date>, HR@20 x, MRR@20 y on n held-out" (the console's line). */
export function describeServingModel(model: ServingModelInfo): string {
  if (model.createdAt === undefined) return `Model ${model.version} (item attributes; no trained model yet)`;
  const trained = new Date(model.createdAt).toISOString().slice(0, 10);
  const v = model.validation;
  const figures = v
    ? `, HR@${v.k} ${v.hitRate.toFixed(3)}, MRR@${v.k} ${v.mrr.toFixed(3)} on ${v.cases.toLocaleString('en-US')} held-out${v.forced ? ' (forced past the gate)' : ''}`
    : ', not validated (trained before the model gate)';
  return `Model ${model.version}, trained ${trained}${figures}`;
}
