import type { Coupon } from './coupons.js';
import type { Promotion } from './campaigns.js';
import type { WireError } from './errors.js';
import type { EventInput, RecommendationList, RecommendRequest } from './schemas.js';

/**
 * The Socket.IO events between a gateway and its clients (README "Socket.IO"), written once for
 * both ends: the gateway is a `Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>`
 * (SocketData, the gateway's own per-socket state, lives in gateway/socket-server.ts), the browser
 * client and the tests hold a `Socket<ServerToClientEvents, ClientToServerEvents>`. A wrong event
 * name, payload or ack reply then fails to compile on either side.
 *
 * Types only, browser-safe: no Node import, nothing at run time (gateway/web imports it too).
 * The payloads are what a well-behaved client sends; the gateway still takes every argument as
 * unknown and validates it (a socket can send anything), and always answers with the ack below.
 */

/** The error of a socket ack or `connect_error`: the HTTP error object, plus `retryAfterSeconds` (a number) on `rate_limited`. */
export type SocketWireError = WireError & { retryAfterSeconds?: number };

/** Ack of `track`: `{ok: true, id}` once the event log stored the event. */
export type TrackAck = { ok: true; id: string } | { ok: false; error: SocketWireError };
/** Ack of `recommend`: the RecommendationList itself on success (CONTRACT: "with ack -> list"). */
export type RecommendAck = RecommendationList | { ok: false; error: SocketWireError };
/** Ack of `redeem` (extension): the coupon as used, or the error HTTP redeem would answer. */
export type RedeemAck = { ok: true; coupon: Coupon } | { ok: false; error: SocketWireError };

/** `redeem` payload: the HTTP redeem body plus the code (the HTTP route has it in the path). */
export interface RedeemRequest {
  code: string;
  orderId: string;
}

/** The callback a client passes last; the gateway calls it once with the reply. */
export type AckCallback<Reply> = (reply: Reply) => void;

/** Events a client emits, each with an ack; all draw from the socket's and the user's call limits. */
export interface ClientToServerEvents {
  /** An Event (its `userId` is honoured for admin tokens only); the same `id` twice counts once. */
  track: (event: EventInput, ack: AckCallback<TrackAck>) => void;
  /** The shopper's list now, with these options. */
  recommend: (request: RecommendRequest, ack: AckCallback<RecommendAck>) => void;
  /** Uses one of the member's coupons (members only), as `POST /v1/members/me/coupons/:code/redeem` does. */
  redeem: (request: RedeemRequest, ack: AckCallback<RedeemAck>) => void;
}

/** Pushes the gateway emits (the socket-bound events of a PushMessage), to every socket of the user on any gateway. */
export interface ServerToClientEvents {
  /** The shopper's list changed after an event (`cause`: that event's id). */
  recommendations: (list: RecommendationList) => void;
  /** A campaign offer to a member: waiting ones right after connect, once per member per promotion. */
  promotion: (promotion: Promotion) => void;
  /** A change of membership, e.g. `{type: 'tier_changed', from, to, points, lifetimePoints}`. */
  member: (change: Record<string, unknown>) => void;
}

/** Gateways send each other nothing over Socket.IO (pushes and presence travel on NATS). */
export type InterServerEvents = Record<never, never>;

/** The name of an event a client emits. */
export type ClientEventName = keyof ClientToServerEvents;
/** What the gateway answers a client's `E` with (the argument of its ack). */
export type ClientAck<E extends ClientEventName> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];
