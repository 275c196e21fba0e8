import { describe, expect, it } from 'vitest';
import { loadEngineConfig } from '../../engine/config.js';
import { ConfigError, configErrorLines, loadAll } from '../../engine/contracts/env.js';
import { loadGatewayConfig } from '../../gateway/config.js';

/** The problems of loading both roles' configuration (as `npm start` does), or [] when it loads. */
function problemsOf(source: NodeJS.ProcessEnv): string[] {
  try {
    loadAll(
      () => loadEngineConfig(source),
      () => loadGatewayConfig(source),
    );
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems;
  }
}

describe('configuration errors, all at once', () => {
  it("names every bad variable of the engine's and the gateway's configuration, one problem each", () => {
    const problems = problemsOf({ PORT: 'abc', RECOMMEND_K: '0', DIVERSITY: '2' });
    expect(problems).toHaveLength(3);
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['DIVERSITY', 'PORT', 'RECOMMEND_K']);
    expect(problems.find((p) => p.startsWith('PORT:'))).toContain('"abc"');
  });

  it('reports a shared variable once although both roles read it', () => {
    expect(problemsOf({ NATS_URL: 'http://x', RECOMMEND_K: '0' })).toEqual([
      expect.stringMatching(/^NATS_URL: /),
      expect.stringMatching(/^RECOMMEND_K: /),
    ]);
  });

  it('starts checks across fields with the variable too, beside the bad values', () => {
    const problems = problemsOf({
      TIER_VIP_POINTS: '500',
      TIER_ENTERPRISE_POINTS: '500',
      REWARDS: '{',
      PORT: '-1',
      MEMBER_TOKEN_TTL_SECONDS: '7200',
      TOKEN_MAX_TTL_MEMBER_SECONDS: '3600',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['MEMBER_TOKEN_TTL_SECONDS', 'PORT', 'REWARDS', 'TIER_ENTERPRISE_POINTS']);
  });

  it('refuses a production gateway without AUTH_SECRET, and only that', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([expect.stringMatching(/^AUTH_SECRET: required when NODE_ENV=production/)]);
    expect(problemsOf({ NODE_ENV: 'production', AUTH_SECRET: 's3cret' })).toEqual([]);
    expect(problemsOf({ NODE_ENV: 'development' })).toEqual([]);
  });

  it('prints one line per problem, prefixed with the command, without line breaks', () => {
    const lines = configErrorLines('pulse', new ConfigError(['PORT: expected an integer', 'REWARDS: bad\n  more']));
    expect(lines).toEqual(['pulse: configuration: PORT: expected an integer', 'pulse: configuration: REWARDS: bad more']);
  });

  it('passes other errors through', () => {
    expect(() =>
      loadAll(
        () => 1,
        () => {
          throw new TypeError('a bug');
        },
      ),
    ).toThrow(TypeError);
    expect(
      loadAll(
        () => 1,
        () => 'two',
      ),
    ).toEqual([1, 'two']);
  });
});
