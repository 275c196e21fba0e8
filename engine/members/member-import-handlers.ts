import { ErrorCodes, PulseError, type WireError } from '../contracts/errors.js';
import type { RpcMethod, RpcMethods } from '../contracts/messages.js';
import { MAX_MEMBERS_PER_BATCH, MemberImportSchema, memberValidationError, type MemberImport } from '../contracts/schemas.js';
import type { MemberStore, StoredMember } from './member-store.js';
import type { RpcHandler, RpcServer } from '../platform/rpc.js';

export interface MemberImportHandlerDeps {
  members: MemberStore;
  /** Wraps each handler (metrics, error counting); identity by default. */
  wrap?: <M extends RpcMethod>(method: M, handler: RpcHandler<M>) => RpcHandler<M>;
  /** The engine's clock (epoch ms): `createdAt` of entries without one. */
  now?: () => number;
}

export type MemberImportResult = RpcMethods['members.import']['result'];

/** One import entry: the valid entry, or the error it is rejected with (a PulseError, as on the wire). */
export function parseMemberImport(raw: unknown): MemberImport | PulseError {
  const parsed = MemberImportSchema.safeParse(raw);
  return parsed.success ? parsed.data : memberValidationError(parsed.error);
}

/** The stored form of an imported member: regular, 0 points, no password. */
export function importedMember(entry: MemberImport, now: number): StoredMember {
  return {
    memberId: entry.memberId,
    email: entry.email ?? '',
    name: entry.name,
    tier: 'regular',
    points: 0,
    lifetimePoints: 0,
    createdAt: entry.createdAt ?? now,
  };
}

/**
 * Applies one import batch in order (so two entries of one batch resolve as they would in two
 * batches: a repeated memberId is `existing`, a repeated email under another id `email_taken`).
 * Every entry is answered: invalid ones and store failures (`unavailable`: retrying that entry is
 * safe) are rejected by index, the others count as created or existing. Only programmer errors throw.
 */
export async function importMembers(members: MemberStore, raws: readonly unknown[], now: () => number): Promise<MemberImportResult> {
  const result: MemberImportResult = { created: 0, existing: 0, rejected: [] };
  for (const [index, raw] of raws.entries()) {
    const entry = parseMemberImport(raw);
    let error: WireError | undefined;
    if (entry instanceof PulseError) error = entry.toWire();
    else {
      try {
        result[await members.createIfAbsent(importedMember(entry, now()))] += 1;
      } catch (err) {
        if (!(err instanceof PulseError)) throw err;
        error = err.toWire();
      }
    }
    if (error) result.rejected.push({ index, error });
  }
  return result;
}

/** Registers `members.import` (admin imports; the gateway checks the role and the envelope). */
export function registerMemberImportHandler(server: RpcServer, deps: MemberImportHandlerDeps): void {
  const now = deps.now ?? Date.now;
  const wrap = deps.wrap ?? (<M extends RpcMethod>(_method: M, handler: RpcHandler<M>) => handler);
  server.serve(
    'members.import',
    wrap('members.import', async ({ members }) => {
      // Checked again here: a gateway of another version must not send what the store cannot take.
      if (!Array.isArray(members) || members.length > MAX_MEMBERS_PER_BATCH) {
        throw new PulseError(ErrorCodes.invalidRequest, `members must be an array of at most ${MAX_MEMBERS_PER_BATCH} entries`);
      }
      return importMembers(deps.members, members, now);
    }),
  );
}
