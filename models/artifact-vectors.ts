import { ModelError } from './model-error.js';

/** Row checks of the artifact's vector tables: unit rows on write, checked again on read. */

/** A stored row's length must be within this of 1. */
const UNIT_TOLERANCE = 1e-3;

/** A copy with every row scaled to unit length; a zero or non-finite row is refused (ModelError bad_vector). */
export function normalisedRows(source: Float32Array, dimension: number, itemIds: readonly string[]): Float32Array {
  const out = new Float32Array(source.length);
  for (let row = 0; row < itemIds.length; row++) {
    const offset = row * dimension;
    let squared = 0;
    for (let i = 0; i < dimension; i++) squared += source[offset + i]! * source[offset + i]!;
    if (!Number.isFinite(squared) || squared === 0) {
      throw new ModelError('bad_vector', `vector of item "${itemIds[row]}" (row ${row}) is ${squared === 0 ? 'zero' : 'not finite'}`);
    }
    const inverse = 1 / Math.sqrt(squared);
    for (let i = 0; i < dimension; i++) out[offset + i] = source[offset + i]! * inverse;
  }
  return out;
}

export function checkUnitRows(vectors: Float32Array, dimension: number, itemIds: readonly string[], where: string): void {
  for (let row = 0; row < itemIds.length; row++) {
    const offset = row * dimension;
    let squared = 0;
    for (let i = 0; i < dimension; i++) squared += vectors[offset + i]! * vectors[offset + i]!;
    if (!Number.isFinite(squared))
      throw new ModelError('bad_vector', `${where}: vector of item "${itemIds[row]}" (row ${row}) is not finite`);
    if (Math.abs(Math.sqrt(squared) - 1) > UNIT_TOLERANCE) {
      throw new ModelError(
        'bad_vector',
        `${where}: vector of item "${itemIds[row]}" (row ${row}) has length ${Math.sqrt(squared).toFixed(4)}, expected 1`,
      );
    }
  }
}

export function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return i;
  return -1;
}
