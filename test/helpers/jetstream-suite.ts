import { jetstreamManager, type StreamConfig } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll } from 'vitest';
import { startNats, type TestServer } from './servers.js';

/**
 * A nats-server of the suite's own with one JetStream stream: started before all tests, stopped
 * after. Returns a getter of the connection (set once the server is up).
 */
export function useJetStream(stream: Pick<StreamConfig, 'name' | 'subjects'> & Partial<StreamConfig>): () => NatsConnection {
  let server: TestServer | undefined;
  let nc: NatsConnection | undefined;
  beforeAll(async () => {
    server = await startNats();
    nc = await connect({ servers: server.url, noAsyncTraces: true });
    await (await jetstreamManager(nc)).streams.add(stream);
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });
  return () => {
    if (!nc) throw new Error('the JetStream suite has not started');
    return nc;
  };
}
