/**
 * `npm run reset -- [--yes] [--catalog-only] [--models] [--force]`: drops Pulse's state.
 *
 * Without `--yes` it prints what it would delete (the JetStream streams EVENTS, CATALOG and
 * DEADLETTERS with their message counts, Pulse's Redis keys by family, the models directory with
 * `--models`) and exits 2. With `--yes` it purges those streams, deletes Pulse's Redis keys (SCAN +
 * UNLINK in batches; other keys of a shared Redis are kept, never FLUSHALL) and, with `--models`,
 * removes DATA_DIR/models. `--catalog-only` purges the CATALOG stream alone. While engines are alive
 * (a heartbeat in Redis) it refuses unless `--force`. Exit 0 done, 1 refused or failed, 2 not
 * confirmed or a bad command line. docs/operations.md "Reset".
 */
import { resolve } from 'node:path';
import { loadConfig } from '../engine/contracts/env.js';
import { sharedConfigSpec } from '../engine/contracts/shared-config.js';
import { CATALOG_STREAM, DEADLETTERS_STREAM, EVENTS_STREAM } from '../engine/contracts/subjects.js';
import { redactUrl } from '../engine/platform/mod.js';
import { parseCommandLine, runMain } from './lib/args.js';
import { loadConfigOrExit } from './lib/startup.js';
import type { KeyTally } from './reset/keys.js';
import { connectRedisState, connectStreams, modelEntries, removeModels, type RedisState, type Streams } from './reset/targets.js';

const USAGE = `usage: npm run reset -- [--yes] [--catalog-only] [--models] [--force]

  (no --yes)      print what would be deleted, delete nothing, exit 2
  --yes           purge the streams ${EVENTS_STREAM}, ${CATALOG_STREAM}, ${DEADLETTERS_STREAM} and delete Pulse's Redis keys
  --catalog-only  purge the ${CATALOG_STREAM} stream only (Redis is left as it is)
  --models        also remove DATA_DIR/models (the trained models)
  --force         go on while engines are alive (stop them first instead)

An engine that starts on an empty catalog loads the demo catalog unless DEMO_CATALOG=false.`;

/** A progress line while deleting keys every this many. */
const PROGRESS_EVERY = 10_000;

const say = (line: string) => process.stdout.write(`reset: ${line}\n`);
const count = (n: number) => n.toLocaleString('en-US');
const messages = (n: number) => `${count(n)} message${n === 1 ? '' : 's'}`;
const entries = (n: number) => `${count(n)} ${n === 1 ? 'entry' : 'entries'}`;
const keysLine = (tally: KeyTally) =>
  `${count(tally.pulse)} Redis keys of Pulse${tally.pulse > 0 ? ` (${tally.summary()})` : ''}, ${count(tally.scanned - tally.pulse)} other keys kept`;

async function main(): Promise<number> {
  const options = parseCommandLine(process.argv.slice(2), {
    yes: { type: 'boolean', default: false },
    'catalog-only': { type: 'boolean', default: false },
    models: { type: 'boolean', default: false },
    force: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadConfigOrExit('reset', () => loadConfig(sharedConfigSpec));
  const catalogOnly = options['catalog-only'];
  const streams = catalogOnly ? [CATALOG_STREAM] : [EVENTS_STREAM, CATALOG_STREAM, DEADLETTERS_STREAM];
  const modelsDir = options.models ? resolve(config.dataDir, 'models') : undefined;

  let nats: Streams | undefined;
  let redis: RedisState | undefined;
  try {
    nats = await connectStreams(config.natsUrl);
    redis = await connectRedisState(config.redisUrl);
    say(`NATS ${redactUrl(config.natsUrl)}, Redis ${redactUrl(config.redisUrl)}`);
    const engines = await redis.liveEngines();
    say(`engines alive (holding partition leases): ${engines.length === 0 ? 'none' : `${engines.length} (${engines.join(', ')})`}`);

    if (!options.yes) {
      for (const name of streams) {
        const inStream = await nats.count(name);
        say(`would purge stream ${name}: ${inStream === undefined ? 'absent' : messages(inStream)}`);
      }
      if (!catalogOnly) say(`would delete ${keysLine((await redis.sweep({ remove: false })).tally)}`);
      if (modelsDir) {
        const inDir = await modelEntries(modelsDir);
        say(`would remove the models directory ${modelsDir}: ${inDir === undefined ? 'absent' : entries(inDir)}`);
      }
      if (engines.length > 0) say('engines are alive: stop every engine and gateway first (or add --force)');
      say('nothing deleted: run again with --yes to delete the above');
      return 2;
    }

    if (engines.length > 0 && !options.force) {
      process.stderr.write(
        `reset: refusing: ${engines.length} engine(s) alive (${engines.join(', ')}): engines must be stopped first (after a crash their heartbeat lapses within PARTITION_LEASE_MS), or add --force\n`,
      );
      return 1;
    }
    for (const name of streams) {
      const before = await nats.count(name);
      if (before === undefined) {
        say(`stream ${name}: absent, nothing to purge`);
        continue;
      }
      say(`purged stream ${name}: ${messages(await nats.purge(name))}`);
    }
    if (!catalogOnly) {
      let reported = 0;
      const { tally, deleted } = await redis.sweep({
        remove: true,
        onBatch: (_tally, deletedSoFar) => {
          if (deletedSoFar - reported < PROGRESS_EVERY) return;
          reported = deletedSoFar;
          say(`deleting Redis keys: ${count(deletedSoFar)} so far`);
        },
      });
      say(`deleted ${count(deleted)} of ${keysLine(tally)}`);
    }
    if (modelsDir) {
      const inDir = await modelEntries(modelsDir);
      if (inDir === undefined) say(`models directory ${modelsDir}: absent`);
      else {
        await removeModels(modelsDir);
        say(`removed the models directory ${modelsDir} (${entries(inDir)})`);
      }
    }
    say(
      `done. The catalog is empty: an engine started with DEMO_CATALOG on (the default) loads the demo catalog again; start it with DEMO_CATALOG=false to keep the catalog empty`,
    );
    return 0;
  } catch (err) {
    // Unreachable servers, a refused command: one line, no stack (DEBUG=1 adds it).
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`reset: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    if (process.env.DEBUG && err instanceof Error) process.stderr.write(`${err.stack ?? ''}\n`);
    return 1;
  } finally {
    await nats?.close();
    await redis?.close();
  }
}

runMain(main, USAGE);
