import type { Unsubscribe } from './notifier.js';
import type { PresenceView } from './presence.js';

/**
 * Gateway side of presence: what one gateway tells every engine about the users whose sockets it
 * holds. Entries are per gateway: a leave from one gateway never hides the same user's socket on
 * another. Each join or beat sets the entry's expiry to `ttlMs` from its arrival; an entry not
 * refreshed by then is gone, so a crashed gateway's users vanish by themselves.
 */
export interface PresencePublisher {
  /**
   * The first socket of each of `userIds` is open on `gatewayId`. Resolves once the transport has
   * delivered it (NATS: published and flushed), so an event the user sends afterwards finds the
   * user present at the engine.
   * @throws PulseError `unavailable` when it cannot be sent.
   */
  join(gatewayId: string, ttlMs: number, userIds: readonly string[]): Promise<void>;
  /** The last socket of each of `userIds` on `gatewayId` is gone. Fire and forget: a lost leave expires. */
  leave(gatewayId: string, userIds: readonly string[]): void;
  /**
   * Every user `gatewayId` holds (split into several messages when large): adds missing entries
   * and refreshes the expiry of the listed ones. Fire and forget.
   */
  beat(gatewayId: string, ttlMs: number, userIds: readonly string[]): void;
  /** Calls `handler` whenever an engine asks every gateway for a beat at once (it just started). */
  onSyncRequest(handler: () => void): Unsubscribe;
}

/** Presence as an engine follows it: the view plus what metrics need. */
export interface LivePresence extends PresenceView {
  /** Users present on at least one gateway now. O(entries): for a metrics scrape, not per event. */
  count(): number;
}

/** Engine side of presence. */
export interface PresenceFollower {
  /**
   * Starts following the gateways' announcements and asks every gateway for a beat at once, so the
   * view is complete one round trip after start instead of one heartbeat. Later calls return the
   * same view (and ask again). Stops when the transport closes.
   */
  follow(): LivePresence;
}
