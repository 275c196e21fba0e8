/**
 * Child processes of the benchmark (gateway, engine, echo engine, load generator): each a plain
 * Node process running the production build's JavaScript (dist/, built first when stale: see
 * ensureBuild), as `npm start`, `npm run engine` and `npm run gateway` do, with its output kept for
 * error messages. Every wait is bounded; `stop()` escalates to SIGKILL.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { staleBuild } from '../build-freshness.mjs';

/** The repository root (scripts/bench/ is two levels down). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ChildOptions {
  /** Shown in errors, e.g. `gateway`. */
  name: string;
  /** Entry point relative to the repository root, e.g. `scripts/gateway.ts`: its build in dist/ runs. */
  script: string;
  args?: string[];
  /** Added to (and overriding) this process's environment. */
  env?: Record<string, string>;
  /** `inherit` shows the child's stderr live (the load generator's progress); default kept. */
  stderr?: 'keep' | 'inherit';
}

export interface ChildHandle {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything read from stdout so far (bounded to the last 4 MB). */
  stdout(): string;
  /** Recent stdout and stderr together (last 20 kB), for failure messages. */
  output(): string;
  alive(): boolean;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Builds dist/ when it is missing or older than the sources (scripts/build.mjs, a few seconds),
 * so the processes measured run what production runs. Returns why it built, or undefined.
 */
export async function ensureBuild(log: (line: string) => void): Promise<string | undefined> {
  const stale = await staleBuild(ROOT);
  if (stale === undefined) return undefined;
  log(`building dist/ (${stale})…`);
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  return stale;
}

/** The build's JavaScript of a TypeScript entry point (`scripts/x.ts` -> `dist/scripts/x.js`). */
export function builtScript(script: string): string {
  return join(ROOT, 'dist', script.replace(/\.ts$/, '.js'));
}

const STDOUT_LIMIT = 4 * 1024 * 1024;
const OUTPUT_LIMIT = 20_000;

export function spawnChild(options: ChildOptions): ChildHandle {
  // BENCH_CPU_PROFILE_DIR: every process the bench starts writes a V8 CPU profile there when it exits (for finding where time goes).
  const profileDir = process.env.BENCH_CPU_PROFILE_DIR;
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, options.name.replace(/\W+/g, '-'))}`] : [];
  const child = spawn(process.execPath, [...profile, '--enable-source-maps', builtScript(options.script), ...(options.args ?? [])], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', options.stderr === 'inherit' ? 'inherit' : 'pipe'],
  });
  let stdout = '';
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stdout = (stdout + text).slice(-STDOUT_LIMIT);
    output = (output + text).slice(-OUTPUT_LIMIT);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_LIMIT);
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', (err) => {
      output += `\nspawn error: ${err.message}`;
      resolve('spawn_error');
    });
  });
  let stopping: Promise<void> | undefined;
  return {
    name: options.name,
    child,
    stdout: () => stdout,
    output: () => output,
    alive,
    exited,
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        if (!alive() || child.pid === undefined) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

/** Polls `check` every `intervalMs` until it returns true; throws `what` after `timeoutMs`, or at once when `child` dies. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; child?: ChildHandle },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (options.child && !options.child.alive()) {
      throw new Error(
        `${options.child.name} exited (${await options.child.exited}) while waiting for ${what}:\n${options.child.output().slice(-4000)}`,
      );
    }
    if (await check()) return;
    if (Date.now() >= deadline) {
      const tail = options.child ? `:\n${options.child.output().slice(-4000)}` : '';
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${tail}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
}

/** GET `url` and whether it answered `status` within `timeoutMs` (any failure is false). */
export async function answers(url: string, status = 200, timeoutMs = 2000, headers: Record<string, string> = {}): Promise<boolean> {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status === status;
  } catch {
    return false;
  }
}

/**
 * Cleanup steps run once, last added first, each bounded by `stepTimeoutMs` and run even when an
 * earlier one fails (failures are reported to `log`). Used on normal exit, errors and Ctrl-C alike.
 */
export class Cleanup {
  private readonly steps: Array<{ name: string; run: () => Promise<void> }> = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly log: (line: string) => void,
    private readonly stepTimeoutMs = 15_000,
  ) {}

  add(name: string, run: () => Promise<void>): void {
    this.steps.push({ name, run });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of [...this.steps].reverse()) {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`did not finish within ${this.stepTimeoutMs} ms`)), this.stepTimeoutMs);
        });
        try {
          await Promise.race([step.run(), timeout]);
        } catch (err) {
          this.log(`cleanup: ${step.name}: ${(err as Error).message}`);
        } finally {
          clearTimeout(timer);
        }
      }
    })();
    return this.running;
  }
}
