/**
 * NATS names shared by gateway and engine. Ids are escaped into single subject tokens
 * ('.' is the only id character NATS does not allow inside a token; see IdSchema).
 */
export const EVENTS_STREAM = 'EVENTS';
export const CATALOG_STREAM = 'CATALOG';
/** Events the engine gave up on, with why (engine/stream/dead-letters.ts). */
export const DEADLETTERS_STREAM = 'DEADLETTERS';

export function subjectToken(id: string): string {
  return id.replaceAll('.', '~2e');
}

export function fromSubjectToken(token: string): string {
  return token.replaceAll('~2e', '.');
}

/** FNV-1a 32-bit: stable across processes and Node versions, cheap per event. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** partition = hash(userId) mod P: all of one user's events land in one partition, in order. */
export function partitionOf(userId: string, partitions: number): number {
  return fnv1a(userId) % partitions;
}

export const subjects = {
  events: (partition: number) => `events.${partition}`,
  eventsAll: 'events.*',
  catalogItem: (itemId: string) => `catalog.item.${subjectToken(itemId)}`,
  catalogAll: 'catalog.item.*',
  /** JetStream DEADLETTERS: the original payload, the failure in headers (nats-dead-letters.ts). */
  deadLetters: (partition: number) => `deadletters.${partition}`,
  deadLettersAll: 'deadletters.*',
  pushUser: (userId: string) => `push.user.${subjectToken(userId)}`,
  pushAll: 'push.all',
  rpc: (method: string) => `pulse.rpc.${method}`,
  /** Core NATS: a trainer announces a new model `{version, dir}` (JSON); every engine loads it. */
  modelPublished: 'pulse.model.published',
  /** Core NATS: an engine stored a new or stopped campaign `{campaignId}` (JSON); every engine reloads. */
  campaignsChanged: 'pulse.campaigns.changed',
  /**
   * Core NATS presence (gateways -> engines), text payloads: a header line `<gatewayId> <ttlMs>`,
   * then one user id per line. `join`: first socket of these users on that gateway; `leave`: last
   * socket gone; `beat`: every user the gateway holds (several messages when large). An entry not
   * refreshed within `ttlMs` is gone. Engines subscribe to `presence.*` (one subscription: arrival order).
   */
  presenceJoin: 'presence.join',
  presenceLeave: 'presence.leave',
  presenceBeat: 'presence.beat',
  /** Core NATS, empty payload: an engine (re)started and asks every gateway for a `beat` at once. */
  presenceSync: 'presence.sync',
  presenceAll: 'presence.*',
} as const;

/** Queue group under which engines answer request/reply calls (any one engine answers). */
export const ENGINE_QUEUE = 'pulse-engines';

/** JetStream message id: scoped per user, because clients choose event ids. */
export function eventMessageId(userId: string, eventId: string): string {
  return `${userId}/${eventId}`;
}
