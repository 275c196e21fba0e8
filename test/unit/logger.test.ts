import { describe, expect, it } from 'vitest';
import { prettyTarget } from '../../scripts/lib/logger.js';

/** Issue 16: pretty logs only on a terminal where pino-pretty (a dev dependency) is installed; JSON lines otherwise. */
describe('createLogger: pretty or JSON', () => {
  const installed = () => '/node_modules/pino-pretty/index.js';
  const missing = () => undefined;

  it('prints through pino-pretty on a terminal when it is installed', () => {
    expect(prettyTarget(true, undefined, installed)).toBe('/node_modules/pino-pretty/index.js');
    // This checkout is a development install: the real lookup finds it.
    expect(prettyTarget(true, undefined)).toMatch(/pino-pretty/);
  });

  it('writes JSON lines in a production install, off a terminal, or with LOG_FORMAT=json', () => {
    expect(prettyTarget(true, undefined, missing)).toBeUndefined();
    expect(prettyTarget(false, undefined, installed)).toBeUndefined();
    expect(prettyTarget(undefined, undefined, installed)).toBeUndefined();
    expect(prettyTarget(true, 'json', installed)).toBeUndefined();
  });
});
