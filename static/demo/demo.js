// impactapi demo checkout: the merchant side through /demo/api (Sandbox, no credential), the
// customer side in the checkout widget embedded with /widget/sdk.js and the session secret. Every
// call and its response, and the widget's messages, are shown in the log. DOM built with textContent only (the page's CSP allows no inline code).
'use strict';

(() => {
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (name === 'text') el.textContent = value;
      else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
      else el.setAttribute(name, value === true ? '' : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  const moneyFormat = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
  const money = (cents) => moneyFormat.format((cents || 0) / 100);

  /** The checkout in progress. */
  let session = null; // { id, secret, amount }
  /** The embedded widget of the checkout in progress. */
  let widget = null;

  /** Shows one call in the log, newest first, with the latest one open. */
  function log(method, path, requestBody, status, responseBody) {
    $$('#log details').forEach((d) => { d.open = false; });
    const ok = status >= 200 && status < 300;
    const text = [
      requestBody === undefined ? null : `request: ${JSON.stringify(requestBody, null, 2)}`,
      `response: ${JSON.stringify(responseBody, null, 2)}`,
    ].filter(Boolean).join('\n\n');
    $('#log').prepend(h('li', { 'data-testid': 'log-entry', 'data-status': status },
      h('details', { open: true },
        h('summary', {},
          h('span', { class: 'method', text: method }),
          h('code', { text: path }),
          h('span', { class: ok ? 'status-ok' : 'status-bad', text: status || 'no answer' })),
        h('pre', { text, tabindex: 0 }))));
  }

  /** Shows one message from the widget in the log. */
  function logMessage(type, payload) {
    $$('#log details').forEach((d) => { d.open = false; });
    $('#log').prepend(h('li', { 'data-testid': 'log-entry', 'data-message': type },
      h('details', { open: true },
        h('summary', {},
          h('span', { class: 'method', text: 'WIDGET' }),
          h('code', { text: type })),
        h('pre', { text: `payload: ${JSON.stringify(payload, null, 2)}`, tabindex: 0 }))));
  }

  class CallError extends Error {}

  /** One API call, logged; rejects with the envelope's message (and field errors). */
  async function call(method, path, body, headers = {}) {
    const init = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (_) {
      log(method, path, body, 0, null);
      throw new CallError('The server did not answer.');
    }
    let json = null;
    try { json = await response.json(); } catch (_) { json = null; }
    log(method, path, body, response.status, json);
    if (!response.ok) {
      const e = (json && json.error) || {};
      const fields = Object.entries((e.details && e.details.fields) || {})
        .map(([f, msgs]) => `${f} ${msgs.join(', ')}`);
      throw new CallError(`${e.message || `HTTP ${response.status}`}${fields.length ? `: ${fields.join('; ')}` : ''}`);
    }
    return json.data;
  }


  function showError(e) {
    const el = $('#error');
    el.textContent = e.message;
    el.hidden = false;
  }

  /** Runs an action with its button disabled and any error shown. */
  async function act(button, fn) {
    $('#error').hidden = true;
    if (button) button.disabled = true;
    try {
      await fn();
    } catch (e) {
      showError(e);
      if (button) button.disabled = false;
    }
  }

  /** "12.50" -> 1250; null when it is not an amount of dollars and cents. */
  function cents(text) {
    const t = text.trim().replace(/^\$/, '');
    if (!/^\d+(\.\d{1,2})?$/.test(t)) return null;
    const [whole, frac = ''] = t.split('.');
    return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
  }

  async function loadCampaigns() {
    const campaigns = await call('GET', '/demo/api/campaigns');
    const box = $('#campaign-options');
    if (!campaigns.length) {
      box.replaceChildren(h('p', { class: 'muted', text: 'No active campaigns: activate some in the admin console.' }));
      return;
    }
    box.replaceChildren(...campaigns.map((c, i) => h('label', {},
      h('input', { type: 'checkbox', name: 'campaign', value: c.identifier, checked: i < 3, 'data-testid': 'campaign-option' }),
      h('span', {},
        h('strong', { text: `${(c.impact_metrics[0] && c.impact_metrics[0].emoji) || ''} ${c.name}`.trim() }),
        h('br'),
        h('span', { class: 'muted', text: c.description || '' })))));
  }

  async function createSession(event) {
    event.preventDefault();
    await act($('#create'), async () => {
      const amount = cents($('#amount').value);
      if (amount === null) throw new CallError('Enter an amount in dollars, like 12.50.');
      const available = $$('input[name="campaign"]:checked').map((i) => i.value);
      const created = await call('POST', '/demo/api/sessions', { amount, available_campaigns: available });
      session = { id: created.id, secret: created.session_secret, amount: created.amount };
      $$('#cart-form input, #cart-form button').forEach((el) => { el.disabled = true; });
      await showCards();
    });
  }

  /** The customer step: the widget, embedded through the SDK as any checkout would. */
  async function showCards() {
    const { createWidget } = await import('/widget/sdk.js');
    $('#choose-amount').textContent = money(session.amount);
    $('#step-choose').hidden = false;
    widget = createWidget({ sessionId: session.id, secret: session.secret, styleMode: 'light' });
    widget.on('ready', (payload) => logMessage('ready', payload));
    widget.on('error', (payload) => logMessage('error', payload));
    widget.on('allocations-updated', (payload) => {
      logMessage('allocations-updated', payload);
      showChoice();
    });
    await widget.mount('#widget');
  }

  function showChoice() {
    const s = widget.getSessionData();
    const chosen = s.campaigns.find((c) => c.slug === s.selectedCampaign);
    const impact = s.impact.filter((i) => i.campaignIdentifier === s.selectedCampaign).map((i) => i.impactText);
    $('#choice').textContent = s.optedOut || !chosen
      ? 'The customer opted out: no donation will be made.'
      : `Chosen: ${chosen.organizationName} (${impact.join(', ')})`;
    $('#step-pay').hidden = false;
  }

  async function process() {
    await act($('#process'), async () => {
      const s = await call('POST', `/demo/api/sessions/${session.id}/process`, {}, { 'X-Session-Secret': session.secret });
      setStatus(s.status);
      // A processing session no longer takes the customer's changes: the widget shows it so.
      await widget.refresh();
      $('#confirm').disabled = false;
    });
  }

  async function confirm() {
    await act($('#confirm'), async () => {
      const s = await call('POST', `/demo/api/sessions/${session.id}/confirm`, {}, { 'X-Session-Secret': session.secret });
      setStatus(s.status);
      await widget.refresh();
      const intents = s.donation_intents;
      $('#done-summary').textContent = intents.length
        ? `Confirmed: ${intents.length} donation intent${intents.length === 1 ? '' : 's'} created for ${money(intents.reduce((n, i) => n + i.amount, 0))}.`
        : 'Confirmed: the customer opted out, so no donation intent was created.';
      $('#result').replaceChildren(...intents.map((i) => h('div', { class: 'card chosen', 'data-testid': 'intent', 'data-id': i.id },
        h('h3', { text: `${money(i.amount)} to ${i.campaign.name}` }),
        i.impact.map((m) => h('div', { class: 'impact', text: `${m.emoji ? `${m.emoji} ` : ''}${m.label}` })),
        h('code', { class: 'muted', 'data-testid': 'intent-id', text: i.id }))));
      $('#step-done').hidden = false;
    });
  }

  function setStatus(status) {
    const el = $('#status');
    el.className = `badge ${status}`;
    el.textContent = status;
  }

  function restart() {
    session = null;
    if (widget) widget.destroy();
    widget = null;
    for (const id of ['#step-choose', '#step-pay', '#step-done', '#error']) $(id).hidden = true;
    $$('#cart-form input, #cart-form button').forEach((el) => { el.disabled = false; });
    $('#result').replaceChildren();
    $('#choice').textContent = '';
    $('#confirm').disabled = true;
    $('#process').disabled = false;
    setStatus('');
    window.scrollTo(0, 0);
  }

  function init() {
    $('#cart-form').addEventListener('submit', createSession);
    $$('.chip').forEach((b) => b.addEventListener('click', () => { $('#amount').value = b.dataset.amount; }));
    $('#process').addEventListener('click', process);
    $('#confirm').addEventListener('click', confirm);
    $('#restart').addEventListener('click', restart);
    loadCampaigns().catch(showError);
  }

  init();
})();
