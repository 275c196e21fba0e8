export { freePort, startNats, startRedis, type LocalServer, type TestServer } from '../../scripts/lib/local-servers.js';
