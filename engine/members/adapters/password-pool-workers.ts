import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { deriveInline, scryptOptions, type DeriveRequest } from '../logic/passwords.js';

/** Where the derivations of a PasswordPool run; the pool never gives it more than `size` at once. */
export interface DeriveBackend {
  /** Derivations that can run at once. */
  readonly size: number;
  /**
   * Runs one derivation; rejects when it failed or its thread died (the pool answers `unavailable`).
   * `ms`: the derivation's own time where the backend measures it (in its thread), else left out.
   */
  run(request: DeriveRequest): Promise<{ key: Buffer; ms?: number }>;
  /** Stops the threads (a running derivation is rejected). Idempotent. */
  close(): Promise<void>;
}

/** scrypt on libuv's thread pool in this process: for tests and tools (`workers: 0`). */
export class InlineDeriveBackend implements DeriveBackend {
  constructor(readonly size: number) {}

  async run(request: DeriveRequest): Promise<{ key: Buffer }> {
    return { key: await deriveInline(request) };
  }

  async close(): Promise<void> {}
}

interface Pending {
  id: number;
  resolve: (result: { key: Buffer; ms: number }) => void;
  reject: (err: Error) => void;
}

interface Thread {
  worker: Worker;
  startedAt: number;
  job: Pending | undefined;
}

/** A thread that dies sooner than this after its start is replaced only after this long (no crash loop). */
const RESPAWN_BACKOFF_MS = 1000;

/**
 * `size` worker threads running password-pool-worker.mjs, one derivation each at a time (a
 * derivation blocks its thread for its whole ~50-500 ms; 32 MiB each at the default cost, so
 * `size` bounds the memory too). A thread that exits or throws rejects its derivation and is
 * replaced. Threads are unref'd: they never keep a process alive on their own.
 */
export class WorkerDeriveBackend implements DeriveBackend {
  private readonly threads: Thread[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    readonly size: number,
    private readonly logger?: Logger,
    private readonly script: URL = new URL('./password-pool-worker.mjs', import.meta.url),
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`password workers must be an integer >= 1, got ${size}`);
    for (let i = 0; i < size; i++) this.threads.push(this.spawn());
  }

  run(request: DeriveRequest): Promise<{ key: Buffer; ms: number }> {
    if (this.closed) return Promise.reject(new Error('password workers are closed'));
    const thread = this.threads.find((t) => t.job === undefined);
    // The pool never runs more than `size` at once; a replaced thread is free again at once.
    if (!thread) return Promise.reject(new Error('no free password worker'));
    return new Promise((resolve, reject) => {
      const job: Pending = { id: this.nextId++, resolve, reject };
      thread.job = job;
      const { N, r, p, maxmem } = scryptOptions(request.params);
      thread.worker.postMessage({
        id: job.id,
        password: request.password,
        salt: request.salt,
        keyBytes: request.keyBytes,
        N,
        r,
        p,
        maxmem,
      });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled(
      this.threads.map(async (thread) => {
        thread.job?.reject(new Error('password workers closed'));
        thread.job = undefined;
        await thread.worker.terminate();
      }),
    );
  }

  private spawn(): Thread {
    const worker = new Worker(this.script);
    worker.unref();
    const thread: Thread = { worker, startedAt: Date.now(), job: undefined };
    worker.on('message', (message: { id: number; key?: Uint8Array; error?: string; ms: number }) => {
      const job = thread.job;
      if (!job || job.id !== message.id) return; // rejected meanwhile (close)
      thread.job = undefined;
      if (message.key)
        job.resolve({ key: Buffer.from(message.key.buffer, message.key.byteOffset, message.key.byteLength), ms: message.ms });
      else job.reject(new Error(`scrypt failed in a password worker: ${message.error ?? 'unknown error'}`));
    });
    worker.on('error', (err) => this.logger?.error({ err }, 'password worker failed'));
    worker.on('exit', (code) => this.replace(thread, code));
    return thread;
  }

  /** A thread exited: rejects its derivation and puts a new thread in its place (after a backoff if it died young). */
  private replace(thread: Thread, code: number): void {
    const index = this.threads.indexOf(thread);
    thread.job?.reject(new Error(`password worker exited (code ${code})`));
    thread.job = undefined;
    if (this.closed || index < 0) return;
    this.logger?.warn({ code }, 'password worker exited; starting another');
    const young = Date.now() - thread.startedAt < RESPAWN_BACKOFF_MS;
    // Until its replacement starts, the slot stays taken by a job that never finishes on its own.
    const placeholder: Pending = { id: -1, resolve: () => {}, reject: () => {} };
    thread.job = placeholder;
    const respawn = () => {
      if (this.closed) return;
      this.threads[index] = this.spawn();
    };
    if (young) setTimeout(respawn, RESPAWN_BACKOFF_MS).unref();
    else respawn();
  }
}
