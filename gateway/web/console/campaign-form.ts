import {
  describeFailure,
  PulseClientError,
  byId,
  debounce,
  el,
  formatCount,
  type Audience,
  type Campaign,
  type ConsoleApi,
} from './api.js';

/**
 * The new-campaign form (CONTRACT.md "Marketing"): reads the fields into a campaign body, keeps
 * an audience preview (`POST /v1/campaigns/preview`, debounced) up to date while the audience
 * changes, and launches with `POST /v1/campaigns`. The server is the judge of what is valid: its
 * code (`invalid_schedule`, `empty_audience`, …) and per-field details are shown by the form and
 * next to the fields they name (each input carries the contract's field path in `data-field`).
 */

/** Milliseconds of quiet before the preview is asked for. */
const PREVIEW_DEBOUNCE_MS = 300;

/** A field the browser could not turn into a value (shown like a server detail). */
class FieldProblem extends Error {
  override readonly name = 'FieldProblem';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const input = (id: string) => byId<HTMLInputElement>(id);
const text = (id: string): string | undefined => input(id).value.trim() || undefined;

/** A number field: undefined when empty; FieldProblem when not a number. `scale` converts units (minutes -> s). */
function numberOf(id: string, field: string, scale = 1): number | undefined {
  const node = input(id);
  if (node.value.trim() === '') {
    if (node.validity.badInput) throw new FieldProblem(field, 'is not a number');
    return undefined;
  }
  const value = Number(node.value);
  if (!Number.isFinite(value)) throw new FieldProblem(field, 'is not a number');
  return Math.round(value * scale);
}

/** A datetime-local field as epoch ms (the browser's time zone). */
function timeOf(id: string, field: string): number | undefined {
  const value = text(id);
  if (value === undefined) return undefined;
  const ms = new Date(value).getTime();
  if (!Number.isFinite(ms)) throw new FieldProblem(field, 'is not a date and time');
  return ms;
}

function selected(id: string): string[] {
  return [...byId<HTMLSelectElement>(id).selectedOptions].map((option) => option.value);
}

/** The audience as the form says it; `{}` when no criterion is given. */
export function readAudience(): Audience {
  const tiers = [...document.querySelectorAll<HTMLInputElement>('input[name="tier"]:checked')].map(
    (box) => box.value as NonNullable<Audience['tiers']>[number],
  );
  const brands = selected('a-brands');
  const categories = selected('a-categories');
  const minPoints = numberOf('a-min-points', 'audience.minPoints');
  const segment = byId<HTMLSelectElement>('a-segment').value;
  return {
    ...(tiers.length ? { tiers } : {}),
    ...(brands.length ? { brands } : {}),
    ...(categories.length ? { categories } : {}),
    ...(minPoints !== undefined ? { minPoints } : {}),
    ...(segment ? { segment } : {}),
  };
}

/** The trigger of the selected type with its fields (minutes turned into seconds). */
function readTrigger(): Record<string, unknown> {
  const type = byId<HTMLSelectElement>('c-trigger').value;
  switch (type) {
    case 'event': {
      const optional = { category: text('t-category'), brand: text('t-brand'), itemId: text('t-item') };
      return {
        type,
        eventType: byId<HTMLSelectElement>('t-event-type').value,
        ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
        count: numberOf('t-count', 'trigger.count'),
        withinSeconds: numberOf('t-within', 'trigger.withinSeconds', 60),
      };
    }
    case 'cart_abandoned':
      return { type, afterSeconds: numberOf('t-after', 'trigger.afterSeconds', 60) };
    case 'points_reached':
      return { type, points: numberOf('t-points', 'trigger.points') };
    default:
      return { type };
  }
}

/** The `POST /v1/campaigns` body; throws FieldProblem for a field the browser cannot read. */
export function readCampaign(): Record<string, unknown> {
  const items = (text('o-items') ?? '').split(/[\s,]+/).filter(Boolean);
  const discountPercent = numberOf('o-discount', 'offer.discountPercent');
  const couponTtlSeconds = numberOf('o-ttl', 'offer.couponTtlSeconds', 3600);
  const offer = {
    title: input('o-title').value.trim(),
    message: byId<HTMLTextAreaElement>('o-message').value.trim(),
    ...(discountPercent !== undefined ? { discountPercent } : {}),
    ...(couponTtlSeconds !== undefined ? { couponTtlSeconds } : {}),
    ...(items.length ? { itemIds: items } : {}),
  };
  const optional = {
    startsAt: timeOf('l-start', 'startsAt'),
    endsAt: timeOf('l-end', 'endsAt'),
    budget: numberOf('l-budget', 'budget'),
    frequencyCapSeconds: numberOf('l-cap', 'frequencyCapSeconds', 3600),
  };
  return {
    name: input('c-name').value.trim(),
    trigger: readTrigger(),
    audience: readAudience(),
    offer,
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
  };
}

/** The form's behaviour: trigger fields, choices, preview, errors, launch. */
export class CampaignForm {
  readonly #api: ConsoleApi;
  readonly #onCreated: (campaign: Campaign) => void;
  readonly #form = byId<HTMLFormElement>('campaign-form');
  #previewSeq = 0;

  constructor(api: ConsoleApi, onCreated: (campaign: Campaign) => void) {
    this.#api = api;
    this.#onCreated = onCreated;
    const trigger = byId<HTMLSelectElement>('c-trigger');
    trigger.addEventListener('change', () => this.#showTriggerFields());
    this.#showTriggerFields();
    const preview = debounce(() => void this.preview(), PREVIEW_DEBOUNCE_MS);
    const audience = byId('audience');
    audience.addEventListener('change', preview);
    audience.addEventListener('input', preview);
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#launch();
    });
  }

  /** Fills the brand, category and segment choices, keeping what is already selected. */
  setChoices(choices: { brands?: string[]; categories?: string[]; segments?: string[] }): void {
    const fill = (select: HTMLSelectElement, values: string[], keepFirst: boolean) => {
      const chosen = new Set([...select.selectedOptions].map((option) => option.value));
      const first = keepFirst ? [...select.options].slice(0, 1) : [];
      select.replaceChildren(
        ...first,
        ...values.map((value) => Object.assign(el('option', { value }, value), { selected: chosen.has(value) })),
      );
    };
    const list = (id: string, values: string[]) => byId(id).replaceChildren(...values.map((value) => el('option', { value })));
    if (choices.brands) {
      fill(byId<HTMLSelectElement>('a-brands'), choices.brands, false);
      list('brand-options', choices.brands);
    }
    if (choices.categories) {
      fill(byId<HTMLSelectElement>('a-categories'), choices.categories, false);
      list('category-options', choices.categories);
    }
    if (choices.segments) fill(byId<HTMLSelectElement>('a-segment'), choices.segments, true);
  }

  /** Asks for the audience's size now (also called on every audience change, debounced). */
  async preview(): Promise<void> {
    const out = byId('preview');
    const seq = ++this.#previewSeq;
    let audience: Audience;
    try {
      audience = readAudience();
    } catch (err) {
      out.textContent = err instanceof FieldProblem ? `${err.field} ${err.message}` : String(err);
      out.dataset.state = 'error';
      return;
    }
    if (Object.keys(audience).length === 0) {
      out.textContent = 'pick a criterion (to reach everyone, tick every tier)';
      out.dataset.state = 'idle';
      return;
    }
    out.dataset.state = 'loading';
    try {
      const { size, members } = await this.#api.post<{ size: number; members: number }>('/v1/campaigns/preview', { audience });
      if (seq !== this.#previewSeq) return; // an older answer arriving late
      out.textContent = `${formatCount(size)} of ${formatCount(members)} members`;
      out.dataset.state = 'ready';
      out.dataset.size = String(size);
    } catch (err) {
      if (seq !== this.#previewSeq) return;
      out.textContent = describeFailure(err);
      out.dataset.state = 'error';
    }
  }

  #showTriggerFields(): void {
    const type = byId<HTMLSelectElement>('c-trigger').value;
    for (const group of this.#form.querySelectorAll<HTMLElement>('[data-trigger]')) group.hidden = group.dataset.trigger !== type;
  }

  async #launch(): Promise<void> {
    this.#clearErrors();
    const status = byId('form-status');
    status.textContent = '';
    let body: Record<string, unknown>;
    try {
      body = readCampaign();
    } catch (err) {
      if (!(err instanceof FieldProblem)) throw err;
      this.#showErrors('invalid_campaign', `${err.field} ${err.message}`, { [err.field]: err.message });
      return;
    }
    const button = byId<HTMLButtonElement>('launch');
    button.disabled = true;
    try {
      const campaign = await this.#api.post<Campaign>('/v1/campaigns', body);
      status.textContent = `Launched “${campaign.name}” (${campaign.status}).`;
      this.#onCreated(campaign);
    } catch (err) {
      if (err instanceof PulseClientError) this.#showErrors(err.code, err.message, err.details ?? {});
      else this.#showErrors('error', String(err), {});
    } finally {
      button.disabled = false;
    }
  }

  #clearErrors(): void {
    byId('form-errors').replaceChildren();
    for (const node of this.#form.querySelectorAll('[aria-invalid="true"]')) node.removeAttribute('aria-invalid');
    for (const node of this.#form.querySelectorAll('.field-error')) node.remove();
    for (const node of this.#form.querySelectorAll<HTMLElement>('[data-described]')) {
      node.setAttribute('aria-describedby', node.dataset.described ?? '');
      if (!node.dataset.described) node.removeAttribute('aria-describedby');
      delete node.dataset.described;
    }
  }

  /** The code and message above the button; each detail next to the field it names (by `data-field`, longest prefix). */
  #showErrors(code: string, message: string, details: Record<string, string>): void {
    const box = byId('form-errors');
    const list = el('ul');
    for (const [field, problem] of Object.entries(details)) {
      list.append(el('li', {}, `${field}: ${problem}`));
      const target = this.#fieldFor(field);
      if (!target) continue;
      target.setAttribute('aria-invalid', 'true');
      const note = el('p', { class: 'field-error', id: `err-${target.id || field.replace(/\W/g, '-')}` }, problem);
      (target.closest('.field') ?? target).append(note);
      if (target.dataset.described === undefined) target.dataset.described = target.getAttribute('aria-describedby') ?? '';
      target.setAttribute('aria-describedby', `${target.dataset.described} ${note.id}`.trim());
    }
    box.replaceChildren(el('p', {}, el('strong', { 'data-code': code }, code), `: ${message}`), ...(list.children.length ? [list] : []));
    box.focus();
  }

  #fieldFor(path: string): HTMLElement | undefined {
    const parts = path.split('.');
    for (let n = parts.length; n > 0; n--) {
      const found = this.#form.querySelector<HTMLElement>(`[data-field="${CSS.escape(parts.slice(0, n).join('.'))}"]`);
      if (found) return found;
    }
    return undefined;
  }
}
