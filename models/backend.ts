import type * as tfjs from '@tensorflow/tfjs';
import type { Logger } from 'pino';

/**
 * Picks the fastest TensorFlow.js backend that loads here, once per process:
 *   1. `@tensorflow/tfjs-node` (native TensorFlow; an optional dependency that often fails to install),
 *   2. `@tensorflow/tfjs` on WebAssembly (`@tensorflow/tfjs-backend-wasm`; single-threaded in Node),
 *   3. `@tensorflow/tfjs` on the plain JavaScript CPU backend.
 * Every step is a dynamic import, so a missing or broken package only moves on to the next one.
 * TF.js itself is a process-wide registry of backends, which is why the result is memoised here
 * (the one module-level cache of this codebase: it mirrors state TF.js already holds globally).
 */

export type TensorFlow = typeof tfjs;
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface TensorFlowRuntime {
  tf: TensorFlow;
  backend: BackendName;
}

export interface InitTensorFlowOptions {
  /** Skip backends (tests, or to compare speeds): e.g. ['tensorflow', 'wasm'] forces cpu. */
  exclude?: readonly BackendName[];
}

let pending: Promise<TensorFlowRuntime> | undefined;

/** Loads TF.js on the best backend (see the file comment) and logs which; idempotent. */
export async function initTensorFlow(logger?: Logger, options: InitTensorFlowOptions = {}): Promise<TensorFlowRuntime> {
  pending ??= load(logger, new Set(options.exclude ?? [])).catch((err: unknown) => {
    pending = undefined;
    throw err;
  });
  return pending;
}

async function load(logger: Logger | undefined, exclude: ReadonlySet<BackendName>): Promise<TensorFlowRuntime> {
  const started = performance.now();
  const failures: string[] = [];
  if (!exclude.has('tensorflow')) {
    try {
      // A variable specifier keeps TypeScript from requiring the optional package's types.
      const nodeSpecifier = '@tensorflow/tfjs-node';
      const tf = (await import(nodeSpecifier)) as TensorFlow;
      await tf.ready();
      if (tf.getBackend() === 'tensorflow') return done(logger, { tf, backend: 'tensorflow' }, started, failures);
      failures.push(`tfjs-node loaded but the active backend is ${tf.getBackend()}`);
    } catch (err) {
      failures.push(`tfjs-node: ${firstLine(err)}`);
    }
  }
  const tf = (await import('@tensorflow/tfjs')) as TensorFlow;
  if (!exclude.has('wasm')) {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return done(logger, { tf, backend: 'wasm' }, started, failures);
      }
      failures.push('wasm: setBackend returned false');
    } catch (err) {
      failures.push(`wasm: ${firstLine(err)}`);
    }
  }
  if (!(await tf.setBackend('cpu'))) throw new Error(`no TensorFlow.js backend could be initialised (${failures.join('; ')})`);
  await tf.ready();
  return done(logger, { tf, backend: 'cpu' }, started, failures);
}

function done(logger: Logger | undefined, runtime: TensorFlowRuntime, started: number, failures: string[]): TensorFlowRuntime {
  runtime.tf.enableProdMode();
  logger?.info(
    { backend: runtime.backend, tfjs: runtime.tf.version.tfjs, ms: Math.round(performance.now() - started), skipped: failures },
    `TensorFlow.js backend: ${runtime.backend}${failures.length > 0 ? ` (${failures.join('; ')})` : ''}`,
  );
  return runtime;
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]!.slice(0, 200);
}
