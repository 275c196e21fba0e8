import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { backendMessage, initTensorFlow, nodeLoadFailure } from '../../models/backend.js';

const notFound = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('TensorFlow.js backend: the start-up line says which backend runs and why', () => {
  it('names the native backend, or the fallback with why each faster one was skipped', () => {
    expect(backendMessage('tensorflow', [])).toBe('TensorFlow.js backend: tensorflow (native TensorFlow through tfjs-node)');
    expect(backendMessage('wasm', [{ backend: 'tensorflow', reason: 'not installed: npm skips …' }])).toBe(
      'TensorFlow.js backend: wasm (tfjs-node not installed: npm skips …)',
    );
    expect(
      backendMessage('cpu', [
        { backend: 'tensorflow', reason: 'excluded' },
        { backend: 'wasm', reason: 'failed to load: no wasm' },
      ]),
    ).toBe('TensorFlow.js backend: cpu (tfjs-node excluded; wasm failed to load: no wasm)');
  });

  it('tells a missing tfjs-node from one that is installed but broken', () => {
    const missing = notFound("Cannot find package '@tensorflow/tfjs-node' imported from /app/models/backend.js", 'ERR_MODULE_NOT_FOUND');
    expect(nodeLoadFailure(missing)).toMatch(/^not installed: npm skips this optional dependency/);
    const binding = notFound(
      "Cannot find module '/app/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node'\nRequire stack:\n- x",
      'MODULE_NOT_FOUND',
    );
    expect(nodeLoadFailure(binding)).toBe(
      "installed but failed to load: Cannot find module '/app/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node'",
    );
    const dependency = notFound(
      "Cannot find package 'adm-zip' imported from /app/node_modules/@tensorflow/tfjs-node/dist/index.js",
      'ERR_MODULE_NOT_FOUND',
    );
    expect(nodeLoadFailure(dependency)).toMatch(/^installed but failed to load: Cannot find package 'adm-zip'/);
  });

  it('logs exactly one line when TF.js loads, naming the backend that runs', async () => {
    const lines: { fields: Record<string, unknown>; message: string }[] = [];
    const logger = { info: (fields: Record<string, unknown>, message: string) => lines.push({ fields, message }) } as unknown as Logger;
    const { backend } = await initTensorFlow(logger);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.fields.backend).toBe(backend);
    expect(lines[0]!.message.startsWith(`TensorFlow.js backend: ${backend} (`)).toBe(true);
    // Where tfjs-node is not installed (as on the development machine), the line says so.
    if (!existsSync(new URL('../../node_modules/@tensorflow/tfjs-node/package.json', import.meta.url))) {
      expect(lines[0]!.message).toContain(`TensorFlow.js backend: ${backend} (tfjs-node not installed: npm skips`);
    } else if (backend !== 'tensorflow') {
      expect(lines[0]!.message).toMatch(/\(tfjs-node (installed but failed to load: |loaded, )/);
    }
  });
});
