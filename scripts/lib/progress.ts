/**
 * Progress lines for long command-line work (import, convert, train, eval, bench).
 *
 *   import events  120,000/541,909  22.1%  18,340 events/s  ETA 23s
 *
 * At most one line per interval. On a TTY the line is rewritten in place (`\r`, clear to end of
 * line); anywhere else (a log file, CI) each report is its own line. The rate is measured over a
 * sliding window (the last few intervals), so it follows slow-downs instead of averaging them
 * away; the ETA needs either a known `total` or a `fraction` callback (e.g. bytes read / file size).
 */

export interface ProgressOptions {
  /** Start of every line, e.g. `import events`. */
  label: string;
  /** Expected number of units, when known: enables `done/total`, the percentage and the ETA. */
  total?: number;
  /** Plural name of what is counted, shown in the rate (`events/s`). Default `items`. */
  unit?: string;
  /** Where lines go. Default process.stderr, so stdout stays clean for results. */
  stream?: NodeJS.WritableStream;
  /** Smallest time between two lines (ms). Default 1000. */
  intervalMs?: number;
  /** Width of the rate's sliding window (ms). Default 5 intervals. */
  windowMs?: number;
  /** Clock in ms (monotonic is best). Default performance.now. Injected by tests. */
  now?: () => number;
  /**
   * Completion in [0, 1] when `total` is unknown but progress is measurable some other way
   * (bytes read of a file of known size). Read at most once per interval.
   */
  fraction?: () => number | undefined;
  /** Force TTY (rewrite) or plain lines. Default: the stream's `isTTY`. */
  tty?: boolean;
}

interface Sample {
  /** ms, from `now()`. */
  t: number;
  count: number;
  fraction: number | undefined;
}

const countFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** `1234567` -> `1,234,567` (rounded to a whole number). */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '?';
  return countFormat.format(Math.round(n));
}

/** Units per second: whole numbers from 10 up, one decimal below, `?` when unknown. */
export function formatRate(perSecond: number, unit: string): string {
  if (!Number.isFinite(perSecond) || perSecond < 0) return `? ${unit}/s`;
  const value = perSecond >= 10 || perSecond === 0 ? formatCount(perSecond) : perSecond.toFixed(1);
  return `${value} ${unit}/s`;
}

/**
 * A duration in seconds as `45s`, `4m05s`, `2h03m`, `3d04h`; `?` when unknown or negative.
 * Used for ETAs and elapsed times.
 */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d${pad(Math.floor((s % 86_400) / 3600))}h`;
}

/** Elapsed time with sub-second precision for short runs: `0.84s`, `12.3s`, then as formatEta. */
export function formatElapsed(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 10) return `${seconds.toFixed(2)}s`;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  return formatEta(seconds);
}

/** `0.2214` -> `22.1%`, clamped to [0, 100]. */
export function formatPercent(fraction: number): string {
  return `${(Math.min(1, Math.max(0, fraction)) * 100).toFixed(1)}%`;
}

export class Progress {
  private readonly label: string;
  private readonly total: number | undefined;
  private readonly unit: string;
  private readonly stream: NodeJS.WritableStream;
  private readonly intervalMs: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly fraction: (() => number | undefined) | undefined;
  private readonly tty: boolean;
  private readonly startedAt: number;
  /** Oldest first; the first one is the start, trimmed to the window as new ones arrive. */
  private readonly samples: Sample[] = [];
  private nextReportAt: number;
  private count = 0;
  private summary: string | undefined;
  /** A TTY line is on screen and not yet ended with a newline. */
  private lineOpen = false;

  constructor(options: ProgressOptions) {
    if (options.total !== undefined && !(Number.isFinite(options.total) && options.total >= 0)) {
      throw new RangeError(`Progress total must be a finite number >= 0, got ${options.total}`);
    }
    this.label = options.label;
    this.total = options.total;
    this.unit = options.unit ?? 'items';
    this.stream = options.stream ?? process.stderr;
    this.intervalMs = Math.max(0, options.intervalMs ?? 1000);
    this.windowMs = Math.max(this.intervalMs, options.windowMs ?? this.intervalMs * 5);
    this.now = options.now ?? (() => performance.now());
    this.fraction = options.fraction;
    this.tty = options.tty ?? (this.stream as NodeJS.WriteStream).isTTY === true;
    this.startedAt = this.now();
    this.samples.push({ t: this.startedAt, count: 0, fraction: 0 });
    this.nextReportAt = this.startedAt + this.intervalMs;
  }

  /** Units counted so far. */
  get completed(): number {
    return this.count;
  }

  /** Counts `n` more units done; prints a line when an interval has passed. Cheap enough per unit. */
  tick(n = 1): void {
    if (this.summary !== undefined) return;
    this.count += n;
    const t = this.now();
    if (t < this.nextReportAt) return;
    this.nextReportAt = t + this.intervalMs;
    this.samples.push({ t, count: this.count, fraction: this.currentFraction() });
    while (this.samples.length > 2 && t - this.samples[1]!.t >= this.windowMs) this.samples.shift();
    this.write(this.line());
  }

  /** The current report line, without printing it. */
  line(): string {
    const last = this.samples[this.samples.length - 1]!;
    const first = this.samples[0]!;
    const seconds = (last.t - first.t) / 1000;
    const rate = seconds > 0 ? (last.count - first.count) / seconds : Number.NaN;
    const parts = [this.label];
    parts.push(this.total !== undefined ? `${formatCount(last.count)}/${formatCount(this.total)}` : formatCount(last.count));
    const fraction = this.total !== undefined ? (this.total > 0 ? last.count / this.total : 1) : last.fraction;
    if (fraction !== undefined) parts.push(formatPercent(fraction));
    parts.push(formatRate(rate, this.unit));
    if (fraction !== undefined) {
      // ETA from the windowed speed of the fraction itself, which also works for bytes read.
      const firstFraction = this.total !== undefined ? (this.total > 0 ? first.count / this.total : 1) : first.fraction;
      const speed = firstFraction !== undefined && seconds > 0 ? (fraction - firstFraction) / seconds : 0;
      parts.push(`ETA ${fraction >= 1 ? '0s' : speed > 0 ? formatEta((1 - fraction) / speed) : '?'}`);
    }
    return parts.join('  ');
  }

  /**
   * Ends the report: prints and returns the summary line (`import events  541,909 events in
   * 29.5s  18,370 events/s`, average over the whole run). Idempotent: later calls return the
   * same line without printing it again.
   */
  done(): string {
    if (this.summary !== undefined) return this.summary;
    const seconds = (this.now() - this.startedAt) / 1000;
    const rate = seconds > 0 ? this.count / seconds : Number.NaN;
    this.summary = `${this.label}  ${formatCount(this.count)} ${this.unit} in ${formatElapsed(seconds)}  ${formatRate(rate, this.unit)}`;
    this.write(this.summary);
    if (this.lineOpen) this.stream.write('\n');
    this.lineOpen = false;
    return this.summary;
  }

  private currentFraction(): number | undefined {
    if (!this.fraction) return undefined;
    const value = this.fraction();
    return value === undefined || !Number.isFinite(value) ? undefined : Math.min(1, Math.max(0, value));
  }

  private write(text: string): void {
    if (this.tty) {
      this.stream.write(`\r${text}\x1b[K`);
      this.lineOpen = true;
    } else {
      this.stream.write(`${text}\n`);
    }
  }
}
