import type { Item, RecommendedItem } from '../../../engine/contracts/schemas.js';
import { PulseClientError, type PulseClient } from '../client/pulse-client.js';
import type { Card } from './strip.js';

/**
 * Item details for the cards (`GET /v1/items/:itemId`), each asked once per identity and shared
 * by every list. An item the shopper may not see (404) is left out of the strip; a failed read is
 * not kept, so the next list asks again, and the card shows the id meanwhile.
 */
export class ItemDetails {
  readonly #client: PulseClient;
  readonly #cache = new Map<string, Promise<Item | null>>();

  constructor(client: PulseClient) {
    this.#client = client;
  }

  /** Forgets everything (the identity changed: what a tier may see changed with it). */
  clear(): void {
    this.#cache.clear();
  }

  /** The first `k` recommendations as cards, details read in parallel. */
  async cards(items: RecommendedItem[], k: number): Promise<Card[]> {
    const details = await Promise.all(items.map((item) => this.#get(item.itemId)));
    const cards: Card[] = [];
    items.forEach((item, i) => {
      const detail = details[i];
      if (detail === null || cards.length >= k) return;
      const card: Card = { itemId: item.itemId, title: detail?.title ?? item.itemId, score: item.score };
      if (detail?.price !== undefined) card.price = detail.price;
      if (detail?.category !== undefined) card.category = detail.category;
      if (item.reason) card.reason = item.reason;
      cards.push(card);
    });
    return cards;
  }

  /** The item, null when it does not exist for this shopper, undefined when it could not be read. */
  async #get(itemId: string): Promise<Item | null | undefined> {
    let entry = this.#cache.get(itemId);
    if (!entry) {
      entry = this.#client.api<Item>('GET', `/v1/items/${encodeURIComponent(itemId)}`).catch((err: unknown) => {
        if (err instanceof PulseClientError && err.code === 'not_found') return null;
        throw err;
      });
      this.#cache.set(itemId, entry);
      entry.catch(() => this.#cache.delete(itemId));
    }
    try {
      return await entry;
    } catch {
      return undefined;
    }
  }
}
