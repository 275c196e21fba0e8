import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runImport, type ImportSummary } from '../../scripts/import.js';
import { ImportClient } from '../../scripts/lib/import-client.js';
import type { ImportKind } from '../../scripts/lib/import-lines.js';
import { OrderImportClient } from '../../scripts/lib/order-import.js';

/**
 * Imports one of the Online Retail converter's files (`outDir/file`) into a running Pulse as
 * `npm run import` would, in small batches over 4 lanes so one customer's lines span several
 * requests in flight (orders through the order client, one request each).
 */
export function importConverted(baseUrl: string, token: string, outDir: string, kind: ImportKind, file: string): Promise<ImportSummary> {
  return runImport({
    path: join(outDir, file),
    kind,
    client: kind === 'orders' ? new OrderImportClient({ url: baseUrl, token }) : new ImportClient({ url: baseUrl, token, kind }),
    batchSize: 2,
    concurrency: 4,
    progressStream: new PassThrough().resume(),
  });
}
