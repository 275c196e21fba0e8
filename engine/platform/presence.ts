/**
 * Which users have a socket open on some gateway right now. Gateways announce joins, leaves and
 * a periodic heartbeat of everyone they hold (NATS); an entry not refreshed within its expiry is
 * gone. The engine ranks and pushes a fresh list after an event only for present users: everyone
 * else gets a fresh list when they ask.
 */
export interface PresenceView {
  /** Whether `userId` holds an open socket on any gateway (as last announced). In memory: O(1), no I/O. */
  isPresent(userId: string): boolean;
}
