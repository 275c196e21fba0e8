import { describeFailure, byId, formatCount, type ConsoleApi, type LiveWindow } from './api.js';
import { drawLegend, drawLineChart, formatValue, PALETTE, type Series } from './charts.js';

/**
 * The live panel: events accepted per second (total and the busiest types) and push latency
 * (p50, p95, max) per second, from `GET /v1/analytics/live`, redrawn every second over the last
 * 30 s, minute or 2 minutes (the select). Only full seconds are drawn: the current one, still
 * filling, would always look like a drop. The window is the answering gateway's own, so the
 * panel names that gateway.
 */

/** Event types drawn on their own besides the total: the busiest ones in the window. */
const MAX_TYPE_LINES = 3;

/** Lines of the events chart: the total, then the busiest types of the window. */
export function eventSeries(window: LiveWindow): Series[] {
  const byType = new Map<string, number>();
  for (const second of window.seconds)
    for (const [type, n] of Object.entries(second.events)) byType.set(type, (byType.get(type) ?? 0) + (n ?? 0));
  const busiest = [...byType.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, MAX_TYPE_LINES);
  return [
    { label: 'all events', color: PALETTE[0]!, width: 3, values: window.seconds.map((s) => s.eventsTotal) },
    ...busiest.map(([type], index) => ({
      label: type,
      color: PALETTE[index + 1]!,
      dash: ['5 3', '2 3', '8 3 2 3'][index]!,
      values: window.seconds.map((s) => (s.events as Record<string, number | undefined>)[type] ?? 0),
    })),
  ];
}

/** Lines of the latency chart (ms); seconds without a push are gaps. */
export function latencySeries(window: LiveWindow): Series[] {
  return [
    { label: 'p50', color: PALETTE[0]!, width: 3, values: window.seconds.map((s) => s.push?.p50Ms ?? null) },
    { label: 'p95', color: PALETTE[1]!, dash: '5 3', values: window.seconds.map((s) => s.push?.p95Ms ?? null) },
    { label: 'max', color: PALETTE[3]!, dash: '2 3', values: window.seconds.map((s) => s.push?.maxMs ?? null) },
  ];
}

/** One sentence per chart for screen readers and for the text under the charts. */
export function summarise(window: LiveWindow): { events: string; latency: string } {
  const totals = window.seconds.map((s) => s.eventsTotal);
  const events = totals.reduce((a, b) => a + b, 0);
  const peak = Math.max(0, ...totals);
  const last = window.seconds.at(-1)?.eventsTotal ?? 0;
  const pushes = window.seconds.reduce((n, s) => n + (s.push?.count ?? 0), 0);
  const worstP95 = Math.max(0, ...window.seconds.map((s) => s.push?.p95Ms ?? 0));
  const worstMax = Math.max(0, ...window.seconds.map((s) => s.push?.maxMs ?? 0));
  const span = window.seconds.length;
  return {
    events: `Last ${span} s: ${formatCount(events)} events accepted, peak ${formatCount(peak)}/s, last full second ${formatCount(last)}/s.`,
    latency:
      pushes === 0
        ? `Last ${span} s: no pushes observed.`
        : `Last ${span} s: ${formatCount(pushes)} pushes, worst p95 ${formatValue(worstP95)} ms, slowest ${formatValue(worstMax)} ms.`,
  };
}

/** Polls the live window every `intervalMs` (the next poll starts after the previous answer) and draws it. */
export class LivePanel {
  readonly #api: ConsoleApi;
  readonly #intervalMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  /** The current round of polls; a poll of an older round stops instead of scheduling the next. */
  #round = 0;
  #last: LiveWindow | undefined;

  constructor(api: ConsoleApi, intervalMs = 1000) {
    this.#api = api;
    this.#intervalMs = intervalMs;
    // Redraw at the new width when the layout changes (rotation, resize).
    addEventListener('resize', () => this.#last && this.#draw(this.#last));
    // A new span shows at once: a fresh round of polls replaces the current one.
    byId('live-span').addEventListener('change', () => {
      if (!this.#running) return;
      clearTimeout(this.#timer);
      void this.#tick(++this.#round);
    });
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#tick(++this.#round);
  }

  stop(): void {
    this.#running = false;
    this.#round++;
    clearTimeout(this.#timer);
  }

  async #tick(round: number): Promise<void> {
    const status = byId('live-status');
    try {
      const span = Number(byId<HTMLSelectElement>('live-span').value);
      const answer = await this.#api.get<LiveWindow>(`/v1/analytics/live?seconds=${span + 1}`);
      if (round !== this.#round) return;
      const window = { ...answer, seconds: answer.seconds.slice(0, -1) };
      this.#last = window;
      this.#draw(window);
      status.textContent = `Gateway ${window.gateway}, updated ${new Date(window.at).toLocaleTimeString('en-GB')}`;
      status.classList.remove('error');
    } catch (err) {
      if (round !== this.#round) return;
      status.textContent = `Live data unavailable: ${describeFailure(err)}`;
      status.classList.add('error');
    }
    if (this.#running && round === this.#round) this.#timer = setTimeout(() => void this.#tick(round), this.#intervalMs);
  }

  #draw(window: LiveWindow): void {
    const span = window.seconds.length;
    const xLabels: [string, string, string] = [`-${span} s`, `-${Math.round(span / 2)} s`, 'now'];
    const events = eventSeries(window);
    const latency = latencySeries(window);
    const text = summarise(window);
    drawLineChart(byId<SVGSVGElement>('chart-events'), events, { unit: '/s', xLabels });
    drawLineChart(byId<SVGSVGElement>('chart-latency'), latency, { unit: ' ms', xLabels });
    drawLegend(byId('legend-events'), events);
    drawLegend(byId('legend-latency'), latency);
    byId('chart-events-desc').textContent = text.events;
    byId('chart-latency-desc').textContent = text.latency;
    byId('summary-events').textContent = text.events;
    byId('summary-latency').textContent = text.latency;
  }
}
