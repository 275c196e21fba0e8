import { describe, expect, it } from 'vitest';
import { checkCampaign, isoTime } from '../../engine/contracts/campaigns.js';

const NOW = Date.UTC(2026, 11, 7, 6, 0, 0);
const base = {
  name: 'schedule',
  audience: { tiers: ['regular'] },
  trigger: { type: 'now' },
  offer: { title: 'Hello', message: 'An offer' },
};
const refusal = (input: Record<string, unknown>) => {
  const check = checkCampaign({ ...base, ...input }, NOW);
  if (check.ok) throw new Error('expected a refusal');
  return check;
};
/** Epoch milliseconds in text: 12 or more digits in a row. */
const EPOCH_MS = /\d{12,}/;

/** Issue 16: `invalid_schedule` names instants as ISO 8601 text (the console shows the API's message and details as they are). */
describe('invalid_schedule messages', () => {
  it('an end before the start names both instants in ISO text, in the message and the details', () => {
    const check = refusal({ startsAt: NOW + 7_200_000, endsAt: NOW + 3_600_000 });
    expect(check.code).toBe('invalid_schedule');
    expect(check.message).toBe('endsAt (2026-12-07T07:00:00.000Z) must be after startsAt (2026-12-07T08:00:00.000Z)');
    expect(check.details).toEqual({ endsAt: '2026-12-07T07:00:00.000Z: not after startsAt', startsAt: '2026-12-07T08:00:00.000Z' });
  });

  it('an end already past says when, without epoch milliseconds', () => {
    const endsAt = Date.UTC(2020, 0, 1, 10, 0, 0);
    const check = refusal({ startsAt: Date.UTC(2019, 11, 1), endsAt });
    expect(check.code).toBe('invalid_schedule');
    expect(check.message).toBe('endsAt (2020-01-01T10:00:00.000Z) is already past');
    expect(check.details).toEqual({ endsAt: '2020-01-01T10:00:00.000Z: already past' });
    expect(JSON.stringify(check)).not.toMatch(EPOCH_MS);
  });

  it('a schedule beyond a year names its instants', () => {
    const check = refusal({ startsAt: NOW + 400 * 86_400_000 });
    expect(check.code).toBe('invalid_schedule');
    expect(check.message).toContain('startsAt 2028-01-11T06:00:00.000Z');
    expect(check.message).not.toMatch(EPOCH_MS);
  });

  it('isoTime keeps an out-of-range number as it is', () => {
    expect(isoTime(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(isoTime(9e15)).toBe('9000000000000000');
  });
});
