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
  /** Epoch ms. */
  createdAt: number;
}
