/**
 * Which Redis keys are Pulse's, for `npm run reset`. Pulse's keys share no common prefix (the
 * stores run with an empty key prefix): they are recognised by their families, the names built in
 * engine/platform/redis/redis-keys.ts (docs/operations.md "What lives where") plus the gateway's
 * shared rate counts and socket caps (`pulse:limits:`). Any other key of a shared Redis is kept.
 * test/unit/reset-keys.test.ts checks every builder's names against this list.
 */

/** One family of Pulse's keys: keys equal to `exact`, or starting with `prefix`. */
export interface KeyFamily {
  /** How the family is shown (docs/operations.md names). */
  label: string;
  prefix?: string;
  exact?: string;
}

export const PULSE_KEY_FAMILIES: readonly KeyFamily[] = [
  { label: 'u:{id}:*', prefix: 'u:{' },
  { label: 'm:{id}:*', prefix: 'm:{' },
  { label: 'email:{email}', prefix: 'email:{' },
  { label: 'members:{tag}', prefix: 'members:{' },
  { label: 'members:buckets', exact: 'members:buckets' },
  { label: 'ord:{orderId}', prefix: 'ord:{' },
  { label: 'coupon:{code}', prefix: 'coupon:{' },
  { label: 'campaigns', exact: 'campaigns' },
  { label: 'cp:{id}:*', prefix: 'cp:{' },
  { label: 'cpt:{p<n>}:*', prefix: 'cpt:{p' },
  { label: 'agg:{g}:*', prefix: 'agg:{g}:' },
  { label: 'sx:{sx}:*', prefix: 'sx:{sx}:' },
  { label: 'lease:{p}:*', prefix: 'lease:{p}:' },
  { label: 'pulse:limits:*', prefix: 'pulse:limits:' },
];

/** The family `key` belongs to, or undefined when it is not Pulse's. */
export function familyOf(key: string): KeyFamily | undefined {
  return PULSE_KEY_FAMILIES.find((family) =>
    family.exact !== undefined ? key === family.exact : family.prefix !== undefined && key.startsWith(family.prefix),
  );
}

/** Whether `key` is one of Pulse's (see PULSE_KEY_FAMILIES). */
export function isPulseKey(key: string): boolean {
  return familyOf(key) !== undefined;
}

/** Counts of Pulse's keys by family label, as found by a scan. */
export class KeyTally {
  readonly byFamily = new Map<string, number>();
  pulse = 0;
  scanned = 0;

  /** Counts the keys of one SCAN page; returns Pulse's among them. */
  add(keys: readonly string[]): string[] {
    this.scanned += keys.length;
    const ours: string[] = [];
    for (const key of keys) {
      const family = familyOf(key);
      if (!family) continue;
      ours.push(key);
      this.byFamily.set(family.label, (this.byFamily.get(family.label) ?? 0) + 1);
    }
    this.pulse += ours.length;
    return ours;
  }

  /** `u:{id}:* 1,200, agg:{g}:* 30`, families in the list's order, the empty ones left out. */
  summary(): string {
    const parts = PULSE_KEY_FAMILIES.filter((family) => this.byFamily.has(family.label)).map(
      (family) => `${family.label} ${(this.byFamily.get(family.label) ?? 0).toLocaleString('en-US')}`,
    );
    return parts.join(', ');
  }
}
