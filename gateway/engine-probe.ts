import { PulseError } from '../engine/contracts/errors.js';
import type { ServingModelInfo } from '../engine/contracts/model-info.js';
import type { RpcClient } from '../engine/contracts/transport.js';

export type Check = { ok: boolean; detail: string };

/** How long one probe's answer is reused (ms): load balancers polling every few hundred ms cost one ping a second. */
export const ENGINE_PROBE_CACHE_MS = 1000;

/**
 * The gateway's view of the engines for /readyz: an `engine.ping` over request/reply with a short
 * deadline. A gateway that cannot get an answer cannot serve recommendations, members or the
 * catalog, so it is not ready, even though its own NATS connection is up. The answer carries the
 * engine's own checks (Redis, its persistence), which the gateway has no connection to see.
 *
 * Cost: at most one ping in flight and one per ENGINE_PROBE_CACHE_MS, whatever the /readyz rate.
 */
export class EngineProbe {
  #cached: { at: number; checks: Record<string, Check> } | undefined;
  #inFlight: Promise<Record<string, Check>> | undefined;
  #model: ServingModelInfo | undefined;

  constructor(
    private readonly rpc: RpcClient,
    private readonly options: { timeoutMs: number; cacheMs?: number; now?: () => number },
  ) {}

  /** The model the engine that last answered serves (undefined before the first answer, or from an engine that does not say). */
  get model(): ServingModelInfo | undefined {
    return this.#model;
  }

  /**
   * `engine`: an engine answered, has started and reaches its Redis; plus that engine's `redis` and
   * `persistence` checks as it reported them. Never rejects.
   */
  checks(): Promise<Record<string, Check>> {
    const now = this.options.now ?? Date.now;
    const cached = this.#cached;
    if (cached && now() - cached.at < (this.options.cacheMs ?? ENGINE_PROBE_CACHE_MS)) return Promise.resolve(cached.checks);
    this.#inFlight ??= this.#probe().then((checks) => {
      this.#cached = { at: now(), checks };
      this.#inFlight = undefined;
      return checks;
    });
    return this.#inFlight;
  }

  async #probe(): Promise<Record<string, Check>> {
    const { timeoutMs } = this.options;
    const started = performance.now();
    try {
      const reply = await this.rpc.call('engine.ping', {}, timeoutMs);
      const ms = Math.round(performance.now() - started);
      this.#model = reply.model && typeof reply.model.version === 'string' ? reply.model : undefined;
      const checks: Record<string, Check> = {};
      // Only the checks a gateway cannot make itself; its own NATS check stays its own.
      for (const name of ['redis', 'persistence'] as const) {
        const check = reply.checks?.[name];
        if (check && typeof check.ok === 'boolean')
          checks[name] = { ok: check.ok, detail: `${String(check.detail)} (as engine ${reply.engineId} sees it)` };
      }
      // An engine that cannot reach its Redis cannot answer requests either: the engine check says so
      // too, since a gateway with a Redis of its own shows that one under `redis`.
      const redisDown = checks.redis?.ok === false;
      const state = reply.ready !== true ? ' (starting)' : redisDown ? ' but cannot reach its Redis' : '';
      return {
        engine: { ok: reply.ready === true && !redisDown, detail: `engine ${reply.engineId} answered in ${ms} ms${state}` },
        ...checks,
      };
    } catch (err) {
      this.#model = undefined;
      const why = err instanceof PulseError ? err.message : err instanceof Error ? err.message : String(err);
      return { engine: { ok: false, detail: `no engine answered engine.ping within ${timeoutMs} ms: ${why}` } };
    }
  }
}

/** Merges the probe's checks into a report's: a check the process made itself (same name) wins. */
export function mergeChecks(own: Record<string, Check>, probed: Record<string, Check>): Record<string, Check> {
  const merged = { ...own };
  for (const [name, check] of Object.entries(probed)) if (!(name in merged)) merged[name] = check;
  return merged;
}
