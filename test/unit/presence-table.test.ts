import { describe, expect, it } from 'vitest';
import { applyPresence, decodePresence, encodePresence, PresenceTable } from '../../engine/platform/presence-table.js';
import { subjects } from '../../engine/contracts/subjects.js';
import { captureLogger } from '../helpers/capture-logger.js';

describe('presence wire format', () => {
  it('round-trips, splitting large lists into messages of at most maxBytes', () => {
    const users = Array.from({ length: 1000 }, (_, i) => `user-${i}`);
    const messages = encodePresence('gw-1', 15_000, users, 1024);
    expect(messages.length).toBeGreaterThan(5);
    expect(Math.max(...messages.map((m) => m.length))).toBeLessThanOrEqual(1024);
    const decoded = messages.map((m) => decodePresence(m)!);
    expect(decoded.flatMap((d) => d.announcement.userIds)).toEqual(users);
    expect(decoded.every((d) => d.announcement.gatewayId === 'gw-1' && d.announcement.ttlMs === 15_000 && d.badIds === 0)).toBe(true);
    expect(encodePresence('gw-1', 15_000, [], 1024)).toEqual([]);
  });

  it('drops a malformed header and skips malformed ids', () => {
    for (const bad of ['', 'gw-1', 'gw 1 2\nu', 'gw-1 -5\nu', 'gw-1 abc\nu', 'gw-1 99999999\nu', 'g w 5\nu'])
      expect(decodePresence(bad)).toBeUndefined();
    expect(decodePresence('gw-1 100\nok\nnot ok\n\nalso.ok')).toEqual({
      announcement: { gatewayId: 'gw-1', ttlMs: 100, userIds: ['ok', 'also.ok'] },
      badIds: 2,
    });
  });

  it('applyPresence routes by subject, ignores sync requests and logs what it drops', () => {
    const { logger, lines } = captureLogger();
    const table = new PresenceTable();
    applyPresence(table, subjects.presenceJoin, 'gw 1000\na\nb', logger);
    applyPresence(table, subjects.presenceLeave, 'gw 0\na', logger);
    applyPresence(table, subjects.presenceSync, '', logger);
    applyPresence(table, subjects.presenceBeat, 'garbage header here', logger);
    expect([table.isPresent('a'), table.isPresent('b')]).toEqual([false, true]);
    expect(lines.join('\n')).toContain('malformed presence message dropped');
  });
});

describe('PresenceTable', () => {
  const at = (now: { t: number }) => () => now.t;

  it('tracks entries per gateway and expires those not refreshed', () => {
    const now = { t: 1_000_000 };
    const table = new PresenceTable(at(now));
    table.refresh({ gatewayId: 'a', ttlMs: 100, userIds: ['u1', 'u2'] });
    table.refresh({ gatewayId: 'b', ttlMs: 100, userIds: ['u2'] });
    expect(table.count()).toBe(2);
    table.leave({ gatewayId: 'a', ttlMs: 0, userIds: ['u2'] });
    expect(table.isPresent('u2')).toBe(true); // still on b
    now.t += 60;
    table.refresh({ gatewayId: 'a', ttlMs: 100, userIds: ['u1'] }); // a beat of a: u1 only
    now.t += 60; // b's u2 not refreshed for 120 ms
    expect([table.isPresent('u1'), table.isPresent('u2')]).toEqual([true, false]);
    expect(table.count()).toBe(1);
    now.t += 100;
    expect(table.isPresent('u1')).toBe(false);
    expect(table.count()).toBe(0);
  });

  it('a leave for an unknown gateway or user is a no-op', () => {
    const table = new PresenceTable();
    table.leave({ gatewayId: 'nobody', ttlMs: 0, userIds: ['u'] });
    expect(table.isPresent('u')).toBe(false);
    expect(table.count()).toBe(0);
  });
});
