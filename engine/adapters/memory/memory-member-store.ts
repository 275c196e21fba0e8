import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import type { MemberStore, StoredMember } from '../../ports/member-store.js';

/** In-process members (embedded mode, tests); same semantics as RedisMemberStore. */
export class MemoryMemberStore implements MemberStore {
  private readonly byId = new Map<string, StoredMember>();
  private readonly idByEmail = new Map<string, string>();

  async create(member: StoredMember): Promise<void> {
    if (this.idByEmail.has(member.email)) throw new PulseError(ErrorCodes.emailTaken, 'a member with this email already exists');
    if (this.byId.has(member.memberId)) throw new Error(`member id ${member.memberId} already exists`);
    // Copies: a caller mutating its object later must not change what is stored.
    this.byId.set(member.memberId, { ...member });
    this.idByEmail.set(member.email, member.memberId);
  }

  async get(memberId: string): Promise<StoredMember | undefined> {
    const member = this.byId.get(memberId);
    return member ? { ...member } : undefined;
  }

  async findByEmail(email: string): Promise<StoredMember | undefined> {
    const memberId = this.idByEmail.get(email);
    return memberId === undefined ? undefined : this.get(memberId);
  }
}
