import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../scripts/lib/args.js';
import { datasetsDir, missingDataset, onlineRetailCsv } from '../../scripts/lib/datasets.js';
import { parseEvalArgs } from '../../scripts/eval.js';

describe('where the data set commands look by default', () => {
  it('is DATA_DIR/datasets, inside the clone unless DATA_DIR says otherwise', () => {
    expect(datasetsDir({})).toBe(resolve('data', 'datasets'));
    expect(datasetsDir({ DATA_DIR: '/srv/pulse' })).toBe('/srv/pulse/datasets');
    expect(onlineRetailCsv({ DATA_DIR: '/srv/pulse' })).toBe('/srv/pulse/datasets/online-retail/online_retail.csv.gz');
  });

  it('eval reads DATA_DIR/datasets unless --data names another place', () => {
    expect(parseEvalArgs([], '/srv/pulse').dataDir).toBe(join('/srv/pulse', 'datasets'));
    expect(parseEvalArgs(['--data', '/mnt/sets'], '/srv/pulse').dataDir).toBe('/mnt/sets');
  });

  it('a missing file is a usage error naming where it looked, the docs and the flag', () => {
    const error = missingDataset('/srv/pulse/datasets/online-retail/online_retail.csv.gz', '--input FILE');
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toContain('/srv/pulse/datasets/online-retail/online_retail.csv.gz');
    expect(error.message).toContain('docs/datasets.md');
    expect(error.message).toContain('--input FILE');
    expect(error.message).not.toContain('../shared');
  });
});
