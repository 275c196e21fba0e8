import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecommendationList } from '../../engine/contracts/schemas.js';
import { LiveStats, type LiveWindow } from '../../gateway/live-stats.js';
import { startHarness, type Harness } from './gateway-harness.js';

describe('LiveStats (per-second ring buffer)', () => {
  /** A settable clock (epoch ms). */
  const at = (ms: number) => ({ now: ms });

  it('counts events by type per second, zero-filled, oldest first, current second last', () => {
    const clock = at(1_000_000_500);
    const live = new LiveStats({ windowSeconds: 5, now: () => clock.now, id: 'gw-test' });
    live.eventAccepted('view');
    live.eventAccepted('view');
    live.eventAccepted('click');
    clock.now += 2000; // two seconds later
    live.eventAccepted('purchase');
    const window = live.window();
    expect(window).toMatchObject({ gateway: 'gw-test', at: clock.now, windowSeconds: 5 });
    expect(window.seconds.map((s) => s.t)).toEqual([999_998_000, 999_999_000, 1_000_000_000, 1_000_001_000, 1_000_002_000]);
    expect(window.seconds.map((s) => s.eventsTotal)).toEqual([0, 0, 3, 0, 1]);
    expect(window.seconds[2]!.events).toEqual({ view: 2, click: 1 });
    expect(window.seconds[4]!.events).toEqual({ purchase: 1 });
    expect(window.seconds.every((s) => s.push === null)).toBe(true);
    expect(live.window(2).seconds.map((s) => s.eventsTotal)).toEqual([0, 1]);
  });

  it('forgets a second once it leaves the window, even when its slot is not written again', () => {
    const clock = at(50_000);
    const live = new LiveStats({ windowSeconds: 3, now: () => clock.now });
    live.eventAccepted('view');
    clock.now += 2000;
    expect(live.window().seconds.map((s) => s.eventsTotal)).toEqual([1, 0, 0]);
    clock.now += 1000; // 50 s is out; slot 50 % 3 was not reused (nothing was written at 53 s)
    expect(live.window().seconds.map((s) => s.eventsTotal)).toEqual([0, 0, 0]);
    live.eventAccepted('click'); // 53 s reuses 50 s's slot: it starts empty
    expect(live.window().seconds.at(-1)).toMatchObject({ t: 53_000, eventsTotal: 1, events: { click: 1 } });
  });

  it('summarises push latency per second: count, nearest-rank p50 and p95, max; negative clamps to 0', () => {
    const clock = at(7_000);
    const live = new LiveStats({ windowSeconds: 4, now: () => clock.now });
    for (let i = 0; i < 100; i++) live.pushLatency(((i * 37) % 100) + 1); // 1..100, out of order
    live.pushLatency(-3);
    clock.now += 1000;
    live.pushLatency(2.5);
    const [, , first, second] = live.window().seconds;
    expect(first!.push).toEqual({ count: 101, p50Ms: 50, p95Ms: 95, maxMs: 100 });
    expect(second!.push).toEqual({ count: 1, p50Ms: 2.5, p95Ms: 2.5, maxMs: 2.5 });
    // A closed second reads the same again (its summary is kept).
    expect(live.window().seconds[2]!.push).toEqual(first!.push);
    live.pushLatency(Number.NaN); // ignored
    expect(live.window().seconds[3]!.push!.count).toBe(1);
  });

  it('keeps at most samplesPerSecond samples, with an exact count and max beyond', () => {
    let r = 0;
    const live = new LiveStats({ windowSeconds: 2, samplesPerSecond: 10, now: () => 3_000, random: () => (r = (r + 0.37) % 1) });
    for (let i = 0; i < 1000; i++) live.pushLatency(i % 7 === 0 ? 5 : 1);
    live.pushLatency(900);
    const push = live.window().seconds[1]!.push!;
    expect(push.count).toBe(1001);
    expect(push.maxMs).toBe(900);
    expect([1, 5, 900]).toContain(push.p50Ms);
  });

  it('refuses bad sizes and reads', () => {
    expect(() => new LiveStats({ windowSeconds: 0 })).toThrow(RangeError);
    expect(() => new LiveStats({ samplesPerSecond: 1.5 })).toThrow(RangeError);
    const live = new LiveStats({ windowSeconds: 10 });
    expect(() => live.window(11)).toThrow(/1\.\.10/);
    expect(() => live.window(0)).toThrow(RangeError);
  });
});

describe('GET /v1/analytics/live', () => {
  let h: Harness;
  const list = (cause: string): RecommendationList => ({
    items: [{ itemId: 'shoe-1', score: 0.9 }],
    generatedAt: Date.now(),
    modelVersion: 'm-1',
    cause,
  });

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('is for marketing and admin only: 401 without a token, 403 for members and visitors', async () => {
    expect((await h.fetch('/v1/analytics/live')).status).toBe(401);
    for (const role of ['member', 'visitor'] as const) {
      const res = await h.fetch('/v1/analytics/live', { token: await h.token(role) });
      expect(res.status, role).toBe(403);
      expect(res.body).toMatchObject({ error: { code: 'forbidden' } });
    }
    expect((await h.fetch('/v1/analytics/live', { token: await h.token('admin') })).status).toBe(200);
  });

  it('shows the events this gateway accepted by type and the push latency it observed, in the current second', async () => {
    const marketing = await h.token('marketing');
    const member = await h.token('member', 'live-1');
    const accepted = await h.fetch('/v1/events', {
      method: 'POST',
      token: member,
      json: { events: [{ type: 'view', itemId: 'a' }, { type: 'view', itemId: 'b' }, { type: 'click', itemId: 'a' }, { type: 'nope' }] },
    });
    expect(accepted.body).toMatchObject({ accepted: 3 });

    const socket = await h.connect(member);
    let pushes = 0;
    socket.on('recommendations', () => pushes++);
    const earliestCause = Date.now() - 40;
    h.transport.notifier.pushToUser('live-1', { event: 'recommendations', data: list('e1'), causeReceivedAt: earliestCause });
    h.transport.notifier.pushToUser('live-1', { event: 'recommendations', data: list('e2'), causeReceivedAt: Date.now() - 10 });
    await expect.poll(() => pushes, { timeout: 3000, interval: 10, message: 'two pushes' }).toBe(2);

    const res = await h.fetch('/v1/analytics/live?seconds=5', { token: marketing });
    expect(res.status).toBe(200);
    const window = res.body as LiveWindow;
    expect(window.windowSeconds).toBe(180);
    expect(window.gateway).toMatch(/:\d+$/);
    expect(window.seconds).toHaveLength(5);
    const views = window.seconds.reduce((n, s) => n + (s.events.view ?? 0), 0);
    const clicks = window.seconds.reduce((n, s) => n + (s.events.click ?? 0), 0);
    expect({ views, clicks, total: window.seconds.reduce((n, s) => n + s.eventsTotal, 0) }).toEqual({ views: 2, clicks: 1, total: 3 });
    const observed = window.seconds.flatMap((s) => (s.push ? [s.push] : []));
    expect(observed.reduce((n, p) => n + p.count, 0)).toBe(2);
    const max = Math.max(...observed.map((p) => p.maxMs));
    expect(max).toBeGreaterThanOrEqual(40);
    // Measured from each cause's receivedAt: never more than the time since the earliest cause (+1 for rounding).
    expect(max).toBeLessThanOrEqual(Date.now() - earliestCause + 1);
    for (const p of observed) expect(p.p50Ms).toBeLessThanOrEqual(p.p95Ms);
    expect(window.seconds.at(-1)!.t).toBe(Math.floor(window.at / 1000) * 1000);
  });

  it('refuses a bad `seconds` with invalid_request', async () => {
    const marketing = await h.token('marketing');
    for (const query of ['seconds=0', 'seconds=181', 'seconds=abc', 'other=1']) {
      const res = await h.fetch(`/v1/analytics/live?${query}`, { token: marketing });
      expect(res.status, query).toBe(400);
      expect(res.body, query).toMatchObject({ error: { code: 'invalid_request' } });
    }
  });
});
