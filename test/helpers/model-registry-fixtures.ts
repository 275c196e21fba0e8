import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { afterEach, beforeEach } from 'vitest';
import type { Item } from '../../engine/contracts/schemas.js';
import type { ItemVectorSource } from '../../engine/recommend/item-vector-source.js';
import { mulberry32 } from '../../models/content-encoder.js';

/**
 * Shared by the model registry's tests (model-registry, user-vector-rederivation and
 * engine-model-loading): the dimensions, a seeded stand-in for a learned model, an info-level log
 * capture and a fresh models directory per test.
 */

export const DIM = 32;
export const NEW_DIM = 16;

/** A learned model stand-in: a seeded random unit vector per item id; `broken` items throw. */
export class TableSource implements ItemVectorSource {
  readonly calls: string[] = [];
  constructor(
    readonly version: string,
    readonly dimension: number,
    private readonly options: { wrongDimensionFor?: string; throwFor?: string } = {},
  ) {}

  vectorFor(item: Item): Float32Array {
    this.calls.push(item.itemId);
    if (item.itemId === this.options.throwFor) throw new Error(`cannot embed ${item.itemId}`);
    const dimension = item.itemId === this.options.wrongDimensionFor ? this.dimension + 1 : this.dimension;
    return seededUnit(`${this.version}:${item.itemId}:${item.title}`, dimension);
  }

  encodeText(): Float32Array {
    return new Float32Array(this.dimension);
  }
}

export function seededUnit(key: string, dimension: number): Float32Array {
  let seed = 7;
  for (let i = 0; i < key.length; i++) seed = Math.imul(seed ^ key.charCodeAt(i), 16777619);
  const random = mulberry32(seed >>> 0);
  const out = Float32Array.from({ length: dimension }, () => random() - 0.5);
  const norm = Math.hypot(...out);
  return out.map((x) => x / norm);
}

/** An info-level logger keeping every line (the shared capture helper keeps warn and above only). */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

/** A fresh models directory for each test, removed after it; `onDir` receives its path. */
export function useModelsDir(onDir: (dir: string) => void): void {
  let modelsDir = '';
  beforeEach(async () => {
    modelsDir = await mkdtemp(join(tmpdir(), 'pulse-models-'));
    onDir(modelsDir);
  });
  afterEach(async () => {
    await rm(modelsDir, { recursive: true, force: true });
  });
}
