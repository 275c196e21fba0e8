import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import type { ModelFileRef } from './artifact-types.js';
import { ModelError } from './model-error.js';

/** The artifact's files on disk: float32 little-endian tables checked by size and sha256, fsynced writes. */

/** Float32 little-endian bytes of `values` (a copy on big-endian hosts). */
function toLittleEndian(values: Float32Array): Buffer {
  if (endianness() === 'LE') return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const out = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) out.writeFloatLE(values[i]!, i * 4);
  return out;
}

/** Float32Array of little-endian bytes, always a fresh aligned copy. */
function fromLittleEndian(bytes: Buffer): Float32Array {
  const out = new Float32Array(bytes.length / 4);
  if (endianness() === 'LE') new Uint8Array(out.buffer).set(bytes);
  else for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

export async function writeBinary(dir: string, name: string, values: Float32Array): Promise<ModelFileRef> {
  const bytes = toLittleEndian(values);
  await writeSynced(join(dir, name), bytes);
  return { path: name, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

export async function readBinary(dir: string, ref: ModelFileRef, expectedFloats: number): Promise<Float32Array> {
  const path = join(dir, ref.path);
  if (ref.bytes !== expectedFloats * 4) {
    throw new ModelError('size_mismatch', `${path}: manifest says ${ref.bytes} bytes, its shape needs ${expectedFloats * 4}`);
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ModelError(missing ? 'size_mismatch' : 'io', `${path}: ${missing ? 'missing' : (err as Error).message}`, { cause: err });
  }
  if (bytes.length !== ref.bytes)
    throw new ModelError('size_mismatch', `${path}: ${bytes.length} bytes, manifest says ${ref.bytes} (truncated or replaced)`);
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== ref.sha256)
    throw new ModelError(
      'checksum_mismatch',
      `${path}: sha256 ${sha.slice(0, 12)}... differs from the manifest's ${ref.sha256.slice(0, 12)}...`,
    );
  return fromLittleEndian(bytes);
}

export async function writeSynced(path: string, bytes: Buffer): Promise<void> {
  const handle = await open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync a directory so renames inside it survive a crash (best effort where unsupported). */
export async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, fsConstants.O_RDONLY);
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  } finally {
    await handle?.close();
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
