import type { PresenceView } from './presence.js';

/** Gateway side of presence: a wire contract (engine/contracts/transport.ts). */
export type { PresencePublisher } from '../contracts/transport.js';

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
