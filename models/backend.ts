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

/** A backend that was not used, and why (see `backendMessage`). */
export interface SkippedBackend {
  backend: BackendName;
  reason: string;
}

const NODE_PACKAGE = '@tensorflow/tfjs-node';

let pending: Promise<TensorFlowRuntime> | undefined;

/** Loads TF.js on the best backend (see the file comment) and logs which and why; idempotent. */
export async function initTensorFlow(logger?: Logger, options: InitTensorFlowOptions = {}): Promise<TensorFlowRuntime> {
  pending ??= load(logger, new Set(options.exclude ?? [])).catch((err: unknown) => {
    pending = undefined;
    throw err;
  });
  return pending;
}

async function load(logger: Logger | undefined, exclude: ReadonlySet<BackendName>): Promise<TensorFlowRuntime> {
  const started = performance.now();
  const skipped: SkippedBackend[] = [];
  if (exclude.has('tensorflow')) skipped.push({ backend: 'tensorflow', reason: 'excluded' });
  else {
    try {
      // A variable specifier keeps TypeScript from requiring the optional package's types.
      const nodeSpecifier: string = NODE_PACKAGE;
      const tf = (await import(nodeSpecifier)) as TensorFlow;
      await tf.ready();
      if (tf.getBackend() === 'tensorflow') return done(logger, { tf, backend: 'tensorflow' }, started, skipped);
      skipped.push({ backend: 'tensorflow', reason: `loaded, but the active backend is ${tf.getBackend()}` });
    } catch (err) {
      skipped.push({ backend: 'tensorflow', reason: nodeLoadFailure(err) });
    }
  }
  const tf = (await import('@tensorflow/tfjs')) as TensorFlow;
  if (exclude.has('wasm')) skipped.push({ backend: 'wasm', reason: 'excluded' });
  else {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return done(logger, { tf, backend: 'wasm' }, started, skipped);
      }
      skipped.push({ backend: 'wasm', reason: 'setBackend returned false' });
    } catch (err) {
      skipped.push({ backend: 'wasm', reason: `failed to load: ${firstLine(err)}` });
    }
  }
  if (!(await tf.setBackend('cpu'))) throw new Error(`no TensorFlow.js backend could be initialised (${describeSkipped(skipped)})`);
  await tf.ready();
  return done(logger, { tf, backend: 'cpu' }, started, skipped);
}

/**
 * Why `@tensorflow/tfjs-node` did not load: not installed at all (npm drops an optional dependency
 * whose install script fails, typically because the native TensorFlow library cannot be downloaded
 * or built for this platform), or installed but broken (its native binding, a dependency).
 */
export function nodeLoadFailure(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  const missing =
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (package|module)|Failed to load url/.test(message)) &&
    message.includes(`'${NODE_PACKAGE}'`);
  if (missing) return 'not installed: npm skips this optional dependency when its native TensorFlow cannot be installed here';
  return `installed but failed to load: ${firstLine(err)}`;
}

/**
 * The one log line of the backend choice, with why the faster ones were not used, e.g.
 * `TensorFlow.js backend: wasm (tfjs-node not installed: npm skips this optional dependency …)`.
 */
export function backendMessage(backend: BackendName, skipped: readonly SkippedBackend[]): string {
  const why = backend === 'tensorflow' ? 'native TensorFlow through tfjs-node' : describeSkipped(skipped);
  return `TensorFlow.js backend: ${backend}${why ? ` (${why})` : ''}`;
}

function describeSkipped(skipped: readonly SkippedBackend[]): string {
  return skipped.map(({ backend, reason }) => `${backend === 'tensorflow' ? 'tfjs-node' : backend} ${reason}`).join('; ');
}

function done(logger: Logger | undefined, runtime: TensorFlowRuntime, started: number, skipped: SkippedBackend[]): TensorFlowRuntime {
  runtime.tf.enableProdMode();
  logger?.info(
    {
      backend: runtime.backend,
      tfjs: runtime.tf.version.tfjs,
      ms: Math.round(performance.now() - started),
      skipped: skipped.map((s) => `${s.backend}: ${s.reason}`),
    },
    backendMessage(runtime.backend, skipped),
  );
  return runtime;
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]!.slice(0, 200);
}
