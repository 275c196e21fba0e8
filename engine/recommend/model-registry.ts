import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ServingModelInfo } from '../contracts/model-info.js';
import type { Item } from '../contracts/schemas.js';
import { isUsableVector } from './logic/vector-math.js';
import type { ItemVectorSource } from './item-vector-source.js';
import type { VectorIndex } from './vector-index.js';
import { ModelError } from '../../models/artifact.js';
import { LearnedVectorSource, type VectorOrigin } from '../../models/learned-vector-source.js';
import { describeSource, type CatalogView, type ServingModel, type ServingModels } from './serving-models.js';

export {
  ATTRIBUTE_MODEL_VERSION,
  AttributeVectorSource,
  describeSource,
  loadLearnedSource,
  vectorLookup,
  type CatalogView,
  type ServingModel,
  type ServingModels,
} from './serving-models.js';

export type ModelLoadResult =
  | { status: 'serving'; version: string; items: number; ms: number }
  | { status: 'unchanged'; version: string }
  | { status: 'refused'; reason: string }
  /** A newer load was asked for before this one started, or the registry closed. */
  | { status: 'skipped' };

export interface ModelRegistryOptions {
  /** The model served until another is loaded (the attribute encoder and its index). */
  initial: ServingModel;
  catalog: CatalogView;
  /** A fresh, empty index for a model of `dimension`, room for `capacity` items. */
  createIndex: (dimension: number, capacity: number) => VectorIndex;
  /** Reads and checks a model directory. @throws ModelError for a bad or half-written model. */
  loadSource: (dir: string) => Promise<ItemVectorSource>;
  /** `DATA_DIR/models`: announced directories must lie inside it. */
  modelsDir: string;
  logger: Logger;
  /** Prometheus registry for the model metrics (the engine's). */
  metrics?: Registry;
  /** Longest stretch a build holds the event loop before yielding (ms). Default 4. */
  sliceMs?: number;
}

/** A refusal before any model was read: the announced path is unusable. */
class ModelPathError extends Error {
  override name = 'ModelPathError';
}

interface Build {
  readonly source: ItemVectorSource;
  readonly index: VectorIndex;
  /** Set when a catalog change could not be applied to the new index: the build is refused. */
  failure?: Error;
}

/**
 * Holds the serving model (vector source + HNSW index) and swaps in new ones without a pause.
 *
 * `load(dir)` reads the model, builds a NEW index over every catalog item in time slices of at
 * most `sliceMs` (yielding to the event loop between them, so events, pushes and queries go on
 * against the old model), applies catalog changes that arrive meanwhile to both indexes, and then
 * switches with one assignment: a request that took `current()` before the switch finishes on the
 * old model, one after it runs wholly on the new one. A bad model is refused with a warning and the
 * old one keeps serving. Loads run one at a time; of several queued, only the newest runs.
 *
 * A model trained on part of the catalog never drops or blanks the rest: every catalog item is
 * indexed with the vector LearnedVectorSource gives it (learned row, else a trusted content tower,
 * else its attribute vector), and the build logs how many came from each.
 *
 * HNSW graphs are never written to disk: rebuilding from the vectors is fast enough (64 dims,
 * M 16, efConstruction 100 on the 2-core reference machine: ~67 us per item at 50,000 items, half
 * of efConstruction 200's; the event loop waits at most ~10-25 ms meanwhile), and so addPoint
 * never meets an index being serialised.
 */
export class ModelRegistry implements ServingModels {
  private serving: ServingModel;
  private build: Build | undefined;
  private readonly options: ModelRegistryOptions;
  private readonly logger: Logger;
  private readonly sliceMs: number;
  private readonly refused: Counter<'reason'>;
  private readonly info: Gauge<'version'>;
  private readonly buildSeconds: Gauge;
  private queue: Promise<unknown> = Promise.resolve();
  private requested = 0;
  private closed = false;

  constructor(options: ModelRegistryOptions) {
    const { initial } = options;
    if (initial.source.dimension !== initial.index.dimension) {
      throw new RangeError(`index dimension ${initial.index.dimension} differs from the source's ${initial.source.dimension}`);
    }
    this.options = options;
    this.serving = initial;
    this.logger = options.logger;
    this.sliceMs = options.sliceMs ?? 4;
    if (!(this.sliceMs > 0)) throw new RangeError(`sliceMs must be positive, got ${this.sliceMs}`);
    const registers = options.metrics ? [options.metrics] : [];
    this.refused = new Counter({
      name: 'pulse_engine_model_refused_total',
      help: 'Models refused (bad, half-written, outside DATA_DIR/models), by reason',
      labelNames: ['reason'],
      registers,
    });
    this.info = new Gauge({
      name: 'pulse_engine_model_info',
      help: 'The serving model: 1 for its version',
      labelNames: ['version'],
      registers,
    });
    this.buildSeconds = new Gauge({
      name: 'pulse_engine_model_build_seconds',
      help: 'Wall time of the last index build for a new model (s)',
      registers,
    });
    this.info.set({ version: initial.source.version }, 1);
  }

  current(): ServingModel {
    return this.serving;
  }

  /** The serving model for /readyz and the console: version, and for a learned model its dates, size and gate figures. */
  servingInfo(): ServingModelInfo {
    return describeSource(this.serving.source);
  }

  /** Version of the model being built, if a build is running. */
  get building(): string | undefined {
    return this.build?.source.version;
  }

  /**
   * Indexes a new or changed item in the serving model (and in the one being built). An item whose
   * vector is unusable (all zeros: the model can say nothing about it) stays in the catalog but
   * out of the index.
   * @throws InvalidVectorError / RangeError when the serving source gives a vector of the wrong dimension; nothing is changed.
   */
  upsert(item: Item): void {
    const { source, index } = this.serving;
    const vector = source.vectorFor(item);
    if (isUsableVector(vector)) index.upsert(item.itemId, vector);
    else this.unindexable(item.itemId, index, source.version);
    const build = this.build;
    if (!build || build.failure) return;
    try {
      const next = build.source.vectorFor(item);
      if (isUsableVector(next)) build.index.upsert(item.itemId, next);
      else build.index.remove(item.itemId);
    } catch (err) {
      build.failure = new Error(`item ${item.itemId}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Removes an item from the serving index and from the one being built. */
  remove(itemId: string): void {
    this.serving.index.remove(itemId);
    this.build?.index.remove(itemId);
  }

  /**
   * Loads the model in `dir` (absolute inside `modelsDir`, or relative to it) and switches to it
   * once its index is built. Never throws: a refusal is logged, counted and returned.
   */
  load(dir: string): Promise<ModelLoadResult> {
    const ticket = ++this.requested;
    const run = this.queue.then(() => (ticket === this.requested && !this.closed ? this.loadNow(dir) : ({ status: 'skipped' } as const)));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Stops a running build (it is dropped; the serving model stays). Idempotent. */
  close(): void {
    this.closed = true;
    if (this.build) this.build.failure ??= new Error('registry closed');
  }

  private async loadNow(dir: string): Promise<ModelLoadResult> {
    const started = performance.now();
    let where = dir;
    try {
      where = await this.resolveModelDir(dir);
      const source = await this.options.loadSource(where);
      if (source.version === this.serving.source.version) {
        this.logger.info({ dir: where, version: source.version }, `model ${source.version} is already serving`);
        return { status: 'unchanged', version: source.version };
      }
      const index = await this.buildIndex(source);
      const previous = this.serving.source.version;
      this.serving = { source, index }; // the switch: one assignment
      const ms = Math.round(performance.now() - started);
      this.info.remove({ version: previous });
      this.info.set({ version: source.version }, 1);
      this.buildSeconds.set(ms / 1000);
      this.logger.info(
        { dir: where, version: source.version, previous, items: index.size, dimension: source.dimension, ms },
        `model ${source.version} serving (${index.size} items, built in ${ms} ms)`,
      );
      return { status: 'serving', version: source.version, items: index.size, ms };
    } catch (err) {
      if (this.closed) {
        this.logger.info({ dir: where }, `model ${where} not loaded: the engine is closing`);
        return { status: 'skipped' };
      }
      const reason = err instanceof ModelError ? err.reason : err instanceof ModelPathError ? 'bad_path' : 'build_failed';
      const message = (err as Error).message;
      this.refused.inc({ reason });
      this.logger.warn({ dir: where, reason, err }, `model ${where} refused: ${message}; still serving ${this.serving.source.version}`);
      return { status: 'refused', reason: message };
    } finally {
      this.build = undefined;
    }
  }

  /** `dir` as an absolute path inside modelsDir (symlinks resolved), or a ModelPathError. */
  private async resolveModelDir(dir: string): Promise<string> {
    const root = resolve(this.options.modelsDir);
    const target = isAbsolute(dir) ? resolve(dir) : resolve(root, dir);
    if (!isInside(root, target)) throw new ModelPathError(`${dir} is outside ${root}`);
    let real: [string, string];
    try {
      real = await Promise.all([realpath(root), realpath(target)]);
    } catch (err) {
      throw new ModelPathError(`${target} does not exist`, { cause: err });
    }
    if (!isInside(real[0], real[1])) throw new ModelPathError(`${target} leads outside ${root} (symbolic link)`);
    return target;
  }

  /** Every catalog item into a fresh index, in slices; catalog changes meanwhile reach it through upsert/remove. */
  private async buildIndex(source: ItemVectorSource): Promise<VectorIndex> {
    const { catalog } = this.options;
    if (!Number.isInteger(source.dimension) || source.dimension < 1)
      throw new Error(`model dimension ${source.dimension} is not a positive integer`);
    const index = this.options.createIndex(source.dimension, catalog.size + 64);
    if (index.dimension !== source.dimension)
      throw new Error(`index dimension ${index.dimension} differs from the model's ${source.dimension}`);
    const build: Build = { source, index };
    if (this.closed) build.failure = new Error('registry closed');
    this.build = build;
    // A snapshot of the ids; each item is read as it is when its turn comes (deleted ones are
    // skipped, ones added later were indexed by upsert), so the end state matches the catalog.
    const ids = catalog.ids();
    let unusable = 0;
    // Where each item's vector came from (learned row, content tower, attribute encoder), logged at
    // the end: a model trained on part of the catalog must say how much of it it really learned.
    const origins: Record<VectorOrigin, number> = { learned: 0, tower: 0, attributes: 0, none: 0 };
    const learned = source instanceof LearnedVectorSource ? source : undefined;
    let sliceStart = performance.now();
    for (let i = 0; i < ids.length; i++) {
      if (performance.now() - sliceStart >= this.sliceMs) {
        await yieldToEventLoop();
        sliceStart = performance.now();
      }
      if (build.failure) throw build.failure;
      const item = catalog.get(ids[i]!);
      if (!item) continue;
      let vector: Float32Array;
      if (learned) {
        const placed = learned.vectorWithOrigin(item);
        origins[placed.origin]++;
        vector = placed.vector;
      } else vector = source.vectorFor(item);
      if (vector.length !== source.dimension)
        throw new Error(`item ${item.itemId}: vector of length ${vector.length}, model dimension ${source.dimension}`);
      if (isUsableVector(vector)) index.upsert(item.itemId, vector);
      else unusable++;
    }
    if (build.failure) throw build.failure;
    if (unusable > 0)
      this.logger.warn(
        { version: source.version, unusable },
        `model ${source.version}: ${unusable} items without a usable vector are left out of the index`,
      );
    if (learned) {
      const placed = origins.learned + origins.tower + origins.attributes;
      const share = placed > 0 ? origins.learned / placed : 0;
      this.logger[share < 0.5 ? 'warn' : 'info'](
        { version: source.version, ...origins },
        `model ${source.version} has learned vectors for ${origins.learned} of ${placed} catalog items; ${origins.tower} placed by its content tower, ${origins.attributes} keep their attribute vectors`,
      );
    }
    return index;
  }

  private unindexable(itemId: string, index: VectorIndex, version: string): void {
    index.remove(itemId);
    this.logger.warn({ itemId, version }, `item ${itemId} has no usable vector in model ${version}; left out of the index`);
  }
}

function isInside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
