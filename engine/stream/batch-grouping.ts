import type { LoggedEvent } from '../contracts/schemas.js';
import type { MemberStore } from '../members/member-store.js';
import { type EventRun, MemberLookup, type UserRun } from './pipeline/batch.js';

/** The batch's events by user, in stream order within each user; users in order of first appearance. */
export function groupByUser(events: LoggedEvent[], members: MemberStore | undefined): UserRun[] {
  const users = new Map<string, UserRun>();
  events.forEach((event, index) => {
    let user = users.get(event.userId);
    if (!user) {
      const read = members ? (userId: string) => members.get(userId) : undefined;
      user = {
        userId: event.userId,
        events: [],
        state: undefined as never,
        mergeSources: new Map(),
        member: new MemberLookup(event.userId, read),
      };
      users.set(event.userId, user);
    }
    const run: EventRun = { event, index, marker: null };
    user.events.push(run);
  });
  return [...users.values()];
}
