import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ModelError,
  isModelVersion,
  latestModelDir,
  listModelDirs,
  newModelVersion,
  readModel,
  writeModel,
  type WriteModelInput,
} from '../../models/artifact.js';
import { mulberry32 } from '../../models/content-encoder.js';

const D = 8;

function sampleModel(items = 5, options: { content?: boolean; version?: string } = {}): WriteModelInput {
  const random = mulberry32(7);
  const vectors = Float32Array.from({ length: items * D }, () => random() - 0.5);
  const model: WriteModelInput = {
    manifest: {
      ...(options.version ? { version: options.version } : {}),
      dimension: D,
      metric: 'cosine',
      itemIds: Array.from({ length: items }, (_, i) => `item-${i}`),
      training: {
        events: 100,
        sequences: 10,
        from: 1,
        to: 2,
        epochs: 3,
        seconds: 0.5,
        backend: 'cpu',
        parameters: { window: 3, engine: 'tfjs' },
      },
      metrics: { finalLoss: 1.5 },
    },
    vectors,
  };
  if (options.content) model.content = { table: Float32Array.from({ length: 16 * D }, () => random() - 0.5), buckets: 16, seed: 3 };
  return model;
}

async function expectModelError(promise: Promise<unknown>, reason: ModelError['reason'], message?: RegExp): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelError);
  expect((err as ModelError).reason).toBe(reason);
  if (message) expect((err as ModelError).message).toMatch(message);
}

/** Rewrites the manifest with `edit` applied. */
async function editManifest(dir: string, edit: (manifest: Record<string, unknown>) => void): Promise<void> {
  const path = join(dir, 'manifest.json');
  const manifest = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  edit(manifest);
  await writeFile(path, JSON.stringify(manifest));
}

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'pulse-models-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('model versions', () => {
  it('are sortable UTC stamps with a random suffix', () => {
    const a = newModelVersion(new Date(Date.UTC(2025, 0, 2, 3, 4, 5)));
    expect(a).toMatch(/^20250102T030405Z-[0-9a-f]{6}$/);
    expect(isModelVersion(a)).toBe(true);
    expect(newModelVersion(new Date(Date.UTC(2025, 0, 2, 3, 4, 6))) > a).toBe(true);
    expect(isModelVersion(`${a}.tmp-abcd`)).toBe(false);
  });
});

describe('writeModel / readModel', () => {
  it('round-trips vectors (as unit rows), ids, manifest and the content table', async () => {
    const input = sampleModel(5, { content: true });
    const { version, dir } = await writeModel(root, input);
    expect(dir).toBe(join(root, version));
    expect((await readdir(dir)).sort()).toEqual(['content.f32', 'items.f32', 'manifest.json']);
    const loaded = await readModel(dir);
    expect(loaded.manifest.version).toBe(version);
    expect(loaded.manifest.format).toBe('pulse-item-embeddings');
    expect(loaded.manifest.itemIds).toEqual(input.manifest.itemIds);
    expect(loaded.manifest.training.parameters).toEqual({ window: 3, engine: 'tfjs' });
    expect(loaded.manifest.metrics.finalLoss).toBe(1.5);
    expect(loaded.rowOf.get('item-3')).toBe(3);
    for (let row = 0; row < 5; row++) {
      const original = input.vectors.subarray(row * D, row * D + D);
      const norm = Math.hypot(...original);
      for (let i = 0; i < D; i++) expect(loaded.vectors[row * D + i]).toBeCloseTo(original[i]! / norm, 6);
    }
    expect(Array.from(loaded.contentTable!)).toEqual(Array.from(input.content!.table));
    expect(loaded.manifest.contentTower).toMatchObject({ buckets: 16, seed: 3 });
    // No temporary directory is left behind.
    expect(await readdir(root)).toEqual([version]);
  });

  it('refuses to write what it could not read back, and writes nothing then', async () => {
    const nan = sampleModel(3);
    nan.vectors[D + 2] = Number.NaN;
    await expectModelError(writeModel(root, nan), 'bad_vector', /item-1/);
    const zero = sampleModel(3);
    zero.vectors.fill(0, 0, D);
    await expectModelError(writeModel(root, zero), 'bad_vector', /zero/);
    const short = sampleModel(3);
    await expectModelError(writeModel(root, { ...short, vectors: short.vectors.subarray(0, 2 * D) }), 'dimension_mismatch');
    const duplicate = sampleModel(3);
    duplicate.manifest.itemIds[2] = 'item-0';
    await expectModelError(writeModel(root, duplicate), 'bad_manifest', /twice/);
    const badTable = sampleModel(3, { content: true });
    badTable.content!.table = badTable.content!.table.subarray(1);
    await expectModelError(writeModel(root, badTable), 'dimension_mismatch');
    await expectModelError(writeModel(root, sampleModel(3, { version: '../escape' })), 'bad_manifest');
    expect(await readdir(root)).toEqual([]);
  });

  it('never overwrites an existing version', async () => {
    const version = newModelVersion();
    await writeModel(root, sampleModel(3, { version }));
    await expectModelError(writeModel(root, sampleModel(4, { version })), 'already_exists');
    expect((await readModel(join(root, version))).manifest.itemIds).toHaveLength(3);
  });

  it('refuses a directory without manifest (incomplete) and a temporary directory', async () => {
    const { dir } = await writeModel(root, sampleModel());
    await unlink(join(dir, 'manifest.json'));
    await expectModelError(readModel(dir), 'missing_manifest');
    const tmp = join(root, `${newModelVersion()}.tmp-1234`);
    await mkdir(tmp);
    await expectModelError(readModel(tmp), 'missing_manifest', /temporary/);
  });

  it('refuses a truncated items.f32', async () => {
    const { dir } = await writeModel(root, sampleModel());
    await truncate(join(dir, 'items.f32'), 4 * D * 5 - 4);
    await expectModelError(readModel(dir), 'size_mismatch', /truncated/);
  });

  it('refuses a file whose bytes do not match the sha256', async () => {
    const { dir } = await writeModel(root, sampleModel(5, { content: true }));
    const path = join(dir, 'content.f32');
    const bytes = await readFile(path);
    bytes[7] = bytes[7]! ^ 0xff;
    await writeFile(path, bytes);
    await expectModelError(readModel(dir), 'checksum_mismatch', /content\.f32/);
  });

  it('refuses NaN and non-unit rows even when size and sha agree', async () => {
    const { dir } = await writeModel(root, sampleModel());
    const path = join(dir, 'items.f32');
    const bytes = await readFile(path);
    bytes.writeFloatLE(Number.NaN, 4 * (2 * D + 1));
    await writeFile(path, bytes);
    await editManifest(dir, (m) => {
      (m.items as { sha256: string }).sha256 = createHash('sha256').update(bytes).digest('hex');
    });
    await expectModelError(readModel(dir), 'bad_vector', /item-2.*not finite/);
    bytes.writeFloatLE(3, 4 * (2 * D + 1));
    await writeFile(path, bytes);
    await editManifest(dir, (m) => {
      (m.items as { sha256: string }).sha256 = createHash('sha256').update(bytes).digest('hex');
    });
    await expectModelError(readModel(dir), 'bad_vector', /length/);
  });

  it('refuses a manifest that is not JSON, has the wrong shape, format or sizes', async () => {
    const { dir } = await writeModel(root, sampleModel());
    const manifestPath = join(dir, 'manifest.json');
    const good = await readFile(manifestPath, 'utf8');
    await writeFile(manifestPath, good.slice(0, 40));
    await expectModelError(readModel(dir), 'bad_manifest', /JSON/);
    await writeFile(manifestPath, good);
    await editManifest(dir, (m) => {
      m.dimension = 'sixty-four';
    });
    await expectModelError(readModel(dir), 'bad_manifest', /dimension/);
    await writeFile(manifestPath, good);
    await editManifest(dir, (m) => {
      m.formatVersion = 99;
    });
    await expectModelError(readModel(dir), 'unsupported_format');
    await writeFile(manifestPath, good);
    await editManifest(dir, (m) => {
      (m.itemIds as string[]).push('one-more');
    });
    await expectModelError(readModel(dir), 'size_mismatch');
    await writeFile(manifestPath, good);
    await editManifest(dir, (m) => {
      (m.items as { path: string }).path = '../../etc/passwd';
    });
    await expectModelError(readModel(dir), 'bad_manifest', /plain file name/);
    await writeFile(manifestPath, good);
    await expect(readModel(dir)).resolves.toBeDefined();
  });
});

describe('latestModelDir', () => {
  it('is undefined for a missing or empty directory', async () => {
    expect(await latestModelDir(join(root, 'absent'))).toBeUndefined();
    expect(await latestModelDir(root)).toBeUndefined();
  });

  it('picks the newest complete model and ignores temporary, manifest-less and foreign directories', async () => {
    const older = newModelVersion(new Date(Date.UTC(2025, 0, 1)));
    const newer = newModelVersion(new Date(Date.UTC(2025, 0, 2)));
    await writeModel(root, sampleModel(3, { version: older }));
    await writeModel(root, sampleModel(3, { version: newer }));
    // Newer but incomplete: a crashed write (temp dir) and a directory without manifest.
    const newest = newModelVersion(new Date(Date.UTC(2025, 0, 3)));
    await mkdir(join(root, `${newest}.tmp-0001`));
    await writeFile(join(root, `${newest}.tmp-0001`, 'manifest.json'), '{}');
    const noManifest = newModelVersion(new Date(Date.UTC(2025, 0, 4)));
    await mkdir(join(root, noManifest));
    await writeFile(join(root, noManifest, 'items.f32'), Buffer.alloc(12));
    await mkdir(join(root, 'zzz-not-a-version'));
    await writeFile(join(root, 'zzz-not-a-version', 'manifest.json'), '{}');
    expect(await latestModelDir(root)).toBe(join(root, newer));
    expect(await listModelDirs(root)).toEqual([join(root, newer), join(root, older)]);
  });
});
