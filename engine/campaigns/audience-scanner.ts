import pLimit from 'p-limit';
import type { Audience } from '../contracts/campaigns.js';
import { matchesAudience, type AudienceOptions } from './logic/audience.js';
import type { MemberStore, StoredMember } from '../members/member-store.js';
import type { UserStateStore } from '../shoppers/user-state-store.js';

export interface AudienceScannerDeps {
  members: MemberStore;
  users: UserStateStore;
  /** Segment thresholds (config); default the documented defaults. */
  audience?: AudienceOptions;
  /** Members whose record and state are read at once (each read is two Redis calls). */
  concurrency?: number;
}

export interface AudienceScanOptions {
  /** Only these members are read and matched (a fan-out's partitions); default all. */
  include?: (memberId: string) => boolean;
  /** Called for every member in the audience, at most `concurrency` at once. */
  onMatch?: (memberId: string, member: StoredMember) => Promise<void>;
  /** Stops the walk; what was matched so far is counted. */
  signal?: AbortSignal;
}

export interface AudienceScanResult {
  /** Members walked (all of them, or those `include` accepted). */
  scanned: number;
  /** Of those, the members in the audience. */
  matched: number;
}

/** Member ids asked of the store per page. */
const SCAN_PAGE = 500;
const DEFAULT_CONCURRENCY = 32;

/**
 * Walks every member (MemberStore.scan), reads the member record (the engine's truth for tier
 * and points) and the user state (affinities, segments), and matches the audience
 * (logic/audience.ts `matchesAudience`). Costs two reads per member: a preview or a `now`
 * fan-out over 100,000 members is 200,000 Redis calls, `concurrency` in flight.
 */
export class AudienceScanner {
  constructor(private readonly deps: AudienceScannerDeps) {}

  async scan(audience: Audience, now: number, options: AudienceScanOptions = {}): Promise<AudienceScanResult> {
    const { members, users } = this.deps;
    const limit = pLimit(this.deps.concurrency ?? DEFAULT_CONCURRENCY);
    let scanned = 0;
    let matched = 0;
    const check = async (memberId: string) => {
      const [member, state] = await Promise.all([members.get(memberId), users.load(memberId)]);
      if (!member || !matchesAudience(audience, member, state, now, this.deps.audience)) return;
      matched++;
      await options.onMatch?.(memberId, member);
    };
    for await (const page of memberIdPages(members, SCAN_PAGE)) {
      if (options.signal?.aborted) break;
      const ids = options.include ? page.filter((id) => options.include!(id)) : page;
      scanned += ids.length;
      try {
        // A member not started when the walk is aborted is not read.
        await limit.map(ids, (id) => (options.signal?.aborted ? undefined : check(id)));
      } catch (err) {
        // The first failure ends the walk: members not started yet are not read.
        limit.clearQueue();
        throw err;
      }
    }
    return { scanned, matched };
  }
}

/** Every member stored before the walk began, once, a page at a time (MemberStore.scan). */
async function* memberIdPages(members: MemberStore, count: number): AsyncGenerator<string[]> {
  let cursor: string | undefined;
  do {
    const page = await members.scan(cursor, count);
    cursor = page.cursor;
    if (page.memberIds.length > 0) yield page.memberIds;
  } while (cursor !== undefined);
}
