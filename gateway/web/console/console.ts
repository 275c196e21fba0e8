import { identityOf } from '../client/identity.js';
import { describeFailure, PulseClientError, byId, ConsoleApi, type AnalyticsOverview } from './api.js';
import { CampaignForm } from './campaign-form.js';
import { CampaignList } from './campaign-list.js';
import { LivePanel } from './live-panel.js';
import { loadOverview } from './overview.js';
import { loadCatalogChoices, loadSegments } from './segments.js';

/**
 * The marketing console (/console, bundled as /web/console.js). Sign in by pasting a marketing
 * or admin token; the API judges it (a member token gets the API's 403, shown as such). Then:
 * overview numbers, live charts of events per second and push latency, the new-campaign form with
 * its audience preview, the campaign list with live stats, and the segments with their sizes.
 */

/** How often the slower panels are reread (ms). */
const OVERVIEW_MS = 5000;
const SEGMENTS_MS = 15_000;
/** Delay of a reread after campaign numbers moved (ms). */
const REFRESH_SOON_MS = 500;

class Console {
  readonly #api: ConsoleApi;
  readonly #live: LivePanel;
  readonly #campaigns: CampaignList;
  readonly #form: CampaignForm;
  readonly #timers: Array<ReturnType<typeof setInterval>> = [];
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    this.#api = new ConsoleApi({ onUnauthorized: (error) => this.#signedOut(`${error.code}: ${error.message}`) });
    this.#live = new LivePanel(this.#api);
    this.#campaigns = new CampaignList(this.#api, { onChange: () => this.#refreshSoon() });
    this.#form = new CampaignForm(this.#api, (campaign) => {
      this.#campaigns.add(campaign);
      this.#refreshSoon();
    });
    byId<HTMLFormElement>('login-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#signIn(byId<HTMLTextAreaElement>('token').value.trim());
    });
    byId('sign-out').addEventListener('click', () => this.#signedOut(''));
    // A `#token=` link pasted into the open console changes only the hash (no reload): sign in with it.
    window.addEventListener('hashchange', () => {
      const token = this.#tokenFromLink();
      if (token) void this.#signIn(token);
    });
  }

  /** The token of a `#token=` link in the address bar, dropped from it (it is not kept in the history). */
  #tokenFromLink(): string | null {
    const token = new URLSearchParams(location.hash.slice(1)).get('token');
    if (token) history.replaceState(null, '', location.pathname + location.search);
    return token;
  }

  /** Resumes the tab's session when it holds a token. */
  async resume(): Promise<void> {
    // `npm start` prints /console#token=… (a marketing token of that run): take it, then drop it from the address bar.
    const fromLink = this.#tokenFromLink();
    const token = fromLink ?? this.#api.token;
    if (token) await this.#signIn(token);
    else this.#showLogin('');
  }

  async #signIn(token: string): Promise<void> {
    const error = byId('login-error');
    error.textContent = '';
    if (!token) {
      error.textContent = 'Paste a token first.';
      byId('token').focus();
      return;
    }
    let role: string;
    let sub: string;
    try {
      ({ role, userId: sub } = identityOf(token));
    } catch (err) {
      error.textContent = (err as Error).message;
      byId('token').focus();
      return;
    }
    this.#api.signIn(token);
    try {
      // Any analytics call tells whether this token may use the console.
      await this.#api.get<AnalyticsOverview>('/v1/analytics/overview');
    } catch (err) {
      this.#api.signOut();
      if (err instanceof PulseClientError && err.status === 403) {
        error.textContent = `403 ${err.code}: ${err.message}. This is a ${role} token; the console needs a marketing or admin token (npm run token -- --role marketing).`;
      } else if (err instanceof PulseClientError) {
        error.textContent = `${err.status || ''} ${err.code}: ${err.message}`.trim();
      } else error.textContent = String(err);
      this.#showLogin(error.textContent);
      return;
    }
    this.#showApp(`${sub} (${role})`);
  }

  #showLogin(message: string): void {
    for (const timer of this.#timers.splice(0)) clearInterval(timer);
    this.#live.stop();
    this.#campaigns.stop();
    byId('app').hidden = true;
    byId('whoami').hidden = true;
    byId('login').hidden = false;
    if (message) byId('login-error').textContent = message;
    byId('token').focus();
  }

  #signedOut(message: string): void {
    this.#api.signOut();
    byId<HTMLTextAreaElement>('token').value = '';
    this.#showLogin(message);
  }

  #showApp(who: string): void {
    // A second sign-in (a new `#token=` link) replaces the first one's timers.
    for (const timer of this.#timers.splice(0)) clearInterval(timer);
    byId('login').hidden = true;
    byId('app').hidden = false;
    byId('whoami').hidden = false;
    byId('whoami-text').textContent = `Signed in as ${who}`;
    byId('main').focus();
    this.#live.start();
    this.#campaigns.start();
    void loadOverview(this.#api);
    void this.#loadChoices();
    this.#timers.push(setInterval(() => void loadOverview(this.#api), OVERVIEW_MS));
    this.#timers.push(setInterval(() => void this.#loadSegments(), SEGMENTS_MS));
  }

  /** Rereads the overview and the segments once, soon (campaign numbers moved); calls within REFRESH_SOON_MS join. */
  #refreshSoon(): void {
    if (this.#refreshTimer !== undefined) return;
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = undefined;
      if (!this.#api.token) return;
      void loadOverview(this.#api);
      void this.#loadSegments();
    }, REFRESH_SOON_MS);
  }

  async #loadSegments(): Promise<void> {
    const segments = await loadSegments(this.#api);
    if (segments.length) this.#form.setChoices({ segments });
  }

  async #loadChoices(): Promise<void> {
    await this.#loadSegments();
    try {
      this.#form.setChoices(await loadCatalogChoices(this.#api));
    } catch (err) {
      byId('form-status').textContent = `Brands and categories unavailable: ${describeFailure(err)}`;
    }
  }
}

void new Console().resume();
