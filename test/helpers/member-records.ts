import type { StoredMember } from '../../engine/members/member-store.js';

/** A regular member with no points and no password, named and mailed after their id. */
export function regularMember(memberId: string, createdAt: number): StoredMember {
  return { memberId, email: `${memberId}@example.com`, name: memberId, tier: 'regular', points: 0, lifetimePoints: 0, createdAt };
}
