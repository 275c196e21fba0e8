import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { ValidationFigures } from '../../models/artifact-types.js';
import type { TrainProgress, TrainSummary } from '../../models/train.js';
import { Progress, formatCount, formatElapsed, formatRate } from '../lib/progress.js';
import type { GateReport } from './gate.js';

/** What `npm run train` shows: progress of the training phases and the final summary. */

export interface TrainCliResult {
  version: string;
  /** The model directory; absent when the gate refused the model (nothing written). */
  dir?: string;
  summary: TrainSummary;
  announced: boolean;
  gate: GateReport;
  loadSeconds: number;
  totalSeconds: number;
}

/** Progress of the training phases; the item2vec line carries epoch and loss beside rate and ETA. */
export class TrainReporter {
  private progress: Progress | undefined;
  private done = 0;
  private epochLabel = '';

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly logger: Logger,
    /** Which training this is (`candidate`, `whole log`), shown in the progress line. */
    private readonly label: string,
  ) {}

  update(p: TrainProgress): void {
    if (p.phase === 'sequences') {
      this.logger.info(
        { ...p.stats, items: p.items },
        `${formatCount(p.stats.sessions)} sessions and ${formatCount(p.stats.purchaseHistories)} purchase histories of ${formatCount(p.stats.users)} users over ${formatCount(p.items)} items`,
      );
    } else if (p.phase === 'item2vec') {
      this.epochLabel = `epoch ${p.epoch}/${p.epochs}  loss ${Number.isFinite(p.loss) ? p.loss.toFixed(4) : '-'}`;
      this.progress ??= new Progress({
        label: `train item2vec (${this.label})`,
        unit: 'pairs',
        total: p.totalPairs,
        stream: annotatedStream(this.stream, () => this.epochLabel),
        tty: (this.stream as NodeJS.WriteStream).isTTY === true,
      });
      this.progress.tick(p.pairs - this.done);
      this.done = p.pairs;
    } else if (p.epoch === 1 || p.epoch === p.epochs || p.epoch % 10 === 0) {
      this.finish();
      this.logger.info(
        { epoch: p.epoch, epochs: p.epochs, loss: p.loss },
        `content tower epoch ${p.epoch}/${p.epochs}  loss ${p.loss.toFixed(4)} (1 - cosine)`,
      );
    }
  }

  finish(): void {
    this.progress?.done();
    this.progress = undefined;
  }
}

/** A stream that appends `annotate()` to every line Progress writes (before its end-of-line or clear-to-EOL). */
function annotatedStream(target: NodeJS.WritableStream, annotate: () => string): Writable {
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      const text = String(chunk);
      const note = `  ${annotate()}`;
      target.write(
        text.endsWith('\x1b[K')
          ? `${text.slice(0, -3)}${note}\x1b[K`
          : text.endsWith('\n') && text.trim() !== ''
            ? `${text.slice(0, -1)}${note}\n`
            : text,
      );
      callback();
    },
  });
}

export function formatTrainSummary(result: TrainCliResult, events: { file?: string }): string {
  const s = result.summary;
  const lines = [
    `model ${result.version}${result.dir === undefined ? ' (refused: not written)' : ''}`,
    `  events     ${formatCount(s.usedEvents)} used of ${formatCount(s.events)}${events.file ? ` (${events.file})` : ' (EVENTS stream)'}`,
    `  sequences  ${formatCount(s.sequences)}`,
    `  items      ${formatCount(s.items)} learned${s.towerItems > 0 ? `, content tower trained on ${formatCount(s.towerItems)}` : ', no content tower (no item attributes)'}`,
    `  epochs     ${s.epochs}  (${formatCount(s.pairs)} pairs, final loss ${s.finalLoss.toFixed(4)})`,
    `  backend    ${s.backend}, ${s.engine === 'typed' ? 'typed-array SGD step' : 'TF.js gradient step'}  ${formatRate(s.pairsPerSecond, 'pairs')}`,
    `  time       ${formatElapsed(result.totalSeconds)} in all: load ${formatElapsed(result.loadSeconds)}, item2vec ${formatElapsed(s.item2vecSeconds)}${s.towerItems > 0 ? `, tower ${formatElapsed(s.towerSeconds)}` : ''}, validation ${formatElapsed(result.gate.evaluationSeconds)}`,
    `  output     ${result.dir ?? 'none'}`,
    `  announced  ${result.announced ? 'yes, on pulse.model.published' : 'no'}`,
  ];
  return [...lines, '', formatValidation(result.version, result.gate)].join('\n');
}

/**
 * Both models' held-out figures and the decision:
 *
 *   validation  next item after 1,234 held-out session prefixes (newest 10% of sessions, from 2025-03-01T10:00:00.000Z)
 *     model                               HR@20   MRR@20  unknown targets
 *     new      20250301T101500Z-1a2b3c   0.4120   0.1530               12
 *     serving  attributes-v1             0.1010   0.0400                0
 *   swap: new HR@20 0.4120 >= serving 0.1010 - tolerance 0.01
 */
export function formatValidation(version: string, gate: GateReport): string {
  const v = gate.validation;
  const row = (role: string, name: string, f: ValidationFigures) =>
    `  ${role.padEnd(8)} ${name.padEnd(26)} ${f.hitRate.toFixed(4).padStart(7)}  ${f.mrr.toFixed(4).padStart(7)}  ${formatCount(f.unknownTargets).padStart(15)}`;
  return [
    `validation  next item after ${formatCount(v.cases)} held-out session prefixes (${formatCount(v.heldOutSessions)} sessions from ${new Date(v.heldOutFrom).toISOString()}: ${gate.heldOutBoundBy === 'share' ? `the newest ${Math.round(v.holdoutShare * 100)}%` : "all after the serving model's training data"})`,
    `  ${'model'.padEnd(35)} ${`HR@${v.k}`.padStart(7)}  ${`MRR@${v.k}`.padStart(7)}  ${'unknown targets'.padStart(15)}`,
    row('new', version, v),
    row('serving', v.serving.version, v.serving),
    `${gate.publish ? (v.forced ? 'forced swap' : 'swap') : 'refused'}: ${gate.reason}`,
  ].join('\n');
}
