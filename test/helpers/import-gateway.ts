import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The bearer token the fake gateway accepts. */
export const TOKEN = 'admin-token-for-tests';

/**
 * A stand-in for the gateway's two batch endpoints, over real HTTP: checks the bearer token,
 * enforces a body limit (413), dedupes events by user + id like the real one, and fails on demand.
 */
export class FakeGateway {
  readonly stored = new Map<string, unknown>();
  readonly items = new Map<string, unknown>();
  readonly members = new Map<string, Record<string, unknown>>();
  /** `userId/id` of each stored event, in the order the server took them. */
  readonly arrival: string[] = [];
  /** Delay before a request is handled (ms), e.g. random, so concurrent requests overtake each other. */
  delayMs: () => number = () => 0;
  requests = 0;
  /** Answer the next N requests with 503. */
  fail503 = 0;
  /** Event ids to reject once with `unavailable` (per-line transient failure). */
  readonly unavailableOnce = new Set<string>();
  maxBodyBytes = 1_000_000;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests += 1;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const delay = this.delayMs();
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { error: { code: 'unauthorized', message: 'invalid token' } });
    if (this.fail503 > 0) {
      this.fail503 -= 1;
      return send(503, { error: { code: 'unavailable', message: 'event log unavailable' } });
    }
    if (raw.length > this.maxBodyBytes)
      return send(413, { error: { code: 'payload_too_large', message: `body over ${this.maxBodyBytes} bytes` } });
    const body = JSON.parse(raw.toString('utf8')) as {
      events?: Array<Record<string, unknown>>;
      items?: Array<Record<string, unknown>>;
      members?: Array<Record<string, unknown>>;
    };
    const rejected: Array<{ index: number; error: { code: string; message: string } }> = [];
    if (req.url === '/v1/events' && body.events) {
      body.events.forEach((event, index) => {
        if (typeof event.type !== 'string')
          return rejected.push({ index, error: { code: 'invalid_event', message: 'invalid event: type: Required' } });
        const id = String(event.id);
        if (this.unavailableOnce.delete(id)) return rejected.push({ index, error: { code: 'unavailable', message: 'append timed out' } });
        this.stored.set(`${String(event.userId)}/${id}`, event);
        this.arrival.push(`${String(event.userId)}/${id}`);
      });
      return send(202, { accepted: body.events.length - rejected.length, rejected });
    }
    if (req.url === '/v1/items/batch' && body.items) {
      body.items.forEach((item, index) => {
        if (typeof item.title !== 'string')
          return rejected.push({ index, error: { code: 'invalid_item', message: 'invalid item: title: Required' } });
        this.items.set(String(item.itemId), item);
      });
      return send(200, { upserted: body.items.length - rejected.length, rejected });
    }
    if (req.url === '/v1/members/batch' && body.members) {
      let created = 0;
      let existing = 0;
      body.members.forEach((member, index) => {
        const memberId = String(member.memberId);
        if (this.members.has(memberId)) return void (existing += 1);
        if ([...this.members.values()].some((m) => m.email === member.email))
          return rejected.push({ index, error: { code: 'email_taken', message: 'a member with this email already exists' } });
        this.members.set(memberId, member);
        created += 1;
      });
      return send(200, { created, existing, rejected });
    }
    send(404, { error: { code: 'not_found', message: 'no route' } });
  }
}
