import { expect, vi } from 'vitest';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import { http, visitor } from './clients.js';

/**
 * Waits until a visitor of the gateway at `baseUrl` sees the whole demo catalog: `npm start`
 * indexes it in slices after the engine is ready, so a page or a burst must wait for that work to end.
 */
export async function waitForDemoCatalog(baseUrl: string, timeoutMs = 60_000): Promise<void> {
  const token = (await visitor(baseUrl)).token;
  const visible = generateDemoCatalog().filter((item) => !item.minTier || item.minTier === 'regular').length;
  await vi.waitFor(
    async () =>
      expect(
        (await http<{ total: number }>(baseUrl, 'GET', '/v1/items?limit=1', { token })).body.total,
        'items visible (demo catalog still loading)',
      ).toBeGreaterThanOrEqual(visible),
    { timeout: timeoutMs, interval: 200 },
  );
}
