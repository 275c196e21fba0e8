import type { LoggedEvent } from '../contracts/schemas.js';
import type { MemberStore } from '../members/member-store.js';
import { type EventRun, MemberLookup, type UserRun } from './pipeline/batch.js';

/**
 * The batch's events by user, in stream order within each user; users in order of first appearance.
 * Cost per event: a Map read and the EventRun (~0.1 us); per user the UserRun, its Map and its
 * MemberLookup (one reader closure per batch, not per user).
 */
export function groupByUser(deliveries: ReadonlyArray<{ event: LoggedEvent }>, members: MemberStore | undefined): UserRun[] {
  const byId = new Map<string, UserRun>();
  // Users in order of first appearance, as pushed (no copy of the Map's values at the end).
  const users: UserRun[] = [];
  const read = members ? (userId: string) => members.get(userId) : undefined;
  for (let index = 0; index < deliveries.length; index++) {
    const event = deliveries[index]!.event;
    let user = byId.get(event.userId);
    if (!user) {
      user = {
        userId: event.userId,
        events: [],
        state: undefined as never,
        mergeSources: new Map(),
        member: new MemberLookup(event.userId, read),
      };
      byId.set(event.userId, user);
      users.push(user);
    }
    const run: EventRun = { event, index, marker: null };
    user.events.push(run);
  }
  return users;
}
