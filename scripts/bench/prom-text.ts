/**
 * Reads samples out of a Prometheus text exposition (the engine's /metrics), as the backlog
 * benchmark needs them: a counter summed over its labels, or one labelled sample. Pure.
 */

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Every sample line (comments and blank lines skipped; unparsable values are NaN). */
export function parsePromText(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(LABEL))
      labels[label[1]!] = label[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sum of every sample named `name` whose labels include `where` (0 when there is none). */
export function sumOf(samples: readonly PromSample[], name: string, where: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name || !Number.isFinite(s.value)) continue;
    if (Object.entries(where).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

export interface RpcCounts {
  calls: number;
  slow: number;
  expired: number;
  rejected: number;
}

/** Engine counters the backlog benchmark follows. */
export interface EngineCounters {
  applied: number;
  duplicates: number;
  retried: number;
  leaseLosses: number;
  /** Events given up on after too many failed deliveries (stored in DEADLETTERS): never applied. */
  deadLettered: number;
  /** Shoppers whose newest vector still waits to join the "shoppers like you" index (pulse_engine_shopper_index_waiting). */
  shopperIndexWaiting: number;
  /** Errors by code. */
  errors: Record<string, number>;
  /**
   * Request/reply calls per method: answered (and how many took longer than `slowSeconds`),
   * dropped because the caller's deadline had passed (`expired`), refused with a full queue (`rejected`).
   */
  rpc: Record<string, RpcCounts>;
}

/** The counters out of the engine's /metrics text; rpc calls slower than the histogram bucket at or above `slowSeconds` are `slow`. */
export function engineCounters(text: string, slowSeconds = 0.5): EngineCounters {
  const samples = parsePromText(text);
  const errors: Record<string, number> = {};
  for (const s of samples) if (s.name === 'pulse_engine_errors_total' && s.labels.code && s.value > 0) errors[s.labels.code] = s.value;
  const rpc: EngineCounters['rpc'] = {};
  const method = (name: string) => (rpc[name] ??= { calls: 0, slow: 0, expired: 0, rejected: 0 });
  for (const s of samples) {
    if (!s.labels.method || !Number.isFinite(s.value)) continue;
    if (s.name === 'pulse_engine_rpc_expired_total') method(s.labels.method).expired += s.value;
    if (s.name === 'pulse_engine_rpc_rejected_total') method(s.labels.method).rejected += s.value;
    if (s.name !== 'pulse_engine_rpc_seconds_count') continue;
    const buckets = samples.filter(
      (b) => b.name === 'pulse_engine_rpc_seconds_bucket' && b.labels.method === s.labels.method && b.labels.le !== '+Inf',
    );
    // The smallest bucket bound at or above slowSeconds: calls within it are not slow.
    const bound = buckets.filter((b) => Number(b.labels.le) >= slowSeconds).sort((a, b) => Number(a.labels.le) - Number(b.labels.le))[0];
    Object.assign(method(s.labels.method), { calls: s.value, slow: bound ? s.value - bound.value : 0 });
  }
  return {
    applied: sumOf(samples, 'pulse_engine_events_applied_total'),
    duplicates: sumOf(samples, 'pulse_engine_events_duplicate_total'),
    retried: sumOf(samples, 'pulse_engine_events_retried_total'),
    leaseLosses: sumOf(samples, 'pulse_engine_partition_lease_losses_total'),
    deadLettered: sumOf(samples, 'pulse_engine_events_dead_lettered_total'),
    shopperIndexWaiting: sumOf(samples, 'pulse_engine_shopper_index_waiting'),
    errors,
    rpc,
  };
}
