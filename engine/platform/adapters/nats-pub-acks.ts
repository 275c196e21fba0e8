import { createInbox, headers, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';

/** A JetStream publish's acknowledgement: where the stream stored it, or that it was a repeat. */
export interface PubAck {
  seq: number;
  duplicate: boolean;
}

/** How often pending publishes are checked for their timeout (ms). */
const SWEEP_MS = 100;

interface Pending {
  resolve: (ack: PubAck) => void;
  reject: (err: Error) => void;
  deadline: number;
}

/**
 * JetStream publishes that await their PubAck on one reply subscription. `js.publish` makes each
 * publish a core request: a request object, a timer, a promise wrapper, and (nats.js 3) a
 * `RequestError("cancelled")` with its stack built after every successful reply (RequestOne
 * cancels itself once resolved) — 12% of the gateway's CPU while it appended an import, and part
 * of its GC (CPU profile of `npm run bench -- --backlog --events 400000`), 5.6% at 800 live
 * events/s; the engine paid it per catalog item it appended. Here a publish is a core publish
 * with a reply subject `<inbox>.<n>` (and the `Nats-Msg-Id` header when given); the replies of all of them arrive on one `<inbox>.*` subscription, and one
 * timer per connection expires those not answered in time. The same outcomes as `js.publish`
 * without retries: the stream's PubAck, its error reply, no responders (no stream on the
 * subject), a timeout.
 */
export class PubAcks {
  private readonly prefix: string;
  private readonly pending = new Map<number, Pending>();
  private readonly subscription: Subscription;
  private readonly sweep: NodeJS.Timeout;
  private next = 0;
  private closed = false;

  constructor(private readonly nc: NatsConnection) {
    this.prefix = `${createInbox()}.`;
    this.subscription = nc.subscribe(`${this.prefix}*`, { callback: (err, msg) => this.reply(err, msg) });
    this.sweep = setInterval(() => this.expire(Date.now()), SWEEP_MS);
    this.sweep.unref();
  }

  /**
   * Publishes `data` to `subject`, with message id `msgId` when given (the stream drops a repeat
   * within its duplicate window); resolves with the stream's PubAck.
   */
  publish(subject: string, data: string, msgId: string | undefined, timeoutMs: number): Promise<PubAck> {
    if (this.closed) return Promise.reject(new Error('publisher closed'));
    const id = ++this.next;
    let h: MsgHdrs | undefined;
    if (msgId !== undefined) {
      h = headers();
      h.set('Nats-Msg-Id', msgId);
    }
    return new Promise<PubAck>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, deadline: Date.now() + timeoutMs });
      try {
        this.nc.publish(subject, data, h ? { reply: this.prefix + id, headers: h } : { reply: this.prefix + id });
      } catch (err) {
        this.pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Publishes awaiting their PubAck. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Stops: every publish still waiting is rejected. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweep);
    this.subscription.unsubscribe();
    for (const [id, waiting] of this.pending) {
      this.pending.delete(id);
      waiting.reject(new Error('publisher closed before the PubAck'));
    }
  }

  private reply(err: Error | null, msg: Msg): void {
    if (err) return; // the subscription's own failure: publishes time out
    const id = Number(msg.subject.slice(this.prefix.length));
    const waiting = this.pending.get(id);
    if (waiting === undefined) return; // answered after its timeout
    this.pending.delete(id);
    const outcome = pubAckOf(msg);
    if (outcome instanceof Error) waiting.reject(outcome);
    else waiting.resolve(outcome);
  }

  private expire(now: number): void {
    for (const [id, waiting] of this.pending) {
      // Map order = publish order; deadlines grow with it for a fixed timeout, not always: check all.
      if (waiting.deadline > now) continue;
      this.pending.delete(id);
      waiting.reject(new Error('timeout waiting for the PubAck'));
    }
  }
}

/** A reply's PubAck, or why there is none (no responders, the stream's error, an unreadable reply). */
export function pubAckOf(msg: Pick<Msg, 'headers' | 'data'>): PubAck | Error {
  if (msg.headers?.hasError) return new Error(`no PubAck: ${msg.headers.code} ${msg.headers.description}`);
  let body: { seq?: unknown; duplicate?: unknown; stream?: unknown; error?: { description?: string; err_code?: number } };
  try {
    body = JSON.parse(new TextDecoder().decode(msg.data)) as typeof body;
  } catch {
    return new Error('unreadable PubAck');
  }
  if (body.error) return new Error(`JetStream refused the publish: ${body.error.description ?? 'error'} (${body.error.err_code ?? '?'})`);
  if (typeof body.stream !== 'string' || body.stream === '' || typeof body.seq !== 'number') return new Error('invalid PubAck');
  return { seq: body.seq, duplicate: body.duplicate === true };
}
