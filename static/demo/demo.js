// impactapi demo checkout: the merchant side through /demo/api (Sandbox, no credential), the
// customer side through the public session endpoints with the session secret. Every call and its
// response is shown in the log. DOM built with textContent only (the page's CSP allows no inline code).
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
        h('pre', { text }))));
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

  const secretHeaders = () => ({ 'X-Session-Secret': session.secret });

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

  async function showCards() {
    const s = await call('GET', `/sessions/${session.id}`, undefined, secretHeaders());
    $('#choose-amount').textContent = money(s.amount);
    $('#cards').replaceChildren(...s.campaigns.map((c) => h('div', {
      class: `card${s.selected_campaign === c.identifier ? ' chosen' : ''}`, 'data-testid': 'campaign-card', 'data-identifier': c.identifier,
    },
    h('div', { class: 'emoji', text: (c.impact[0] && c.impact[0].emoji) || '💚' }),
    h('h3', { text: c.name }),
    c.impact.map((m) => h('div', { class: 'impact', 'data-testid': 'impact-label', text: m.label })),
    h('div', { class: 'muted', text: c.description || '' }),
    h('button', {
      type: 'button', 'data-testid': 'choose', 'data-identifier': c.identifier, text: `Donate ${money(s.amount)} here`,
      onclick: (ev) => choose(ev.currentTarget, c.identifier),
    }))));
    $('#step-choose').hidden = false;
  }

  async function choose(button, identifier) {
    await act(button, async () => {
      const s = await call('POST', `/sessions/${session.id}/choose_campaign`, { campaign_identifier: identifier }, secretHeaders());
      $$('#cards .card').forEach((card) => card.classList.toggle('chosen', card.dataset.identifier === s.selected_campaign));
      $$('#cards button, #opt-out').forEach((b) => { b.disabled = false; });
      const chosen = s.campaigns.find((c) => c.identifier === s.selected_campaign);
      $('#choice').textContent = s.opted_out
        ? 'The customer opted out: no donation will be made.'
        : `Chosen: ${chosen ? chosen.name : s.selected_campaign} (${chosen ? chosen.impact.map((m) => m.label).join(', ') : ''})`;
      $('#step-pay').hidden = false;
    });
  }

  async function process() {
    await act($('#process'), async () => {
      const s = await call('POST', `/demo/api/sessions/${session.id}/process`, {}, { 'X-Session-Secret': session.secret });
      setStatus(s.status);
      // A processing session no longer takes the customer's changes.
      $$('#cards button, #opt-out').forEach((b) => { b.disabled = true; });
      $('#confirm').disabled = false;
    });
  }

  async function confirm() {
    await act($('#confirm'), async () => {
      const s = await call('POST', `/demo/api/sessions/${session.id}/confirm`, {}, { 'X-Session-Secret': session.secret });
      setStatus(s.status);
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
    for (const id of ['#step-choose', '#step-pay', '#step-done', '#error']) $(id).hidden = true;
    $$('#cart-form input, #cart-form button').forEach((el) => { el.disabled = false; });
    $('#cards').replaceChildren();
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
    $('#opt-out').addEventListener('click', (ev) => choose(ev.currentTarget, null));
    $('#process').addEventListener('click', process);
    $('#confirm').addEventListener('click', confirm);
    $('#restart').addEventListener('click', restart);
    loadCampaigns().catch(showError);
  }

  init();
})();
