import type { ConnectionStatus, Identity } from '../client/pulse-client.js';
import { AccountForms } from './account.js';
import { Cart } from './cart.js';
import { Catalog } from './catalog.js';
import { byId, describeError, StatusLine, type StoreContext } from './dom.js';
import { MemberPanel } from './member-panel.js';
import { ProductDialog } from './product-dialog.js';
import { widgetReady } from './pulse-global.js';

/**
 * The demo storefront (`/web/store.js`, page `/`): a product grid with search and category chips,
 * product detail, cart and checkout, register / log in and the member panel, around the drop-in
 * widget's "Recommended for you" strip. Everything goes through the widget's PulseClient
 * (`await window.Pulse.ready`), so the page holds one socket and one identity.
 */

const CONNECTION_TEXT: Record<ConnectionStatus, string> = {
  connecting: 'Connecting…',
  connected: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

async function main(): Promise<void> {
  const status = new StatusLine(byId('store-status'));
  const widget = await widgetReady();
  const { client } = widget;
  const context: StoreContext = { client, status };

  const cart = new Cart(context);
  let dialog: ProductDialog | undefined;
  const catalog = new Catalog(context, {
    open: (item) => dialog?.open(item),
    addToCart: (item, quantity) => void cart.add(item, quantity),
  });
  dialog = new ProductDialog(context, { item: (id) => catalog.item(id), addToCart: (item, quantity) => void cart.add(item, quantity) });
  const account = new AccountForms(context);
  const member = new MemberPanel(context, async (itemId) => (await catalog.item(itemId).catch(() => undefined))?.title ?? itemId);

  const connection = byId('connection');
  const showConnection = (state: ConnectionStatus) => {
    connection.textContent = CONNECTION_TEXT[state];
    connection.dataset.state = state;
  };
  showConnection(client.status);
  client.on('status', showConnection);
  client.on('error', (err) => status.say(`The shop refused this session: ${describeError(err).text}`, 'error', 0));

  const accountButton = byId<HTMLButtonElement>('account-button');
  const applyIdentity = async (identity: Identity, reloadCatalog: boolean) => {
    const isMember = identity.role === 'member';
    cart.isMember = isMember;
    account.visible = !isMember;
    accountButton.textContent = isMember ? 'My account' : 'Log in';
    await Promise.all([member.show(isMember), reloadCatalog ? catalog.reload() : Promise.resolve()]);
  };
  client.on('identity', (identity) => void applyIdentity(identity, true));
  // A promotion with a coupon: the member panel lists the new coupon (the widget shows the toast).
  client.on('promotion', (promotion) => {
    if (member.member && promotion.coupon) void member.refresh();
  });
  client.on('member', (change) => {
    void member.onMemberPush(change);
    // A higher tier may see more of the catalog.
    if (change.type === 'tier_changed') void catalog.reload();
  });
  cart.onPurchase = (order) => {
    // A retried checkout the shop had already placed: its points were credited then.
    if (member.member) void (order.duplicate ? member.refresh() : member.awaitPoints(order.orderId));
  };

  accountButton.addEventListener('click', () => {
    const target = client.identity.role === 'member' ? byId('member-panel') : byId('account');
    target.scrollIntoView({ behavior: 'smooth', block: 'start' });
    (target.querySelector('h2') as HTMLElement | null)?.focus();
  });
  byId('logout').addEventListener('click', () => {
    client.logout().then(
      () => status.say('You are logged out.'),
      (err: unknown) => status.say(`Could not log out: ${describeError(err).text}`, 'error'),
    );
  });
  // A card of the widget's strip was chosen (the widget tracked the click): show its detail.
  document.addEventListener('pulse-select', (event) => {
    const itemId = (event as CustomEvent<{ itemId?: unknown }>).detail?.itemId;
    if (typeof itemId === 'string') void dialog?.openId(itemId);
  });

  await Promise.all([applyIdentity(client.identity, false), catalog.load(false)]);
  document.body.dataset.ready = 'true';
}

main().catch((err: unknown) => {
  const node = document.getElementById('store-status');
  if (node) {
    node.hidden = false;
    node.dataset.kind = 'error';
    node.textContent = `The shop could not start: ${describeError(err).text}`;
  }
  console.error('store: could not start', err);
});
