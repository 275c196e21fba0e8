/**
 * The versioned model artifact the engine loads (`DATA_DIR/models/<version>/`):
 *   manifest.json    this file's `ModelManifest`
 *   items.f32        item vectors, row i = itemIds[i], `dimension` little-endian Float32 each, unit length
 *   content.f32      content-tower table (optional): `buckets` rows of `dimension` Float32
 * A model directory is complete only once `manifest.json` exists (it is written last, by rename);
 * every binary file's byte length and sha256 are in the manifest and checked on load.
 */
export const MODEL_FORMAT = 'pulse-item-embeddings';
export const MODEL_FORMAT_VERSION = 1;

export interface ModelFileRef {
  /** File name inside the model directory. */
  path: string;
  bytes: number;
  /** Hex sha256 of the file's bytes. */
  sha256: string;
}

export interface ContentTowerManifest {
  file: ModelFileRef;
  /** Rows of the hashed feature table. */
  buckets: number;
  /** Seed of the feature hash (features -> bucket). */
  seed: number;
}

export interface TrainingSummary {
  /** Events read and used. */
  events: number;
  /** Sequences (sessions or member histories) trained on. */
  sequences: number;
  /** Epoch ms of the first and last training event. */
  from: number;
  to: number;
  epochs: number;
  /** Wall time of training (s). */
  seconds: number;
  /** TF.js backend that ran: 'tensorflow' (tfjs-node), 'wasm' or 'cpu'. */
  backend: string;
  /** Free-form hyper-parameters (dimension, window, negatives, learning rate, ...). */
  parameters: Record<string, number | string>;
}

export interface ModelManifest {
  format: typeof MODEL_FORMAT;
  formatVersion: typeof MODEL_FORMAT_VERSION;
  /** Sortable, unique: `<UTC yyyymmddThhmmssZ>-<6 hex>`. */
  version: string;
  dimension: number;
  metric: 'cosine';
  /** Row order of items.f32. */
  itemIds: string[];
  items: ModelFileRef;
  contentTower?: ContentTowerManifest;
  training: TrainingSummary;
  /** Figures measured at training time (final loss, ...). */
  metrics: Record<string, number>;
  /** The model gate's held-out figures (models/validation.ts); absent in models trained before the gate. */
  validation?: ModelValidation;
  /** Epoch ms. */
  createdAt: number;
}

/** One model's figures on the held-out cases. */
export interface ValidationFigures {
  /** Share of cases whose next item is among the model's top `k` (0..1). */
  hitRate: number;
  /** Mean of 1/rank of the next item over the cases, 0 when it is not in the top `k`. */
  mrr: number;
  /** Cases whose next item the model has no vector for (counted as misses). */
  unknownTargets: number;
}

/**
 * The model gate's verdict, as stored in the manifest (protocol in models/validation.ts): this
 * model and the model serving when it was trained, on the same held-out cases.
 */
export interface ModelValidation extends ValidationFigures {
  /** `next-item`: the item after each prefix of a held-out session. */
  protocol: 'next-item';
  /** Cut-off of the hit rate and MRR (20). */
  k: number;
  /** Held-out cases (session prefixes) the figures are over. */
  cases: number;
  /** Held-out sessions the cases come from. */
  heldOutSessions: number;
  /** Share of sessions held out (the newest). */
  holdoutShare: number;
  /** Epoch ms: events from here on were held out, the model trained on those before. */
  heldOutFrom: number;
  /** The model serving at training time (a learned version, or `attributes-v1`) on the same cases. */
  serving: ValidationFigures & { version: string };
  /** True when `--force` published it although it scored below the serving model. */
  forced: boolean;
}
