/**
 * The rate search of one phase on a running engine and gateway: measured steps chosen by
 * rate-search.ts until it is done, its step budget is spent or the phase's time budget would be
 * exceeded; between steps, a bounded wait until the consumers have caught up, so a failed step's
 * queue does not spill into the next one.
 */
import { resultCosts, type CpuCost } from './cpu.js';
import { waitForIdle, type Phase, type PhaseContext, type RunningPhase } from './phase.js';
import { judgeStep, nextRate, socketsFor, sustainedRate, type SearchOptions, type StepCriteria, type StepVerdict } from './rate-search.js';
import type { LoadResult } from './report.js';

export interface StepSettings {
  warmupS: number;
  durationS: number;
  /** Fewest sockets of a step; more when the rate needs them. */
  minSockets: number;
  /** The gateway's per-socket limit (events/s). */
  perSocketLimit: number;
  /** Longest wait for the consumers to catch up before a step (ms). */
  idleTimeoutMs: number;
}

export interface MeasuredStep {
  phase: Phase;
  /** `search` steps choose the sustained rate; `half-floor` is the comparison at half the floor's. */
  purpose: 'search' | 'half-floor' | 'fixed';
  rate: number;
  sockets: number;
  verdict: StepVerdict;
  /** CPU per accepted event of each process in the measured window. */
  costs: CpuCost[] | undefined;
  /** Events the consumers had not yet acked when the step began (0 = a clean start). */
  outstandingAtStart: number;
  /** Wall time of the step, setup and drain included (s). */
  wallS: number;
  result: LoadResult;
}

export interface PhaseSearch {
  phase: Phase;
  steps: MeasuredStep[];
  /** Highest passing rate (events/s), or null when none passed. */
  sustained: number | null;
  stoppedBy: 'done' | 'time budget' | 'step limit';
  wallS: number;
}

/** Runs one step at `rate` and judges it. */
export async function measureStep(
  running: RunningPhase,
  ctx: PhaseContext,
  settings: StepSettings,
  criteria: StepCriteria,
  rate: number,
  purpose: MeasuredStep['purpose'],
  sockets?: number,
): Promise<MeasuredStep> {
  const started = performance.now();
  const outstandingAtStart = await waitForIdle(ctx, settings.idleTimeoutMs);
  if (outstandingAtStart > 0)
    ctx.say(`${running.phase}: ${outstandingAtStart} events still outstanding after ${settings.idleTimeoutMs / 1000} s; measuring anyway`);
  const socketCount = sockets ?? socketsFor(rate, settings.minSockets, settings.perSocketLimit);
  const result = await running.step({
    rate,
    sockets: socketCount,
    warmupS: settings.warmupS,
    durationS: settings.durationS,
    label: `${running.phase} ${rate}/s`,
  });
  const verdict = judgeStep(result, criteria);
  const wallS = (performance.now() - started) / 1000;
  const p99 = verdict.p99Ms === null ? '-' : `${verdict.p99Ms.toFixed(1)} ms`;
  const answered = verdict.answeredShare === null ? '-' : `${(verdict.answeredShare * 100).toFixed(2)}%`;
  ctx.say(
    `${running.phase} ${rate}/s (${socketCount} sockets): p99 ${p99}, answered ${answered} -> ${verdict.pass ? 'pass' : `fail (${verdict.reasons.join('; ')})`} [${wallS.toFixed(0)} s]`,
  );
  return {
    phase: running.phase,
    purpose,
    rate,
    sockets: socketCount,
    verdict,
    costs: resultCosts(result),
    outstandingAtStart,
    wallS,
    result,
  };
}

/** The search over rates for one phase, bounded by `budgetS` of wall time (a step is not started when the last one would not fit). */
export async function searchPhase(
  running: RunningPhase,
  ctx: PhaseContext,
  settings: StepSettings,
  criteria: StepCriteria,
  search: SearchOptions,
  budgetS: number,
): Promise<PhaseSearch> {
  const started = performance.now();
  const steps: MeasuredStep[] = [];
  let stoppedBy: PhaseSearch['stoppedBy'] = 'done';
  for (;;) {
    const rate = nextRate(
      steps.map((s) => ({ rate: s.rate, pass: s.verdict.pass })),
      search,
    );
    if (rate === undefined) {
      if (steps.length >= search.maxSteps) stoppedBy = 'step limit';
      break;
    }
    const elapsedS = (performance.now() - started) / 1000;
    const estimateS = steps.length > 0 ? Math.max(...steps.map((s) => s.wallS)) : 0;
    if (elapsedS + estimateS > budgetS) {
      stoppedBy = 'time budget';
      ctx.say(`${running.phase}: the next step (${rate}/s) would pass the search's ${budgetS} s budget; stopping`);
      break;
    }
    steps.push(await measureStep(running, ctx, settings, criteria, rate, 'search'));
  }
  const sustained = sustainedRate(steps.map((s) => ({ rate: s.rate, pass: s.verdict.pass })));
  return { phase: running.phase, steps, sustained, stoppedBy, wallS: (performance.now() - started) / 1000 };
}
