/**
 * Typed, frozen configuration from environment variables. Each field names its variable, its
 * default and its unit; every bad value is reported at once, at start-up, in one error.
 */
export interface EnvField<T> {
  env: string;
  /** Default when the variable is unset or empty. `undefined` means "no default" (optional field). */
  default: T;
  doc: string;
  parse: (raw: string) => T;
}

/** Every problem of a configuration, each `VARIABLE: what is wrong` (one line each). */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

/**
 * Runs every loader, so that the problems of all of them are reported at once (`npm start` reads
 * the engine's and the gateway's variables): returns their results, or throws one ConfigError
 * with each distinct problem once (shared variables are read by both). Other errors pass through.
 */
export function loadAll<T extends unknown[]>(...loaders: { [K in keyof T]: () => T[K] }): T {
  const problems: string[] = [];
  const results: unknown[] = [];
  for (const load of loaders) {
    try {
      results.push(load());
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const problem of err.problems) if (!problems.includes(problem)) problems.push(problem);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return results as T;
}

/** The lines a command prints for a ConfigError: `<name>: configuration: VARIABLE: what is wrong`. */
export function configErrorLines(name: string, err: ConfigError): string[] {
  return err.problems.map((problem) => `${name}: configuration: ${problem.replace(/\s*\n\s*/g, ' ')}`);
}

export const env = {
  string(envName: string, def: string, doc: string): EnvField<string> {
    return { env: envName, default: def, doc, parse: (raw) => raw };
  },
  optionalString(envName: string, doc: string): EnvField<string | undefined> {
    return { env: envName, default: undefined, doc, parse: (raw) => raw };
  },
  int(envName: string, def: number, doc: string, min = 0, max = Number.MAX_SAFE_INTEGER): EnvField<number> {
    return {
      env: envName,
      default: def,
      doc,
      parse: (raw) => {
        const value = Number(raw);
        if (!Number.isInteger(value) || value < min || value > max)
          throw new Error(`expected an integer in [${min}, ${max}], got "${raw}"`);
        return value;
      },
    };
  },
  number(envName: string, def: number, doc: string, min = -Infinity, max = Infinity): EnvField<number> {
    return {
      env: envName,
      default: def,
      doc,
      parse: (raw) => {
        const value = Number(raw);
        if (!Number.isFinite(value) || value < min || value > max) throw new Error(`expected a number in [${min}, ${max}], got "${raw}"`);
        return value;
      },
    };
  },
  bool(envName: string, def: boolean, doc: string): EnvField<boolean> {
    return {
      env: envName,
      default: def,
      doc,
      parse: (raw) => {
        if (/^(1|true|yes|on)$/i.test(raw)) return true;
        if (/^(0|false|no|off)$/i.test(raw)) return false;
        throw new Error(`expected true or false, got "${raw}"`);
      },
    };
  },
  url(envName: string, def: string, doc: string, protocols: string[]): EnvField<string> {
    return {
      env: envName,
      default: def,
      doc,
      parse: (raw) => {
        let url: URL;
        try {
          url = new URL(raw);
        } catch {
          throw new Error(`not a URL: "${raw}"`);
        }
        if (!protocols.includes(url.protocol)) throw new Error(`expected ${protocols.join(' or ')} URL, got "${raw}"`);
        return raw;
      },
    };
  },
};

type Spec = Record<string, EnvField<unknown>>;
export type ConfigOf<S extends Spec> = { readonly [K in keyof S]: S[K] extends EnvField<infer T> ? T : never } & {
  /** Variables that were set explicitly (not defaulted). */
  readonly explicit: ReadonlySet<string>;
};

export function loadConfig<S extends Spec>(spec: S, source: NodeJS.ProcessEnv = process.env): ConfigOf<S> {
  const { config, problems } = parseConfig(spec, source);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * The configuration with its problems (`VARIABLE: what is wrong` each), not thrown: a field whose
 * value is bad holds its default, so checks across fields can still run and report theirs.
 */
export function parseConfig<S extends Spec>(spec: S, source: NodeJS.ProcessEnv = process.env): { config: ConfigOf<S>; problems: string[] } {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  const explicit = new Set<string>();
  for (const [key, field] of Object.entries(spec)) {
    const raw = source[field.env];
    if (raw === undefined || raw === '') {
      out[key] = field.default;
      continue;
    }
    explicit.add(field.env);
    try {
      out[key] = field.parse(raw);
    } catch (err) {
      problems.push(`${field.env}: ${(err as Error).message}`);
      out[key] = field.default;
    }
  }
  out.explicit = explicit;
  return { config: Object.freeze(out) as ConfigOf<S>, problems };
}

/** Markdown table rows of a spec, for the README. */
export function describeConfig(spec: Spec): string {
  return Object.values(spec)
    .map((f) => `| \`${f.env}\` | ${f.default === undefined ? '(unset)' : `\`${String(f.default)}\``} | ${f.doc} |`)
    .join('\n');
}
