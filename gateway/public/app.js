// Pulse demo storefront: plain browser JS, no build step, everything served by the gateway.
// Flow: visitor token (POST /v1/visitors, kept in localStorage) -> Socket.IO connect ->
// catalog via GET /v1/items -> clicks emit `track` -> the engine pushes `recommendations`.
(() => {
  'use strict';

  const STORE_KEY = 'pulse.visitor';
  const PAGE_SIZE = 24;
  const REC_COUNT = 8;
  const ACK_TIMEOUT_MS = 10000;
  /** Clicks waiting for the push they cause: event id -> performance.now() at click. */
  const PENDING_LIMIT = 50;

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $('status'), categories: $('categories'), products: $('products'), more: $('more'),
    note: $('catalog-note'), search: $('search'), query: $('query'), recs: $('recs'),
    recsMeta: $('recs-meta'), activity: $('activity'), visitor: $('visitor'), reset: $('reset'),
  };

  const state = {
    visitorId: '', token: '', socket: null,
    items: new Map(), category: '', query: '', offset: 0, total: 0, categoriesShown: false, catalogSeq: 0,
    lastRecIds: null, pending: new Map(),
  };

  // --- identity ------------------------------------------------------------------------------
  async function ensureVisitor(renew) {
    if (!renew) {
      try {
        const saved = JSON.parse(localStorage.getItem(STORE_KEY) || 'null');
        if (saved && saved.token && saved.visitorId) Object.assign(state, saved);
      } catch { /* corrupt entry: fetch a new one */ }
    }
    if (renew || !state.token) {
      const res = await fetch('/v1/visitors', { method: 'POST' });
      if (!res.ok) throw new Error(`could not get a visitor token (HTTP ${res.status})`);
      const body = await res.json();
      state.visitorId = body.visitorId;
      state.token = body.token;
      localStorage.setItem(STORE_KEY, JSON.stringify({ visitorId: state.visitorId, token: state.token }));
    }
    ui.visitor.textContent = state.visitorId;
  }

  /** JSON API call with the bearer token; renews the visitor token once on 401. */
  async function api(path, retried) {
    const res = await fetch(path, { headers: { Authorization: `Bearer ${state.token}` } });
    if (res.status === 401 && !retried) {
      await ensureVisitor(true);
      return api(path, true);
    }
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw Object.assign(new Error(body.error ? body.error.message : `HTTP ${res.status}`), { code: body.error && body.error.code });
    return body;
  }

  function newId() {
    if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    for (const child of children) node.append(child);
    return node;
  }

  const money = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD' });

  // --- catalog -------------------------------------------------------------------------------
  async function loadCatalog(append) {
    if (!append) state.offset = 0;
    const params = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(state.offset) });
    if (state.category) params.set('category', state.category);
    if (state.query) params.set('query', state.query);
    ui.note.textContent = 'Loading…';
    // Only the latest request may render: quick category clicks must not interleave pages.
    const seq = ++state.catalogSeq;
    try {
      const page = await api(`/v1/items?${params}`);
      if (seq !== state.catalogSeq) return;
      for (const item of page.items) state.items.set(item.itemId, item);
      if (!append) ui.products.replaceChildren();
      ui.products.append(...page.items.map(productCard));
      state.total = page.total;
      state.offset += page.items.length;
      if (!state.categoriesShown && page.categories) renderCategories(page.categories);
      ui.more.hidden = state.offset >= state.total;
      ui.note.textContent = state.total === 0 ? 'No products match.' : `${state.total} products`;
    } catch (err) {
      if (seq === state.catalogSeq) ui.note.textContent = `Catalog unavailable: ${err.message}`;
    }
  }

  function renderCategories(categories) {
    state.categoriesShown = true;
    const chip = (label, value) => {
      const button = el('button', { type: 'button', textContent: label });
      button.setAttribute('aria-pressed', String(state.category === value));
      button.addEventListener('click', () => {
        state.category = value;
        for (const b of ui.categories.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b === button));
        loadCatalog(false);
      });
      return el('li', {}, button);
    };
    ui.categories.replaceChildren(chip('All', ''), ...categories.map((c) => chip(c, c)));
  }

  function productCard(item) {
    const title = el('button', { type: 'button', className: 'title', textContent: item.title });
    title.setAttribute('aria-label', `View ${item.title}`);
    title.addEventListener('click', () => {
      card.classList.add('viewed');
      track('view', item);
    });
    const cart = el('button', { type: 'button', textContent: 'Add to cart' });
    cart.setAttribute('aria-label', `Add ${item.title} to cart`);
    cart.addEventListener('click', () => track('add_to_cart', item));
    const buy = el('button', { type: 'button', className: 'primary', textContent: 'Buy' });
    buy.setAttribute('aria-label', `Buy ${item.title}`);
    buy.addEventListener('click', () => track('purchase', item));
    const meta = [item.brand, item.category].filter(Boolean).join(' · ');
    const card = el('article', { className: 'card' },
      title,
      el('span', { className: 'meta', textContent: meta }),
      el('span', { className: 'price', textContent: money.format(item.price) }),
      el('div', { className: 'actions' }, cart, buy));
    return el('li', {}, card);
  }

  // --- events --------------------------------------------------------------------------------
  function track(type, item) {
    const id = newId();
    const event = { id, type, itemId: item.itemId, channel: 'web' };
    const line = { itemId: item.itemId, quantity: 1, price: item.price };
    if (type === 'add_to_cart') event.items = [line];
    if (type === 'purchase') Object.assign(event, { items: [line], orderId: `o_${newId()}` });
    const startedAt = performance.now();
    state.pending.set(id, startedAt);
    while (state.pending.size > PENDING_LIMIT) state.pending.delete(state.pending.keys().next().value);
    const entry = logActivity(`${type.replace(/_/g, ' ')}: ${item.title}…`);
    state.socket.timeout(ACK_TIMEOUT_MS).emit('track', event, (timeoutErr, ack) => {
      const ms = Math.round(performance.now() - startedAt);
      if (timeoutErr) markFailed(entry, `${type}: ${item.title}: no answer in ${ACK_TIMEOUT_MS / 1000} s`);
      else if (!ack.ok) markFailed(entry, `${type}: ${item.title}: ${ack.error.code}: ${ack.error.message}`);
      else entry.textContent = `${type.replace(/_/g, ' ')}: ${item.title} (stored in ${ms} ms)`;
    });
  }

  function logActivity(text) {
    const entry = el('li', { textContent: text });
    ui.activity.prepend(entry);
    while (ui.activity.children.length > 30) ui.activity.lastChild.remove();
    return entry;
  }

  function markFailed(entry, text) {
    entry.textContent = text;
    entry.className = 'failed';
  }

  // --- recommendations ---------------------------------------------------------------------
  async function titleOf(itemId) {
    if (!state.items.has(itemId)) {
      try {
        state.items.set(itemId, await api(`/v1/items/${encodeURIComponent(itemId)}`));
      } catch {
        return itemId;
      }
    }
    return state.items.get(itemId).title;
  }

  function renderRecommendations(list, source) {
    const receivedAt = performance.now();
    const previous = state.lastRecIds;
    state.lastRecIds = new Set(list.items.map((r) => r.itemId));
    ui.recs.replaceChildren(...list.items.map((rec) => {
      const isNew = previous !== null && !previous.has(rec.itemId);
      const title = el('button', { type: 'button', className: 'rec-title', textContent: rec.itemId });
      titleOf(rec.itemId).then((text) => {
        title.textContent = text;
        title.setAttribute('aria-label', `Open recommended ${text}`);
      });
      title.addEventListener('click', () => {
        const item = state.items.get(rec.itemId);
        if (item) track('click', item);
      });
      const li = el('li', { className: isNew ? 'is-new' : '' }, title);
      if (isNew) li.append(el('span', { className: 'badge', textContent: 'new' }));
      li.append(el('span', { className: 'reason', textContent: `${rec.reason || 'recommended'} · score ${rec.score.toFixed(3)}` }));
      return li;
    }));
    if (list.items.length === 0) ui.recs.append(el('li', { textContent: 'Nothing yet: click a few products.' }));
    const parts = [`model ${list.modelVersion}`, source === 'push' ? 'pushed' : 'requested'];
    const clickedAt = list.cause !== undefined ? state.pending.get(list.cause) : undefined;
    if (clickedAt !== undefined) {
      parts.push(`click → push ${Math.round(receivedAt - clickedAt)} ms`);
      state.pending.delete(list.cause);
    }
    parts.push(new Date(list.generatedAt).toLocaleTimeString());
    ui.recsMeta.textContent = parts.join(' · ');
  }

  function requestRecommendations() {
    state.socket.timeout(ACK_TIMEOUT_MS).emit('recommend', { k: REC_COUNT }, (timeoutErr, reply) => {
      if (timeoutErr) ui.recsMeta.textContent = 'No answer from the engine yet.';
      else if (reply && Array.isArray(reply.items)) renderRecommendations(reply, 'request');
      else ui.recsMeta.textContent = `Recommendations unavailable: ${reply && reply.error ? reply.error.message : 'unexpected answer'}`;
    });
  }

  // --- socket --------------------------------------------------------------------------------
  function setStatus(text, online) {
    ui.status.textContent = text;
    ui.status.dataset.state = online ? 'online' : 'offline';
  }

  function renewAndReconnect(socket) {
    ensureVisitor(true)
      .then(() => socket.connect())
      .catch((err) => {
        setStatus(`Cannot get a visitor token: ${err.message}; retrying…`, false);
        setTimeout(() => renewAndReconnect(socket), 5000);
      });
  }

  function connect() {
    // `auth` as a function: read again on every (re)connect, so a renewed token is used.
    const socket = io({ auth: (cb) => cb({ token: state.token }) });
    state.socket = socket;
    socket.on('connect', () => {
      setStatus('Live', true);
      requestRecommendations();
    });
    socket.on('disconnect', (reason) => {
      setStatus(`Disconnected (${reason}), reconnecting…`, false);
      // The server ends a connection itself only when the token expired: renew, then reconnect.
      if (reason === 'io server disconnect') renewAndReconnect(socket);
    });
    socket.on('connect_error', (err) => {
      const code = err.data && err.data.code;
      setStatus(`Cannot connect: ${err.message}`, false);
      // Refused by the server's auth check: Socket.IO does not retry by itself.
      if (code === 'unauthorized' || code === 'token_expired') {
        renewAndReconnect(socket);
      } else if (code) {
        setTimeout(() => socket.connect(), 2000);
      }
    });
    socket.on('recommendations', (list) => renderRecommendations(list, 'push'));
    socket.on('promotion', (promo) => logActivity(`🎁 ${promo.title}: ${promo.message}`));
  }

  // --- wiring --------------------------------------------------------------------------------
  ui.search.addEventListener('submit', (e) => {
    e.preventDefault();
    state.query = ui.query.value.trim();
    loadCatalog(false);
  });
  ui.more.addEventListener('click', () => loadCatalog(true));
  ui.reset.addEventListener('click', () => {
    localStorage.removeItem(STORE_KEY);
    location.reload();
  });

  ensureVisitor(false)
    .then(() => {
      connect();
      return loadCatalog(false);
    })
    .catch((err) => setStatus(`Offline: ${err.message}`, false));
})();
