/**
 * Where the commands that read the public data sets (the evaluation, the Online Retail conversion
 * and checks) look when not told: `<DATA_DIR>/datasets/` (DATA_DIR defaults to ./data, like every
 * other local file of Pulse). Pulse ships no third-party data: docs/datasets.md says where to
 * download each set and where to put it.
 */
import { join, resolve } from 'node:path';
import { UsageError } from './args.js';

/** `<DATA_DIR>/datasets`, absolute. */
export function datasetsDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.DATA_DIR || './data', 'datasets');
}

/** The default place of the UCI Online Retail CSV. */
export function onlineRetailCsv(env: NodeJS.ProcessEnv = process.env): string {
  return join(datasetsDir(env), 'online-retail', 'online_retail.csv.gz');
}

/** A usage error for a data set that is not where it was looked for: where, how to get it, and the flag that names another place. */
export function missingDataset(path: string, flag: string): UsageError {
  return new UsageError(
    `no such file: ${path} (the public data sets are downloaded separately, see docs/datasets.md; put them under ${datasetsDir()} or name the place with ${flag})`,
  );
}
