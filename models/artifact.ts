import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { exists, readBinary, syncDir, writeBinary, writeSynced } from './artifact-files.js';
import { MODEL_FORMAT, MODEL_FORMAT_VERSION, type ModelManifest } from './artifact-types.js';
import { checkUnitRows, firstNonFinite, normalisedRows } from './artifact-vectors.js';
import { ModelError } from './model-error.js';

export { normalisedRows } from './artifact-vectors.js';
export { ModelError, type ModelErrorReason } from './model-error.js';

/**
 * Reading and writing the versioned model artifact (format in ./artifact-types.ts).
 *
 * Writing is crash-safe: every file goes into `<modelsDir>/<version>.tmp-<rand>/`, is fsynced,
 * `manifest.json` is written last (itself via a temporary name and a rename), and only then is the
 * directory renamed to `<modelsDir>/<version>`. A reader therefore never sees a directory named
 * like a version that lacks its manifest, and a directory with a manifest always has its files.
 * Reading trusts nothing: the manifest's shape, every file's size and sha256, finite unit rows.
 */

export interface LoadedModel {
  manifest: ModelManifest;
  /** Absolute or caller-relative path of the model directory. */
  dir: string;
  /** itemIds.length x dimension, row i = manifest.itemIds[i], unit length. */
  vectors: Float32Array;
  /** Item id -> row of `vectors`. */
  rowOf: Map<string, number>;
  /** Content tower table: manifest.contentTower.buckets x dimension. */
  contentTable?: Float32Array;
}

export interface WriteModelInput {
  manifest: Omit<ModelManifest, 'items' | 'contentTower' | 'version' | 'format' | 'formatVersion' | 'createdAt'> & { version?: string };
  /** itemIds.length x dimension; rows are normalised on write (a zero or non-finite row is refused). */
  vectors: Float32Array;
  content?: { table: Float32Array; buckets: number; seed: number };
}

export const MANIFEST_FILE = 'manifest.json';
export const ITEMS_FILE = 'items.f32';
export const CONTENT_FILE = 'content.f32';
/** Largest dimension accepted; far above anything sensible, it bounds allocations from a bad manifest. */
export const MAX_DIMENSION = 4096;

const VERSION_PATTERN = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;
const TMP_MARKER = '.tmp-';

/** `<UTC yyyymmddThhmmssZ>-<6 hex>`: sorts by time, unique across concurrent trainers. */
export function newModelVersion(now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replaceAll('-', '')
    .replaceAll(':', '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function isModelVersion(name: string): boolean {
  return VERSION_PATTERN.test(name);
}

const fileRefSchema = z
  .object({
    path: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, 'a plain file name')
      .refine((p) => p !== '.' && p !== '..', 'a plain file name'),
    bytes: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 hex digits'),
  })
  .strict();

const figuresShape = {
  hitRate: z.number().min(0).max(1),
  mrr: z.number().min(0).max(1),
  unknownTargets: z.number().int().nonnegative(),
};

const manifestSchema = z
  .object({
    format: z.string(),
    formatVersion: z.number(),
    version: z.string().regex(VERSION_PATTERN, 'yyyymmddThhmmssZ-xxxxxx'),
    dimension: z.number().int().min(1).max(MAX_DIMENSION),
    metric: z.literal('cosine'),
    itemIds: z.array(z.string().min(1)),
    items: fileRefSchema,
    contentTower: z
      .object({ file: fileRefSchema, buckets: z.number().int().min(1), seed: z.number().int().min(0).max(0xffffffff) })
      .strict()
      .optional(),
    training: z
      .object({
        events: z.number().nonnegative(),
        sequences: z.number().nonnegative(),
        from: z.number(),
        to: z.number(),
        epochs: z.number().nonnegative(),
        seconds: z.number().nonnegative(),
        backend: z.string(),
        parameters: z.record(z.union([z.number(), z.string()])),
      })
      .strict(),
    metrics: z.record(z.number()),
    validation: z
      .object({
        protocol: z.literal('next-item'),
        k: z.number().int().min(1),
        cases: z.number().int().nonnegative(),
        heldOutSessions: z.number().int().nonnegative(),
        holdoutShare: z.number().min(0).max(1),
        heldOutFrom: z.number(),
        ...figuresShape,
        serving: z.object({ version: z.string().min(1), ...figuresShape }).strict(),
        forced: z.boolean(),
      })
      .strict()
      .optional(),
    createdAt: z.number(),
  })
  .strict();

/**
 * Writes a model as `<modelsDir>/<version>` (crash-safe, see the file comment) and returns where.
 * Validates first: nothing is written for a model that could not be read back.
 */
export async function writeModel(modelsDir: string, model: WriteModelInput): Promise<{ version: string; dir: string }> {
  const { manifest: input, content } = model;
  const version = input.version ?? newModelVersion();
  if (!isModelVersion(version)) throw new ModelError('bad_manifest', `model version "${version}" is not yyyymmddThhmmssZ-xxxxxx`);
  const { dimension, itemIds } = input;
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > MAX_DIMENSION) {
    throw new ModelError('bad_manifest', `dimension must be an integer in [1, ${MAX_DIMENSION}], got ${dimension}`);
  }
  checkItemIds(itemIds);
  if (model.vectors.length !== itemIds.length * dimension) {
    throw new ModelError(
      'dimension_mismatch',
      `vectors hold ${model.vectors.length} floats, expected ${itemIds.length} items x ${dimension}`,
    );
  }
  const vectors = normalisedRows(model.vectors, dimension, itemIds);
  if (content) {
    if (!Number.isInteger(content.buckets) || content.buckets < 1)
      throw new ModelError('bad_manifest', `content buckets must be a positive integer, got ${content.buckets}`);
    if (!Number.isInteger(content.seed) || content.seed < 0 || content.seed > 0xffffffff)
      throw new ModelError('bad_manifest', `content seed must be a uint32, got ${content.seed}`);
    if (content.table.length !== content.buckets * dimension) {
      throw new ModelError(
        'dimension_mismatch',
        `content table holds ${content.table.length} floats, expected ${content.buckets} x ${dimension}`,
      );
    }
    const bad = firstNonFinite(content.table);
    if (bad >= 0) throw new ModelError('bad_vector', `content table row ${Math.floor(bad / dimension)} is not finite`);
  }

  await mkdir(modelsDir, { recursive: true });
  const finalDir = join(modelsDir, version);
  if (await exists(finalDir)) throw new ModelError('already_exists', `model directory ${finalDir} already exists`);
  const tmpDir = join(modelsDir, `${version}${TMP_MARKER}${randomBytes(4).toString('hex')}`);
  await mkdir(tmpDir);
  try {
    const items = await writeBinary(tmpDir, ITEMS_FILE, vectors);
    const manifest: ModelManifest = {
      format: MODEL_FORMAT,
      formatVersion: MODEL_FORMAT_VERSION,
      version,
      dimension,
      metric: 'cosine',
      itemIds,
      items,
      ...(content
        ? { contentTower: { file: await writeBinary(tmpDir, CONTENT_FILE, content.table), buckets: content.buckets, seed: content.seed } }
        : {}),
      training: input.training,
      metrics: input.metrics,
      ...(input.validation ? { validation: input.validation } : {}),
      createdAt: Date.now(),
    };
    const parsed = manifestSchema.safeParse(manifest);
    if (!parsed.success) throw new ModelError('bad_manifest', `manifest is invalid: ${describeZod(parsed.error)}`);
    // The manifest marks the directory complete: written under a temporary name, fsynced, renamed.
    const manifestTmp = join(tmpDir, `${MANIFEST_FILE}${TMP_MARKER}`);
    await writeSynced(manifestTmp, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
    await rename(manifestTmp, join(tmpDir, MANIFEST_FILE));
    await syncDir(tmpDir);
    if (await exists(finalDir)) throw new ModelError('already_exists', `model directory ${finalDir} already exists`);
    await rename(tmpDir, finalDir);
    await syncDir(modelsDir);
    return { version, dir: finalDir };
  } catch (err) {
    await rm(tmpDir, { recursive: true, force: true }).catch(() => undefined);
    if (err instanceof ModelError) throw err;
    throw new ModelError('io', `writing model ${version} into ${modelsDir} failed: ${(err as Error).message}`, { cause: err });
  }
}

/** Loads and validates a model directory; any defect is a ModelError naming the file and the problem. */
export async function readModel(dir: string): Promise<LoadedModel> {
  if (basename(dir).includes(TMP_MARKER)) throw new ModelError('missing_manifest', `${dir} is an unfinished model (temporary directory)`);
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new ModelError('missing_manifest', `${dir} has no ${MANIFEST_FILE} (incomplete or not a model)`, { cause: err });
    throw new ModelError('io', `cannot read ${join(dir, MANIFEST_FILE)}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelError('bad_manifest', `${join(dir, MANIFEST_FILE)} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) throw new ModelError('bad_manifest', `${join(dir, MANIFEST_FILE)}: ${describeZod(parsed.error)}`);
  const m = parsed.data;
  if (m.format !== MODEL_FORMAT || m.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new ModelError(
      'unsupported_format',
      `${dir}: format ${m.format} v${m.formatVersion}, this build reads ${MODEL_FORMAT} v${MODEL_FORMAT_VERSION}`,
    );
  }
  const manifest = m as ModelManifest;
  checkItemIds(manifest.itemIds);
  const vectors = await readBinary(dir, manifest.items, manifest.itemIds.length * manifest.dimension);
  checkUnitRows(vectors, manifest.dimension, manifest.itemIds, join(dir, manifest.items.path));
  const rowOf = new Map<string, number>();
  manifest.itemIds.forEach((id, row) => rowOf.set(id, row));
  const loaded: LoadedModel = { manifest, dir, vectors, rowOf };
  if (manifest.contentTower) {
    const tower = manifest.contentTower;
    if (tower.file.path === manifest.items.path)
      throw new ModelError('bad_manifest', `${dir}: content tower and items share the file ${tower.file.path}`);
    const table = await readBinary(dir, tower.file, tower.buckets * manifest.dimension);
    const bad = firstNonFinite(table);
    if (bad >= 0)
      throw new ModelError('bad_vector', `${join(dir, tower.file.path)}: row ${Math.floor(bad / manifest.dimension)} is not finite`);
    loaded.contentTable = table;
  }
  return loaded;
}

/**
 * Complete model directories under `modelsDir`, newest version first: named like a version (so
 * `*.tmp-*` are skipped) and holding a manifest. Not validated; use readModel. [] when absent.
 */
export async function listModelDirs(modelsDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(modelsDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const versions = names.filter(isModelVersion).sort().reverse();
  const complete: string[] = [];
  for (const name of versions) {
    const dir = join(modelsDir, name);
    if (await exists(join(dir, MANIFEST_FILE))) complete.push(dir);
  }
  return complete;
}

/** The newest complete model directory by version (see listModelDirs), or undefined. */
export async function latestModelDir(modelsDir: string): Promise<string | undefined> {
  return (await listModelDirs(modelsDir))[0];
}

function checkItemIds(itemIds: readonly string[]): void {
  const seen = new Set<string>();
  for (const id of itemIds) {
    if (typeof id !== 'string' || id.length === 0) throw new ModelError('bad_manifest', 'item ids must be non-empty strings');
    if (seen.has(id)) throw new ModelError('bad_manifest', `item id "${id}" appears twice`);
    seen.add(id);
  }
}

function describeZod(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}
