// The checkout widget page (SPEC 10): speaks the hosted widget's message protocol with the page
// that frames it, reads the session as SessionData from /widget/api (shaped by the server), and
// lets the customer choose a campaign or opt out with the session secret. DOM built with
// textContent only; no external resources.

const params = new URLSearchParams(location.search);
const previewMode = params.get('previewMode') === 'true';
const version = document.documentElement.dataset.version || '';
const root = document.getElementById('root');
const embedded = window.parent !== window;

const state = {
  sessionId: params.get('sessionId') || '',
  parentOrigin: '*',
  secret: null,
  preview: null, // the preview-init config
  data: null, // SessionData
  offset: 0, // server clock minus this clock, in ms
  ready: false,
  destroyed: false,
  busy: false,
  pending: undefined, // a choice made while another was being saved
  expiryTimer: null,
};

const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const dollars = (cents) => money.format((cents || 0) / 100);

/** Posts one message to the embedding page, always in the full envelope. */
function post(type, payload) {
  if (!embedded) return;
  window.parent.postMessage({ type, payload, timestamp: Date.now(), sessionId: state.sessionId }, state.parentOrigin);
}

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'text') el.textContent = value;
    else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// resize: after every render that changes the content height.
let lastHeight = -1;
function reportHeight() {
  const height = Math.ceil(root.getBoundingClientRect().height);
  if (height !== lastHeight) {
    lastHeight = height;
    post('resize', { height });
  }
}
new ResizeObserver(reportHeight).observe(root);

/** Replaces the content; the control that had focus (a campaign's radio, the opt-out button)
 * keeps it in the new content, so a keyboard user stays where they were. */
function show(...nodes) {
  const active = document.activeElement;
  const key = active && root.contains(active) ? (active.name === 'campaign' ? `input[value="${CSS.escape(active.value)}"]` : active.dataset.testid && `[data-testid="${active.dataset.testid}"]`) : null;
  root.replaceChildren(...nodes);
  const again = key && root.querySelector(key);
  if (again && !again.disabled) again.focus();
  root.setAttribute('aria-busy', 'false');
  reportHeight();
}

/** Posts `error` and shows it; `hide` drops whatever the page showed of the session. */
function fail(code, message, { hide = false, keepView = false } = {}) {
  post('error', { message, code });
  if (keepView) return;
  const box = h('div', { class: 'panel error', role: 'alert', 'data-testid': 'error', 'data-code': code },
    h('p', { class: 'status', text: message }));
  if (hide || !state.data) show(h('h1', { text: 'Donation' }), box);
  else render(box);
}

const campaignById = (slug) => (state.data.campaigns || []).find((c) => c.slug === slug);
const impactOf = (slug) => state.data.impact.filter((i) => i.campaignIdentifier === slug);
const emojiOf = (c) => (c && c.impactMetrics[0] && c.impactMetrics[0].emoji) || '💚';

/** Reads the session again when `expiresAt` passes by the server's clock (the server then says
 * `expired`, and the page shows it and posts SESSION_EXPIRED). */
function scheduleExpiry() {
  clearTimeout(state.expiryTimer);
  const d = state.data;
  if (!d || !d.expiresAt || state.preview || !['active', 'processing'].includes(d.status)) return;
  const wait = Date.parse(d.expiresAt) - (Date.now() + state.offset);
  state.expiryTimer = setTimeout(() => load(), Math.min(Math.max(wait, 0) + 50, 2 ** 31 - 1));
}

function cardFor(c, { amount, checked, disabled, readonly }) {
  const lines = impactOf(c.slug).filter((i) => i.amount === amount).map((i) =>
    h('span', { class: 'impact', 'data-testid': 'impact-text', text: i.impactText }));
  const body = [
    h('span', { class: 'head' },
      h('span', { class: 'emoji', 'aria-hidden': 'true', text: emojiOf(c) }),
      h('span', { 'data-testid': 'campaign-name', text: c.organizationName }),
      readonly ? null : h('span', { class: 'tick', 'aria-hidden': 'true', text: '✓ Chosen' })),
    lines,
    readonly ? h('span', { class: 'desc', text: `${dollars(amount)} donated` }) : null,
    c.description ? h('span', { class: 'desc', text: c.description }) : null,
  ];
  if (readonly) return h('li', { class: 'card readonly', 'data-testid': 'allocation', 'data-slug': c.slug }, body);
  const input = h('input', {
    type: 'radio', name: 'campaign', value: c.slug, checked, disabled,
    'aria-label': `${c.organizationName}: ${lines.map((l) => l.textContent).join(', ')}`,
    onchange: () => choose(c.slug),
  });
  return h('label', { class: 'card', 'data-testid': 'campaign-card', 'data-slug': c.slug }, input, body);
}

/** Draws the session; `extra` (an error panel) goes below it. */
function render(extra = null) {
  const d = state.data;
  if (!d) return;
  const title = h('h1', { id: 'title' });
  const parts = [title];
  if (d.status === 'expired') {
    title.textContent = 'This donation offer has expired';
    parts.push(h('div', { class: 'panel', 'data-testid': 'expired' },
      h('p', { class: 'status', text: 'The checkout took too long, so this donation choice is closed.' }),
      h('p', { class: 'note', text: 'No donation will be made from it.' })));
  } else if (d.type === 'portion_of_sales') {
    const confirmed = d.status === 'confirmed';
    title.textContent = confirmed ? 'Thank you: your purchase made an impact' : 'This purchase supports';
    parts.push(h('p', { class: 'note', text: confirmed ? 'Part of this order went to:' : 'Part of this order goes to these causes.' }));
    parts.push(h('ul', { class: 'cards', 'data-testid': confirmed ? 'thank-you' : 'allocations', 'aria-labelledby': 'title' },
      d.allocations.map((a) => (a.campaign ? cardFor(a.campaign, { amount: a.amount, readonly: true }) : null))));
  } else if (d.status === 'confirmed') {
    const chosen = campaignById(d.selectedCampaign);
    title.textContent = 'Thank you!';
    parts.push(h('div', { class: 'panel', 'data-testid': 'thank-you' },
      chosen && !d.optedOut
        ? [h('p', { class: 'status', text: `Your ${dollars(d.amount)} donation goes to ${chosen.organizationName}.` }),
          h('ul', {}, impactOf(chosen.slug).map((i) => h('li', { 'data-testid': 'impact-text', text: i.impactText })))]
        : h('p', { class: 'status', text: 'You chose not to donate this time.' })));
  } else {
    const locked = d.status !== 'active';
    title.textContent = 'Choose your impact';
    parts.push(h('p', { class: 'note', id: 'lead' },
      locked ? 'Your choice is being processed with your order.' : `Choose where your ${dollars(d.amount)} donation goes.`));
    parts.push(h('div', { class: 'cards', role: 'radiogroup', 'aria-labelledby': 'title', 'aria-describedby': 'lead', 'data-testid': 'campaigns' },
      d.campaigns.map((c) => cardFor(c, { amount: d.amount, checked: d.selectedCampaign === c.slug && !d.optedOut, disabled: locked }))));
    parts.push(h('div', { class: 'row' },
      h('button', {
        type: 'button', 'aria-pressed': String(d.optedOut), disabled: locked, 'data-testid': 'opt-out',
        text: 'No thanks, not this time', onclick: () => choose(null),
      }),
      h('span', { class: 'note', role: 'status', 'data-testid': 'choice', text: choiceText(d) })));
  }
  if (extra) parts.push(extra);
  show(...parts);
}

function choiceText(d) {
  if (d.optedOut) return 'You opted out of the donation.';
  const c = d.selectedCampaign && campaignById(d.selectedCampaign);
  return c ? `Chosen: ${c.organizationName}` : '';
}

function allocationsUpdated() {
  const allocations = state.data.allocations;
  post('allocations-updated', { allocations, totalAmount: allocations.reduce((n, a) => n + a.amount, 0) });
}

/** Reads the session and shows it; `ready` goes out after the first successful read. */
async function load() {
  if (state.preview) return loadPreview();
  let response;
  let body = null;
  try {
    response = await fetch(`/widget/api/sessions/${encodeURIComponent(state.sessionId)}`, {
      headers: { 'X-Session-Secret': state.secret }, cache: 'no-store',
    });
    body = await response.json().catch(() => null);
  } catch (_) {
    fail('NETWORK_ERROR', 'The donation service could not be reached. Please try again.');
    return;
  }
  if (!response.ok) {
    apiFailure(response.status, body);
    return;
  }
  state.data = body.data;
  state.offset = Date.parse(body.now) - Date.now();
  if (!state.ready) {
    state.ready = true;
    post('ready', { sessionId: state.sessionId, version, type: state.data.type });
  }
  render();
  post('session-updated', state.data);
  if (state.data.status === 'expired') fail('SESSION_EXPIRED', 'This donation offer has expired.', { keepView: true });
  else scheduleExpiry();
}

function apiFailure(status, body) {
  const e = (body && body.error) || {};
  if (status === 401) {
    state.data = null;
    fail('UNAUTHORIZED', 'This donation could not be shown: the checkout did not prove it may open it.', { hide: true });
  } else {
    fail('API_ERROR', e.message || `The donation service answered ${status}.`, { hide: !state.data });
  }
}

/** Saves the customer's choice (a campaign, or `null` to opt out); one request at a time. */
async function choose(slug) {
  const d = state.data;
  if (!d || d.status !== 'active') return;
  if (state.busy) { state.pending = slug; return; }
  if (state.preview) {
    d.selectedCampaign = slug;
    d.optedOut = slug === null;
    d.allocations = slug === null ? [] : [{ campaignIdentifier: slug, amount: d.amount, campaign: campaignById(slug) }];
    render();
    post('session-updated', d);
    allocationsUpdated();
    return;
  }
  state.busy = true;
  try {
    let response;
    try {
      response = await fetch(`/sessions/${encodeURIComponent(state.sessionId)}/choose_campaign`, {
        method: 'POST',
        headers: { 'X-Session-Secret': state.secret, 'Content-Type': 'application/json' },
        body: JSON.stringify({ campaign_identifier: slug }),
      });
    } catch (_) {
      fail('NETWORK_ERROR', 'Your choice could not be saved: the donation service could not be reached.');
      return;
    }
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      const code = body && body.error && body.error.code;
      // Expired, processing or confirmed meanwhile: the fresh read shows why nothing changed.
      if (code === 'session.expired' || code === 'auth.forbidden' || code === 'session.already-confirmed') await load();
      else apiFailure(response.status, body);
      return;
    }
    await load();
    if (state.data && state.data.status === 'active') allocationsUpdated();
  } finally {
    state.busy = false;
    const next = state.pending;
    state.pending = undefined;
    if (next !== undefined && state.data && next !== (state.data.optedOut ? null : state.data.selectedCampaign)) choose(next);
  }
}

/** Preview: campaign data for the config, rendered as a session that is never written. */
async function loadPreview() {
  const cfg = state.preview;
  const pos = cfg.type === 'portion_of_sales';
  const wanted = pos
    ? cfg.allocations.map((a) => [a.campaign_identifier, a.amount])
    : [[cfg.available_campaigns.join(','), cfg.amount]];
  let lists;
  try {
    lists = await Promise.all(wanted.map(async ([ids, amount]) => {
      const q = new URLSearchParams({ identifiers: ids, amount: String(amount) });
      const response = await fetch(`/widget/api/campaigns?${q}`, { cache: 'no-store' });
      const body = await response.json().catch(() => null);
      if (!response.ok) throw Object.assign(new Error('api'), { status: response.status, body });
      return body.data;
    }));
  } catch (e) {
    if (e.status) apiFailure(e.status, e.body);
    else fail('NETWORK_ERROR', 'The donation service could not be reached.');
    return;
  }
  const campaigns = lists.flat();
  const previous = state.data;
  state.data = {
    id: state.sessionId,
    type: cfg.type,
    ...(pos ? {} : { amount: cfg.amount }),
    status: 'active',
    expiresAt: null,
    campaigns: campaigns.map(({ impact, ...c }) => c),
    allocations: pos
      ? campaigns.map((c, i) => ({ campaignIdentifier: c.slug, amount: wanted[i][1], campaign: c }))
      : [],
    selectedCampaign: null,
    optedOut: false,
    impact: campaigns.flatMap((c) => c.impact),
  };
  if (previous && !pos) {
    Object.assign(state.data, { selectedCampaign: previous.selectedCampaign, optedOut: previous.optedOut, allocations: previous.allocations });
  }
  if (!state.ready) {
    state.ready = true;
    post('ready', { sessionId: state.sessionId, version, type: cfg.type });
  }
  render();
  post('session-updated', state.data);
}

function validPreview(cfg) {
  if (!cfg || typeof cfg !== 'object') return false;
  const amountOk = (n) => Number.isInteger(n) && n >= 1 && n <= 1e9;
  if (cfg.type === 'portion_of_sales') {
    return Array.isArray(cfg.allocations) && cfg.allocations.length >= 1 && cfg.allocations.length <= 10
      && cfg.allocations.every((a) => a && typeof a.campaign_identifier === 'string' && amountOk(a.amount));
  }
  return ['add_on', 'portion_of_sales_choice'].includes(cfg.type) && amountOk(cfg.amount)
    && Array.isArray(cfg.available_campaigns) && cfg.available_campaigns.length >= 1
    && cfg.available_campaigns.length <= 10 && cfg.available_campaigns.every((s) => typeof s === 'string' && s);
}

function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function recordOrigin(event) {
  state.parentOrigin = event.origin && event.origin !== 'null' ? event.origin : '*';
}

// A malformed message is the embedding code's bug, not the customer's: it is reported to the
// embedding page only, and the customer's view stays as it was.
function invalid(message) {
  fail('INVALID_MESSAGE', message, { keepView: true });
}

// Registered before the load event (module scripts run before it), so an `init` sent on the
// iframe's load is never missed.
window.addEventListener('message', (event) => {
  if (!embedded || event.source !== window.parent) return;
  const msg = event.data;
  if (!msg || typeof msg !== 'object' || typeof msg.type !== 'string') {
    invalid('The widget received a message it does not understand.');
    return;
  }
  if (state.destroyed && msg.type !== 'init' && msg.type !== 'preview-init') return;
  switch (msg.type) {
    case 'init':
      recordOrigin(event);
      if (previewMode) return invalid('A preview widget takes preview-init, not init.');
      if (typeof msg.secret !== 'string' || !msg.secret) return invalid('init needs a non-empty secret.');
      if (!state.sessionId) return invalid('The widget URL names no sessionId.');
      state.secret = msg.secret;
      state.destroyed = false;
      load();
      break;
    case 'preview-init':
      recordOrigin(event);
      if (!previewMode) return invalid('preview-init needs the widget URL with previewMode=true.');
      if (!validPreview(msg.config)) return invalid('preview-init needs a config with type and amount and available_campaigns, or allocations.');
      if (!state.preview) state.sessionId = `preview_${randomId()}`;
      state.preview = msg.config;
      state.data = null;
      state.destroyed = false;
      loadPreview();
      break;
    case 'refresh':
      if (!state.secret && !state.preview) return invalid('refresh before init.');
      load();
      break;
    case 'destroy':
      post('destroyed', { sessionId: state.sessionId });
      state.destroyed = true;
      clearTimeout(state.expiryTimer);
      state.data = null;
      show();
      break;
    default:
      invalid(`Unknown message type: ${msg.type}`);
  }
});

// Before `init` (or opened on its own), the page says what it is waiting for.
if (!embedded) {
  show(h('h1', { text: 'Donation widget' }),
    h('p', { class: 'note', text: 'This page is embedded in a checkout by /widget/sdk.js; opened on its own it shows nothing.' }));
} else {
  reportHeight();
}
