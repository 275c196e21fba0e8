import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { env } from '../../engine/contracts/env.js';
import { CONFIG_DOC_PATH, configNotes, configTable, renderConfigDocs } from '../../scripts/docs-config.js';

/**
 * docs/configuration.md is generated from the config spec (`npm run docs:config`): a variable
 * added, renamed, re-described or given another default without running the command fails here.
 */
describe('docs: configuration.md from the config spec', () => {
  it('equals what `npm run docs:config` generates now', () => {
    const onDisk = readFileSync(CONFIG_DOC_PATH, 'utf8');
    // On a difference, run `npm run docs:config` and commit docs/configuration.md.
    expect(onDisk).toBe(renderConfigDocs());
  });

  it('lists every variable of every role once per table, with its default and description', () => {
    const page = renderConfigDocs();
    for (const name of ['NATS_URL', 'AUTH_SECRET', 'PORT', 'TRUST_PROXY_HOPS', 'ENGINE_PORT', 'REWARDS', 'PASSWORD_WORKERS']) {
      expect(page.match(new RegExp(`^\\| \`${name}\` \\|`, 'gm'))?.length, name).toBe(1);
    }
    expect(page).toContain('| `PORT` | `8080` | 0..65535 | HTTP and Socket.IO port. |');
  });

  it('renders defaults and ranges and escapes table cells', () => {
    const table = configTable([
      env.int('A_INT', 5, 'an int'),
      env.optionalString('B_OPT', 'a | pipe'),
      env.bool('C_BOOL', false, 'multi\n  line'),
      env.string('D_EMPTY', '', 'empty'),
      env.int('E_INT', 10, 'bounded', 1, 100),
      env.number('F_NUM', 0.2, 'share', 0, 1),
    ]);
    expect(table.split('\n').slice(2)).toEqual([
      '| `A_INT` | `5` | ≥ 0 | an int |',
      '| `B_OPT` | (unset) |  | a \\| pipe |',
      '| `C_BOOL` | `false` |  | multi line |',
      '| `D_EMPTY` | (empty) |  | empty |',
      '| `E_INT` | `10` | 1..100 | bounded |',
      '| `F_NUM` | `0.2` | 0..1 | share |',
    ]);
  });

  it('lists notes in the order of the fields, and refuses a note on a variable the spec lacks', () => {
    const fields = [env.int('B', 1, 'b'), env.int('A', 1, 'a')];
    expect(configNotes(fields, { A: 'about a', B: 'about b' })).toBe('- `B`: about b\n- `A`: about a');
    const shared = { a: env.int('A', 1, 'a') };
    expect(() => renderConfigDocs({ shared, gateway: shared, engine: shared })).toThrow(/not in the spec/);
  });
});
