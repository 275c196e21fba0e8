import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/**
 * Line-oriented files for the command-line tools: read text or `.gz` files line by line with a
 * measurable position (for Progress), and write JSON Lines files atomically.
 */

export interface LineSource {
  /** Lines without their end-of-line (`\n` or `\r\n`), in file order. */
  lines: AsyncIterable<string>;
  /** Size of the file on disk (bytes; compressed size for `.gz`). */
  size: number;
  /** Bytes of the file on disk consumed so far (compressed bytes for `.gz`). */
  bytesRead(): number;
  /** Fraction of the file read, in [0, 1]: for Progress's `fraction` option. */
  fraction(): number;
  /** Stops reading and releases the file. Idempotent. */
  close(): void;
}

/** Opens `path` for reading line by line; a name ending in `.gz` is gunzipped on the fly. */
export async function openLines(path: string): Promise<LineSource> {
  const { size } = await stat(path);
  const file = createReadStream(path);
  let text: Readable = file;
  if (path.toLowerCase().endsWith('.gz')) {
    const gunzip = createGunzip();
    // pipe() does not forward errors: a read error must still end the line iterator.
    file.on('error', (err) => gunzip.destroy(err));
    text = file.pipe(gunzip);
  }
  text.setEncoding('utf8');
  const reader = createInterface({ input: text, crlfDelay: Infinity });
  let closed = false;
  return {
    lines: reader,
    size,
    bytesRead: () => file.bytesRead,
    fraction: () => (size > 0 ? Math.min(1, file.bytesRead / size) : 1),
    close: () => {
      if (closed) return;
      closed = true;
      reader.close();
      text.destroy();
      file.destroy();
    },
  };
}

/**
 * Writes one JSON value per line to `path`, atomically: lines go to `path.tmp-<pid>` and the file
 * is renamed into place by `commit()`; `abort()` removes the temp file, so a failed run never
 * leaves a half-written file behind a good name. Honours the stream's backpressure.
 */
export class JsonlWriter {
  private readonly tempPath: string;
  private readonly stream: WriteStream;
  private failure: Error | undefined;
  private finished = false;
  private lineCount = 0;

  constructor(readonly path: string) {
    this.tempPath = `${path}.tmp-${process.pid}`;
    this.stream = createWriteStream(this.tempPath);
    this.stream.on('error', (err) => {
      this.failure ??= err;
    });
  }

  /** Lines written so far. */
  get lines(): number {
    return this.lineCount;
  }

  async write(value: unknown): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.finished) throw new Error(`JsonlWriter for ${this.path} is already closed`);
    this.lineCount += 1;
    if (!this.stream.write(`${JSON.stringify(value)}\n`)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => {
          this.stream.off('error', onError);
          resolve();
        };
        const onError = (err: Error): void => {
          this.stream.off('drain', onDrain);
          reject(err);
        };
        this.stream.once('drain', onDrain);
        this.stream.once('error', onError);
      });
    }
  }

  /** Flushes, closes and renames the file into place. */
  async commit(): Promise<void> {
    if (this.finished) throw new Error(`JsonlWriter for ${this.path} is already closed`);
    this.finished = true;
    await new Promise<void>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.stream.once('error', reject);
      this.stream.end(() => resolve());
    });
    if (this.failure) throw this.failure;
    await rename(this.tempPath, this.path);
  }

  /** Discards what was written. Idempotent; safe after a failed commit. */
  async abort(): Promise<void> {
    this.finished = true;
    if (!this.stream.destroyed) this.stream.destroy();
    await rm(this.tempPath, { force: true });
  }
}
