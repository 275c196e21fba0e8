import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The boundary rules of .dependency-cruiser.cjs (run on the tree by `npm run boundaries` in
 * `npm test`) checked on themselves: a small tree with planted imports, cruised with the same
 * configuration, fails on each wrong import and passes on the allowed ones.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'node_modules', '.bin', 'depcruise');

let dir: string;

async function plant(files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

function cruise(...paths: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    // CI may force colours (FORCE_COLOR): ask for none, and strip any that come anyway.
    const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
    execFile(CLI, [...paths, '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd: dir, env }, (error, stdout, stderr) => {
      const output = stripVTControlCharacters(`${stdout}${stderr}`);
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output });
    });
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pulse-boundaries-'));
  await copyFile(join(ROOT, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
  await writeFile(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', allowImportingTsExtensions: true, noEmit: true },
    }),
  );
  await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  await plant({
    'engine/contracts/wire.ts': 'export const wire = 1;\n',
    'engine/shelf/logic/pure.ts': "import { wire } from '../../contracts/wire.js';\nexport const pure = wire + 1;\n",
    'engine/shelf/adapters/store.ts': 'export const store = 2;\n',
    'engine/shelf/service.ts': "import { store } from './adapters/store.js';\nexport const service = store;\n",
    'engine/shelf/port.ts': 'export interface Port {\n  get(): number;\n}\nexport const PORT_LIMIT = 3;\n',
    'engine/shelf/logic/typed.ts': "import type { Port } from '../port.js';\nexport const typed = (port: Port): number => port.get();\n",
    'engine/shelf/mod.ts': "export { service } from './service.js';\nexport type { Port } from './port.js';\n",
    'scripts/tool.ts':
      "import type { Port } from '../engine/shelf/port.js';\nimport { service } from '../engine/shelf/mod.js';\nexport const tool = (port: Port): number => service + port.get();\n",
    'gateway/good.ts': "import { wire } from '../engine/contracts/wire.js';\nexport const good = wire;\n",
  });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('boundary rules', () => {
  it('pass on a tree that keeps them', async () => {
    const { code, output } = await cruise('engine', 'gateway', 'scripts');
    expect(output).toContain('no dependency violations');
    expect(code).toBe(0);
  });

  it('fail on the gateway importing engine logic', async () => {
    await plant({ 'gateway/bad.ts': "import { pure } from '../engine/shelf/logic/pure.js';\nexport const bad = pure;\n" });
    const { code, output } = await cruise('engine', 'gateway');
    expect(code).not.toBe(0);
    expect(output).toContain('gateway-imports-contracts-only: gateway/bad.ts');
    await rm(join(dir, 'gateway/bad.ts'));
  });

  it('fail on pure logic importing an adapter, and on a cycle', async () => {
    await plant({
      'engine/shelf/logic/impure.ts': "import { store } from '../adapters/store.js';\nexport const impure = store;\n",
      'engine/shelf/logic/ping.ts': "import { pong } from './pong.js';\nexport const ping = (): number => pong();\n",
      'engine/shelf/logic/pong.ts': "import { ping } from './ping.js';\nexport const pong = (): number => ping();\n",
    });
    const { code, output } = await cruise('engine', 'gateway');
    expect(code).not.toBe(0);
    expect(output).toContain('logic-is-pure: engine/shelf/logic/impure.ts');
    expect(output).toContain('no-circular');
    for (const file of ['impure', 'ping', 'pong']) await rm(join(dir, `engine/shelf/logic/${file}.ts`));
  });

  it('fail on a script reaching into a domain past its mod.ts', async () => {
    await plant({ 'scripts/reach.ts': "import { store } from '../engine/shelf/adapters/store.js';\nexport const reach = store;\n" });
    const { code, output } = await cruise('engine', 'gateway', 'scripts');
    expect(code).not.toBe(0);
    expect(output).toContain('tools-through-domain-entries: scripts/reach.ts');
    expect(output).not.toContain('scripts/tool.ts');
    await rm(join(dir, 'scripts/reach.ts'));
  });

  it('fail on pure logic running a service or a port (types of them are allowed)', async () => {
    await plant({
      'engine/shelf/logic/runs.ts': "import { PORT_LIMIT } from '../port.js';\nexport const runs = PORT_LIMIT;\n",
    });
    const { code, output } = await cruise('engine', 'gateway');
    expect(code).not.toBe(0);
    expect(output).toContain('logic-imports-logic: engine/shelf/logic/runs.ts');
    expect(output).not.toContain('engine/shelf/logic/typed.ts');
    await rm(join(dir, 'engine/shelf/logic/runs.ts'));
  });
});
