import { describe, expect, it } from 'vitest';
import { checkUserStateChange } from '../../engine/shoppers/state-validation.js';
import { affinityAfter, affinityGain, AFFINITY_RESCALE_EXPONENT, emptyAffinity } from '../../engine/shoppers/logic/affinity.js';
import { AFFINITY_LIMIT, type Affinity, type UserStateChange } from '../../engine/shoppers/user-state-store.js';

const HALF_LIFE = 3600;
const H = HALF_LIFE * 1000;
const T = 1_750_000_000_000;

function changeWith(affinity: Affinity): UserStateChange {
  return { eventId: 'e1', expectedVersion: 0, type: 'view', strength: 1, updatedAt: T, recent: [], bought: [], affinity };
}

function affinity(parts: Partial<Affinity>): Affinity {
  return { landmark: T, categories: new Map(), brands: new Map(), brandEvents: new Map(), ...parts };
}

/** The message checkUserStateChange throws, or undefined. */
function failure(value: Affinity): string | undefined {
  try {
    checkUserStateChange(changeWith(value));
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('affinity checks of a stored change', () => {
  it('accepts a well-formed affinity, and names the first fault of each map as before', () => {
    expect(
      failure(
        affinity({
          categories: new Map([
            ['home', 2],
            ['home/lamps', -1],
          ]),
          brands: new Map([['lumo', 0.5]]),
          brandEvents: new Map([['lumo', 3]]),
        }),
      ),
    ).toBeUndefined();
    expect(failure(affinity({ landmark: -1 }))).toBe('affinity.landmark must be epoch ms, got -1');
    expect(failure(affinity({ categories: new Map([['', 1]]) }))).toBe('affinity.categories key must be 1 to 512 characters');
    expect(failure(affinity({ brands: new Map([['x'.repeat(513), 1]]) }))).toBe('affinity.brands key must be 1 to 512 characters');
    expect(failure(affinity({ brands: new Map([['lumo', Number.NaN]]) }))).toBe('affinity.brands value of "lumo" must be finite');
    expect(failure(affinity({ brandEvents: new Map([['lumo', Infinity]]) }))).toBe('affinity.brandEvents value of "lumo" must be finite');
    expect(failure(affinity({ brandEvents: new Map([['lumo', 1.5]]) }))).toBe(
      'event count of brand "lumo" must be an integer >= 0, got 1.5',
    );
    expect(failure(affinity({ brandEvents: new Map([['lumo', -1]]) }))).toBe('event count of brand "lumo" must be an integer >= 0, got -1');
    // Fractional scores are fine outside brandEvents; a key fault comes before a value fault.
    expect(failure(affinity({ categories: new Map([['home', 1.5]]) }))).toBeUndefined();
    expect(failure(affinity({ categories: new Map([['', Number.NaN]]) }))).toBe('affinity.categories key must be 1 to 512 characters');
    const tooMany = new Map(Array.from({ length: AFFINITY_LIMIT + 1 }, (_, i) => [`b${i}`, 1] as [string, number]));
    expect(failure(affinity({ brands: tooMany }))).toBe(`affinity.brands must be a Map of at most ${AFFINITY_LIMIT} entries`);
    expect(failure(affinity({ categories: {} as Map<string, number> }))).toBe(
      `affinity.categories must be a Map of at most ${AFFINITY_LIMIT} entries`,
    );
  });
});

describe('affinity after an event', () => {
  it('copies the state (same key order), never changing it, with and without a rescale', () => {
    const lamp = { category: 'Home/Lamps', brand: 'Lumo' };
    const rug = { category: 'Home/Rugs', brand: 'Weave' };
    const state = affinityAfter(
      affinityAfter(emptyAffinity(), affinityGain([[lamp, 2]]), T, HALF_LIFE)!,
      affinityGain([[rug, -1]]),
      T + H,
      HALF_LIFE,
    )!;
    const snapshot = structuredClone(state);
    const next = affinityAfter(state, affinityGain([[lamp, 1]]), T + 2 * H, HALF_LIFE)!;
    expect(state).toEqual(snapshot);
    expect([...next.categories.keys()]).toEqual(['home', 'home/lamps', 'home/rugs']);
    expect(next.categories.get('home/lamps')).toBe(2 + 4);
    expect(next.brands).toEqual(
      new Map([
        ['lumo', 6],
        ['weave', -2],
      ]),
    );
    expect(next.brandEvents).toEqual(new Map([['lumo', 2]]));
    expect(next.brandEvents).not.toBe(state.brandEvents);

    const far = T + (AFFINITY_RESCALE_EXPONENT + 2.5) * H;
    const rescaled = affinityAfter(state, affinityGain([[rug, 1]]), far, HALF_LIFE)!;
    expect(state).toEqual(snapshot);
    expect(rescaled.landmark).toBe(T + (AFFINITY_RESCALE_EXPONENT + 2) * H);
    expect([...rescaled.brands.keys()]).toEqual(['lumo', 'weave']);
    expect(rescaled.brands.get('lumo')).toBe(2 * 2 ** -(AFFINITY_RESCALE_EXPONENT + 2));
    expect(rescaled.brands.get('weave')).toBe(-2 * 2 ** -(AFFINITY_RESCALE_EXPONENT + 2) + 2 ** 0.5);
    expect(rescaled.brandEvents).toEqual(
      new Map([
        ['lumo', 1],
        ['weave', 1],
      ]),
    );
  });
});
