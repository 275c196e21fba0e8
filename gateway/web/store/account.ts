import { byId, describeError, type StoreContext } from './dom.js';

/** What a shopper reads for the API's codes (the code itself is shown too, in brackets). */
const MESSAGES: Record<string, { text: string; field?: 'email' | 'password' | 'name' }> = {
  invalid_credentials: { text: 'Wrong email or password.', field: 'password' },
  email_taken: { text: 'An account with this email already exists. Log in instead.', field: 'email' },
  invalid_email: { text: 'That is not an email address (name@example.com).', field: 'email' },
  invalid_password: { text: 'The password needs at least 8 characters.', field: 'password' },
  rate_limited: { text: 'Too many attempts; wait a moment and try again.' },
  unavailable: { text: 'The shop cannot be reached right now; try again.' },
};

type Mode = 'login' | 'register';

/**
 * The log-in and register forms (shown to visitors). They go through the page's PulseClient:
 * `register` is `POST /v1/members` with the visitor's token, `login` is `POST /v1/sessions` with
 * the visitor's id and token, so either way what the visitor did so far (views, cart) joins the
 * member's history, once. The client
 * then reconnects as the member and fires `identity`; the store swaps in the member panel.
 * Refusals are shown in the form with the API's code (`invalid_credentials`, `email_taken`, ...).
 */
export class AccountForms {
  readonly #context: StoreContext;
  readonly #section = byId('account');
  readonly #forms: Record<Mode, HTMLFormElement> = {
    login: byId<HTMLFormElement>('login-form'),
    register: byId<HTMLFormElement>('register-form'),
  };
  readonly #tabs: Record<Mode, HTMLButtonElement> = {
    login: byId<HTMLButtonElement>('show-login'),
    register: byId<HTMLButtonElement>('show-register'),
  };

  constructor(context: StoreContext) {
    this.#context = context;
    for (const mode of ['login', 'register'] as const) {
      this.#tabs[mode].addEventListener('click', () => this.#switch(mode, true));
      this.#forms[mode].addEventListener('submit', (event) => {
        event.preventDefault();
        void this.#submit(mode);
      });
    }
    this.#switch('login', false);
  }

  /** Shows the forms (visitor) or hides them (member). */
  set visible(visible: boolean) {
    this.#section.hidden = !visible;
  }

  #switch(mode: Mode, focus: boolean): void {
    for (const other of ['login', 'register'] as const) {
      this.#forms[other].hidden = other !== mode;
      this.#tabs[other].setAttribute('aria-pressed', String(other === mode));
    }
    if (focus) this.#forms[mode].querySelector('input')?.focus();
  }

  async #submit(mode: Mode): Promise<void> {
    const form = this.#forms[mode];
    const data = new FormData(form);
    const value = (name: string) => String(data.get(name) ?? '');
    const button = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    this.#showError(mode, undefined);
    button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      const { client } = this.#context;
      if (mode === 'login') await client.login(value('email'), value('password'));
      else await client.register(value('email'), value('password'), value('name'));
      form.reset();
      this.#context.status.say(mode === 'login' ? 'You are logged in.' : 'Welcome! Your account is ready.');
    } catch (err) {
      this.#showError(mode, err);
    } finally {
      button.disabled = false;
      form.removeAttribute('aria-busy');
    }
  }

  /** Writes the refusal into the form's alert and marks the field it is about (none clears both). */
  #showError(mode: Mode, err: unknown): void {
    const form = this.#forms[mode];
    const alert = byId(`${mode}-error`);
    for (const input of form.querySelectorAll('input')) input.removeAttribute('aria-invalid');
    if (err === undefined) {
      alert.textContent = '';
      alert.hidden = true;
      return;
    }
    const { code, text } = describeError(err);
    const known = MESSAGES[code];
    alert.textContent = known ? `${known.text} (${code})` : text;
    alert.dataset.code = code;
    alert.hidden = false;
    const field = known?.field ? form.querySelector<HTMLInputElement>(`input[name="${known.field}"]`) : null;
    if (field) {
      field.setAttribute('aria-invalid', 'true');
      field.focus();
    }
  }
}
