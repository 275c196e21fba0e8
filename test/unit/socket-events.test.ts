import type { Server, Socket as ServerSocket } from 'socket.io';
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { Promotion } from '../../engine/contracts/campaigns.js';
import type { RecommendationList } from '../../engine/contracts/schemas.js';
import type {
  ClientAck,
  ClientEventName,
  ClientToServerEvents,
  InterServerEvents,
  RecommendAck,
  RedeemAck,
  ServerToClientEvents,
  TrackAck,
} from '../../engine/contracts/socket-events.js';
import type { SocketPush } from '../../gateway/push-router.js';
import type { SocketData } from '../../gateway/socket-server.js';
import type { PulseSocket } from '../helpers/clients.js';
import { startHarness, type Harness } from './gateway-harness.js';

/**
 * The Socket.IO event maps (engine/contracts/socket-events.ts). Most of this file is checked by
 * `tsc --noEmit` (tsconfig includes test/): each `@ts-expect-error` below fails the type check
 * once its line compiles, i.e. once a wrong event name or payload is no longer refused. At run
 * time, the gateway answers every client event and emits every push under the names of the maps.
 */

type GatewayServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
type GatewaySocket = ServerSocket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
/** The payload of each push, as the map declares it. */
type PushPayloads = { [E in keyof ServerToClientEvents]: Parameters<ServerToClientEvents[E]>[0] };

const list: RecommendationList = { items: [{ itemId: 'i-1', score: 0.5, reason: 'popular' }], generatedAt: 1, modelVersion: 'm-1' };
const promotion: Promotion = { promotionId: 'p-1', campaignId: 'c-1', title: 'Sale', message: 'All 10% off' };

/** Never called, only type-checked: every line under a `@ts-expect-error` must stay a compile error. */
export function misuses(client: PulseSocket, io: GatewayServer, socket: GatewaySocket): void {
  // @ts-expect-error no such client event
  client.emit('trak', { type: 'view', itemId: 'i-1' }, () => undefined);
  // @ts-expect-error a view needs its itemId
  client.emit('track', { type: 'view' }, () => undefined);
  // @ts-expect-error no such event type
  client.emit('track', { type: 'glance', itemId: 'i-1' }, () => undefined);
  // @ts-expect-error k is a number
  client.emit('recommend', { k: 'many' }, () => undefined);
  // @ts-expect-error redeem needs the orderId
  client.emit('redeem', { code: 'K7QX2M9PRT4W' }, () => undefined);
  // @ts-expect-error track's ack is not a list
  client.emit('track', { type: 'view', itemId: 'i-1' }, (reply: RecommendationList) => reply);
  // @ts-expect-error no such push
  client.on('recommendation', () => undefined);
  // @ts-expect-error a promotion push carries a Promotion, not a list
  client.on('promotion', (pushed: RecommendationList) => pushed);

  // @ts-expect-error no such push
  io.to('user:u-1').emit('recomendations', list);
  // @ts-expect-error a recommendations push carries a list
  io.to('user:u-1').emit('recommendations', promotion);
  // @ts-expect-error gateways send each other nothing over Socket.IO
  io.serverSideEmit('hello');
  // @ts-expect-error no such client event
  socket.on('trak', () => undefined);
  socket.on('track', (_event, ack) => {
    ack({ ok: true, id: 'e-1' });
    // @ts-expect-error track's ack carries the id it stored
    ack({ ok: true });
  });
  // @ts-expect-error socket.data holds the gateway's state, not free fields
  socket.data.userId = 'u-1';
}

describe('socket event maps', () => {
  it('type each ack and each push as the gateway sends them', () => {
    expectTypeOf<ClientEventName>().toEqualTypeOf<'track' | 'recommend' | 'redeem'>();
    expectTypeOf<ClientAck<'track'>>().toEqualTypeOf<TrackAck>();
    expectTypeOf<ClientAck<'recommend'>>().toEqualTypeOf<RecommendAck>();
    expectTypeOf<ClientAck<'redeem'>>().toEqualTypeOf<RedeemAck>();
    // Without `timeout()`, Socket.IO types the reply from the map too.
    expectTypeOf<ReturnType<PulseSocket['emitWithAck']>>().toEqualTypeOf<Promise<TrackAck | RecommendAck | RedeemAck>>();
    // Every push the engine sends to sockets is an event of the map, with the map's payload.
    expectTypeOf<{ [M in SocketPush as M['event']]: M['data'] }>().toEqualTypeOf<PushPayloads>();
  });

  describe('against the gateway', () => {
    let h: Harness;
    const open: PulseSocket[] = [];
    const connect = async (sub: string): Promise<PulseSocket> => {
      const socket: PulseSocket = await h.connect(await h.token('visitor', sub));
      open.push(socket);
      return socket;
    };

    beforeAll(async () => {
      h = await startHarness();
      h.transport.rpcServer.serve('recommend', async () => list);
    });
    afterEach(() => {
      for (const socket of open.splice(0)) socket.disconnect();
    });
    afterAll(() => h.close());

    it('answers every client event of the map with its ack', async () => {
      const socket = await connect('v-events');
      const tracked: TrackAck = await socket.timeout(3000).emitWithAck('track', { type: 'view', itemId: 'i-1' });
      expect(tracked).toEqual({ ok: true, id: expect.any(String) });
      const recommended: RecommendAck = await socket.timeout(3000).emitWithAck('recommend', { k: 3 });
      expect(recommended).toEqual(list);
      const redeemed: RedeemAck = await socket.timeout(3000).emitWithAck('redeem', { code: 'K7QX2M9PRT4W', orderId: 'o-1' });
      expect(redeemed).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    });

    it('emits every push of the map under its name, to the user and to everyone', async () => {
      const socket = await connect('v-pushes');
      const received: Partial<PushPayloads> = {};
      socket.on('recommendations', (pushed) => (received.recommendations = pushed));
      socket.on('promotion', (pushed) => (received.promotion = pushed));
      socket.on('member', (pushed) => (received.member = pushed));
      const sent: PushPayloads = { recommendations: list, promotion, member: { type: 'tier_changed', from: 'regular', to: 'vip' } };
      h.transport.notifier.pushToUser('v-pushes', { event: 'recommendations', data: sent.recommendations });
      h.transport.notifier.pushToUser('v-pushes', { event: 'member', data: sent.member });
      h.transport.notifier.pushToAll({ event: 'promotion', data: sent.promotion });
      await expect.poll(() => Object.keys(received).length, { timeout: 3000, interval: 10, message: 'every push' }).toBe(3);
      expect(received).toEqual(sent);
    });
  });
});
