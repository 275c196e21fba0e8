import { parseArgs } from 'node:util';
import { IdSchema, RoleSchema, TierSchema, type Role, type Tier } from '../engine/contracts/schemas.js';
import { TokenService, tokenPolicyOf } from './auth.js';
import { loadGatewayConfig } from './config.js';

export const TOKEN_USAGE = `usage: npm run token -- --role admin|marketing|shop|member|visitor [--sub ID] [--ttl SECONDS] [--tier regular|vip|enterprise]
  Prints a bearer token signed with AUTH_SECRET.
  --role   required
  --sub    user id (default: the role name, e.g. "admin"; for a shop backend, the shop's id)
  --ttl    lifetime in seconds (default 3600)
  --tier   member tier carried in the token (optional)`;

export interface TokenCliResult {
  /** 0 on success, 2 on bad arguments or a missing AUTH_SECRET. */
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The `npm run token` command, without process globals so tests can run it. */
export async function tokenCli(argv: string[], env: NodeJS.ProcessEnv): Promise<TokenCliResult> {
  const fail = (message: string): TokenCliResult => ({ exitCode: 2, stdout: '', stderr: `token: ${message}\n${TOKEN_USAGE}\n` });
  let values: { role?: string; sub?: string; ttl?: string; tier?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        role: { type: 'string' },
        sub: { type: 'string' },
        ttl: { type: 'string' },
        tier: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return fail((err as Error).message);
  }
  if (values.help) return { exitCode: 0, stdout: `${TOKEN_USAGE}\n`, stderr: '' };

  const role = RoleSchema.safeParse(values.role);
  if (!role.success) return fail(values.role === undefined ? '--role is required' : `unknown role "${values.role}"`);
  const sub = IdSchema.safeParse(values.sub ?? role.data);
  if (!sub.success) return fail(`bad --sub "${values.sub}": ${sub.error.issues[0]?.message ?? 'invalid'}`);
  const ttl = values.ttl === undefined ? 3600 : Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0) return fail(`--ttl must be a positive whole number of seconds, got "${values.ttl}"`);
  let tier: Tier | undefined;
  if (values.tier !== undefined) {
    const parsed = TierSchema.safeParse(values.tier);
    if (!parsed.success) return fail(`unknown tier "${values.tier}"`);
    tier = parsed.data;
  }
  const secret = env.AUTH_SECRET;
  if (!secret) return fail('AUTH_SECRET is not set: export the same secret the gateway uses');

  const claims: { sub: string; role: Role; tier?: Tier } = { sub: sub.data, role: role.data };
  if (tier) claims.tier = tier;
  // The gateway's own lifetime policy (TOKEN_MAX_TTL_*): a --ttl beyond the role's maximum is refused here, not by every request later.
  let token: string;
  try {
    token = await new TokenService(secret, tokenPolicyOf(loadGatewayConfig(env))).sign(claims, ttl);
  } catch (err) {
    return fail((err as Error).message);
  }
  return { exitCode: 0, stdout: `${token}\n`, stderr: '' };
}
