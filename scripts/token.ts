// `npm run token -- --role admin|marketing|member|visitor [--sub ID] [--ttl 3600] [--tier vip]`
import { loadConfig } from '../engine/contracts/env.js';
import { sharedConfigSpec } from '../engine/contracts/shared-config.js';
import { tokenCli } from '../gateway/token-cli.js';
import { resolveAuthSecret } from './lib/auth-secret.js';
import { failStartup, loadConfigOrExit } from './lib/startup.js';

// AUTH_SECRET, or (not in production) the development secret `npm start` keeps under DATA_DIR.
const shared = loadConfigOrExit('token', () => loadConfig(sharedConfigSpec));
let secret: string | undefined = shared.authSecret;
if (!secret && process.env.NODE_ENV !== 'production') {
  try {
    const resolved = resolveAuthSecret({ configured: undefined, dataDir: shared.dataDir, production: false });
    if (resolved.source === 'created') process.stderr.write(`token: generated a development AUTH_SECRET, kept in ${resolved.path}\n`);
    secret = resolved.secret;
  } catch (err) {
    failStartup('token', err);
  }
}
const result = await tokenCli(process.argv.slice(2), { ...process.env, ...(secret ? { AUTH_SECRET: secret } : {}) });
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);
process.exitCode = result.exitCode;
