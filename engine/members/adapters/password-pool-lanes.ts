import type { DeriveRequest } from '../logic/passwords.js';

/** Logins and registrations wait apart and are taken in turn: a flood of one never starves the other. */
export type PasswordLane = 'login' | 'register';

/** Who a derivation is for, and until when its caller waits. */
export interface PasswordAdmission {
  lane: PasswordLane;
  /** The account (normalised email): one attempt per account and lane waits or runs at a time; another is `rate_limited`. */
  account: string;
  /** Who asks (client IP as the gateway saw it, '' when unknown): waiting work is taken round-robin across clients. */
  client: string;
  /** Epoch ms (engine clock) after which nobody waits for the answer; Infinity for none. */
  deadline: number;
  /** What the caller still does after the derivation before it answers (ms), e.g. a store write. */
  afterMs?: number;
}

export interface Job {
  readonly admission: PasswordAdmission;
  readonly request: DeriveRequest;
  readonly resolve: (key: Buffer) => void;
  readonly reject: (err: unknown) => void;
  timer: NodeJS.Timeout | undefined;
  state: 'waiting' | 'running' | 'done';
}

/**
 * Waiting jobs of one lane: a FIFO per client. A client that had nothing running nor waiting when
 * its job came is "fresh" and is served before the others, in arrival order (the scheduler's
 * rule, rpc-scheduler.ts); the others take turns. So a client that already has a derivation
 * running waits behind one that has none.
 */
export class LaneQueue {
  readonly byClient = new Map<string, Job[]>();
  fresh: string[] = [];
  served: string[] = [];
  size = 0;

  add(job: Job, clientBusy: boolean): void {
    const client = job.admission.client;
    const jobs = this.byClient.get(client);
    if (jobs) jobs.push(job);
    else {
      this.byClient.set(client, [job]);
      (clientBusy ? this.served : this.fresh).push(client);
    }
    this.size++;
  }

  /** The oldest job of the first fresh client, if any. */
  takeFresh(): Job | undefined {
    return this.takeFrom(this.fresh.shift());
  }

  /** The oldest job of the client whose turn it is among the others, if any. */
  takeServed(): Job | undefined {
    return this.takeFrom(this.served.shift());
  }

  remove(job: Job): void {
    const client = job.admission.client;
    const jobs = this.byClient.get(client);
    const at = jobs?.indexOf(job) ?? -1;
    if (!jobs || at < 0) return;
    jobs.splice(at, 1);
    this.size--;
    if (jobs.length === 0) {
      this.byClient.delete(client);
      this.fresh = this.fresh.filter((c) => c !== client);
      this.served = this.served.filter((c) => c !== client);
    }
  }

  /**
   * Jobs this lane gives before a new one of a client that is not fresh: an upper bound (every
   * other client first, up to as many as this one has waiting, plus one). Cost: O(clients waiting).
   */
  aheadOf(client: string): number {
    const mine = this.byClient.get(client)?.length ?? 0;
    let ahead = mine;
    for (const [other, jobs] of this.byClient) if (other !== client) ahead += Math.min(jobs.length, mine + 1);
    return ahead;
  }

  private takeFrom(client: string | undefined): Job | undefined {
    if (client === undefined) return undefined;
    const jobs = this.byClient.get(client)!;
    const job = jobs.shift()!;
    this.size--;
    if (jobs.length === 0) this.byClient.delete(client);
    else this.served.push(client);
    return job;
  }
}

export const otherLane = (lane: PasswordLane): PasswordLane => (lane === 'login' ? 'register' : 'login');
