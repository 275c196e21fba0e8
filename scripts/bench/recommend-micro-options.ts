/** The command line of recommend-micro.ts: its usage and options. */
import { UsageError, intOption, parseCommandLine } from '../lib/args.js';

export const USAGE = `usage: npx tsx scripts/bench/recommend-micro.ts [options]
  --items LIST     catalog sizes, comma-separated (default 3000,50000)
  --users N        shoppers (default 300)
  --lists N        timed lists per catalog size (default 3000)
  --warmup N       untimed lists first (default 300)
  --index NAME     hnsw (default, as the engine) or exact
  --fresh          every cache off (popularity, stats lists, neighbours): lists comparable across builds
  --dump FILE      write every timed list as one JSON line (FILE.<items>)
  --seed N         random seed (default 1)
  --diversity D    the lists' diversity (0-1; default: the engine's DIVERSITY); the output adds the lists'
                   mean pairwise cosine (item vectors), e.g. to compare --diversity 0, 0.2 and 0.5`;

export interface Options {
  sizes: number[];
  users: number;
  lists: number;
  warmup: number;
  index: 'hnsw' | 'exact';
  fresh: boolean;
  dump: string | undefined;
  seed: number;
  /** The request's diversity; undefined: the engine's default. */
  diversity: number | undefined;
}

export function parseMicroArgs(argv: string[]): Options {
  const v = parseCommandLine(argv, {
    items: { type: 'string' },
    users: { type: 'string' },
    lists: { type: 'string' },
    warmup: { type: 'string' },
    index: { type: 'string' },
    fresh: { type: 'boolean' },
    dump: { type: 'string' },
    seed: { type: 'string' },
    diversity: { type: 'string' },
  });
  const sizes = (v.items ?? '3000,50000').split(',').map((raw) => intOption('items', raw.trim(), 0, 10, 1_000_000));
  const index = v.index ?? 'hnsw';
  if (index !== 'hnsw' && index !== 'exact') throw new UsageError('--index must be hnsw or exact');
  return {
    sizes,
    users: intOption('users', v.users, 300, 1, 100_000),
    lists: intOption('lists', v.lists, 3000, 1, 10_000_000),
    warmup: intOption('warmup', v.warmup, 300, 0, 1_000_000),
    index,
    fresh: v.fresh === true,
    dump: v.dump,
    seed: intOption('seed', v.seed, 1, 0, 2 ** 31),
    diversity: diversityOption(v.diversity),
  };
}

function diversityOption(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!(value >= 0 && value <= 1)) throw new UsageError(`--diversity must be a number in [0, 1], got "${raw}"`);
  return value;
}
