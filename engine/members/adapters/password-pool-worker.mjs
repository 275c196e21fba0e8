// One thread of the engine's PasswordPool (password-pool-workers.ts). Plain JavaScript on
// purpose: a worker thread does not inherit the TypeScript loader in every setup (vitest, a
// bundled build), and this file needs nothing but node:crypto. It takes one derivation at a
// time and runs it synchronously: the thread is its own, so blocking it is the point (libuv's
// shared pool stays free for DNS and files).
//
// In:  {id, password, salt: Uint8Array, keyBytes, N, r, p, maxmem}
// Out: {id, key: Uint8Array} (transferred) or {id, error: string}
import { scryptSync } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

if (!parentPort) throw new Error('password-pool-worker.mjs runs as a worker thread only');
const port = parentPort;

port.on('message', (job) => {
  const started = performance.now();
  try {
    const key = scryptSync(job.password, job.salt, job.keyBytes, { N: job.N, r: job.r, p: job.p, maxmem: job.maxmem });
    const bytes = new Uint8Array(key.buffer, key.byteOffset, key.byteLength).slice();
    port.postMessage({ id: job.id, key: bytes, ms: performance.now() - started }, [bytes.buffer]);
  } catch (err) {
    port.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err), ms: performance.now() - started });
  }
});
