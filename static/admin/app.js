// impactapi admin console: plain DOM code over the /admin/api JSON API (no framework, no CDN).
// Everything is built with textContent, never innerHTML, and no inline style: the page's CSP allows
// only this script and app.css.
'use strict';

(() => {
  const TOKEN_KEY = 'impactapi.adminToken';
  const PER_PAGE = 20;
  const METRIC_FIELDS = [
    ['key', 'Key', 'trees_planted'],
    ['name', 'Name', 'Trees planted'],
    ['emoji', 'Emoji', '🌳'],
    ['icon', 'Icon', 'tree'],
    ['impact_per_dollar', 'Per dollar', '4'],
    ['unit_singular', 'Unit (one)', 'tree'],
    ['unit_plural', 'Unit (many)', 'trees'],
    ['verb_present', 'Verb', 'plant'],
    ['verb_past', 'Verb (past)', 'planted'],
  ];

  const state = {
    token: sessionStorage.getItem(TOKEN_KEY),
    orgs: [],
    selectedOrg: null,
    editing: null, // identifier of the campaign being edited, null when creating
    pages: { sessions: 1, intents: 1 },
  };

  // ---- small helpers ------------------------------------------------------------------------

  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  /** Creates an element: attrs are attributes (`text` sets textContent, `on*` adds listeners). */
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
  /** Integer cents as money: 1250 -> "$12.50". */
  const money = (cents) => moneyFormat.format((cents || 0) / 100);
  /** RFC 3339 UTC -> "2026-11-25 11:46 UTC". */
  const when = (iso) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : '—');
  const shortId = (id) => (id ? `…${id.slice(-8)}` : '—');
  const orgName = (id) => (state.orgs.find((o) => o.id === id) || {}).name || shortId(id);
  const badge = (text, kind = text) => h('span', { class: `badge ${kind}`, 'data-testid': 'badge', text });

  function emptyRow(columns, text) {
    return h('tr', { class: 'empty', 'data-testid': 'empty' }, h('td', { colspan: columns, text }));
  }

  class ApiError extends Error {
    constructor(status, message, code, fields, correlationId) {
      super(message);
      this.status = status;
      this.code = code;
      this.fields = fields || {};
      this.correlationId = correlationId;
    }

    /** The message with every field error: "Validation failed: name is required". */
    describe() {
      const parts = Object.entries(this.fields).map(([f, msgs]) => `${f} ${msgs.join(', ')}`);
      return parts.length ? `${this.message}: ${parts.join('; ')}` : this.message;
    }
  }

  /** Calls the admin API; resolves with the JSON body, rejects with an ApiError from the envelope. */
  async function api(method, path, body, token = state.token) {
    const init = { method, headers: { Authorization: `Bearer ${token}` } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(`/admin/api${path}`, init);
    } catch (_) {
      throw new ApiError(0, 'The server did not answer (is it running?)');
    }
    let json = null;
    try {
      json = await response.json();
    } catch (_) {
      json = null;
    }
    if (!response.ok) {
      const e = (json && json.error) || {};
      throw new ApiError(
        response.status,
        e.message || `HTTP ${response.status}`,
        e.code,
        e.details && e.details.fields,
        e.correlation_id,
      );
    }
    return json;
  }

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== '' && v !== null && v !== undefined) q.set(k, v);
    const s = q.toString();
    return s ? `?${s}` : '';
  }

  let flashTimer = null;
  function flash(text, bad = false) {
    const el = $('#flash');
    el.textContent = text;
    el.classList.toggle('bad', bad);
    el.hidden = false;
    clearTimeout(flashTimer);
    if (!bad) flashTimer = setTimeout(() => { el.hidden = true; }, 6000);
  }

  /** Reports a failed call; a rejected token sends the operator back to the sign-in form. */
  function fail(error) {
    if (error.status === 401) {
      signOut('Your admin token was not accepted any more. Sign in again.');
      return;
    }
    const ref = error.correlationId ? ` (ref ${error.correlationId})` : '';
    flash(`${error.describe ? error.describe() : error.message}${ref}`, true);
  }

  // ---- sign in and tabs ---------------------------------------------------------------------

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = null;
    $$('.panel').forEach((p) => { p.hidden = true; });
    $('#tabs').hidden = true;
    $('#sign-out').hidden = true;
    $('#flash').hidden = true;
    $('#sign-in').hidden = false;
    const err = $('#sign-in-error');
    err.textContent = message || '';
    err.hidden = !message;
    $('#token').value = '';
    $('#token').focus();
  }

  async function signIn(event) {
    event.preventDefault();
    const token = $('#token').value.trim();
    const err = $('#sign-in-error');
    err.hidden = true;
    if (!token) return;
    try {
      const body = await api('GET', '/organizations', undefined, token);
      state.token = token;
      sessionStorage.setItem(TOKEN_KEY, token);
      state.orgs = body.data;
      enter();
    } catch (e) {
      err.textContent = e.status === 401 ? 'That admin token was not accepted.' : e.describe();
      err.hidden = false;
    }
  }

  function enter() {
    $('#sign-in').hidden = true;
    $('#tabs').hidden = false;
    $('#sign-out').hidden = false;
    fillOrgSelects();
    show(location.hash.slice(1) || 'overview');
  }

  const loaders = {
    overview: loadOverview,
    organizations: loadOrganizations,
    campaigns: loadCampaigns,
    sessions: loadSessions,
    intents: loadIntents,
    billing: loadBilling,
  };
  // Pages kept in files of their own (requests.js) register through window.impactAdminPages,
  // before this script runs; each gets these helpers and returns its loader.
  for (const extra of window.impactAdminPages || []) {
    loaders[extra.tab] = extra.setup({
      api, h, query, fail, flash, when, shortId, orgName, badge, emptyRow, pager,
    });
  }

  function show(tab) {
    if (!loaders[tab]) tab = 'overview';
    if (location.hash.slice(1) !== tab) history.replaceState(null, '', `#${tab}`);
    $('#flash').hidden = true;
    $$('.panel').forEach((p) => { p.hidden = p.id !== `panel-${tab}`; });
    $$('#tabs button').forEach((b) => b.classList.toggle('active', b.dataset.tab === tab));
    loaders[tab]().catch(fail);
    document.dispatchEvent(new CustomEvent('admin:tab', { detail: tab })); // reports.js
  }

  async function refreshOrgs() {
    state.orgs = (await api('GET', '/organizations')).data;
    fillOrgSelects();
  }

  function fillOrgSelects() {
    for (const select of $$('.org-select')) {
      const current = select.value;
      select.replaceChildren(
        h('option', { value: '', text: 'All organizations' }),
        ...state.orgs.map((o) => h('option', { value: o.id, text: o.name })),
      );
      if (state.orgs.some((o) => o.id === current)) select.value = current;
    }
  }

  // ---- overview: chart and impact -----------------------------------------------------------

  async function loadOverview() {
    const org = $('#overview-org').value;
    const [daily, impact] = await Promise.all([
      api('GET', `/stats/daily${query({ days: 30, organization_id: org })}`),
      api('GET', `/impact${query({ organization_id: org })}`),
    ]);
    drawChart(daily.data);
    const grid = $('#impact');
    if (!impact.data.length) {
      grid.replaceChildren(h('p', { class: 'empty-state', 'data-testid': 'empty', text: 'No impact yet: no donation intents have been created.' }));
      return;
    }
    grid.replaceChildren(...impact.data.map((m) => h('div', { class: 'impact-card', 'data-testid': 'impact-card', 'data-key': m.key },
      h('div', { class: 'emoji', text: m.emoji || '•' }),
      h('div', { class: 'label', text: m.label }),
      h('div', { class: 'muted', text: m.name }))));
  }

  const SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs = {}, text) {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    if (text !== undefined) el.textContent = text;
    return el;
  }

  /** A bar per day of `total_amount`, with the count and amount in each bar's tooltip. */
  function drawChart(days) {
    const count = days.reduce((n, d) => n + d.donation_count, 0);
    const total = days.reduce((n, d) => n + d.total_amount, 0);
    $('#chart-summary').textContent = `${count} donation${count === 1 ? '' : 's'}, ${money(total)} in the last ${days.length} days`;
    const W = 760; const H = 220; const left = 64; const right = 8; const top = 10; const bottom = 28;
    const max = Math.max(...days.map((d) => d.total_amount), 0);
    const scaleMax = niceCeil(max || 100);
    const plotW = W - left - right; const plotH = H - top - bottom;
    const slot = plotW / days.length;
    const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Donations per day' });
    for (const f of [0, 0.5, 1]) {
      const y = top + plotH - plotH * f;
      root.append(svg('line', { class: f === 0 ? 'axis' : 'grid-line', x1: left, x2: W - right, y1: y, y2: y }));
      root.append(svg('text', { x: left - 6, y: y + 3, 'text-anchor': 'end' }, money(scaleMax * f)));
    }
    days.forEach((d, i) => {
      const height = scaleMax ? (d.total_amount / scaleMax) * plotH : 0;
      const x = left + i * slot + slot * 0.15;
      const bar = svg('rect', {
        class: 'bar',
        x: x.toFixed(1),
        y: (top + plotH - height).toFixed(1),
        width: (slot * 0.7).toFixed(1),
        height: height.toFixed(1),
        'data-testid': 'chart-bar',
        'data-date': d.date,
        'data-amount': d.total_amount,
        'data-count': d.donation_count,
      });
      bar.append(svg('title', {}, `${d.date}: ${d.donation_count} donation${d.donation_count === 1 ? '' : 's'}, ${money(d.total_amount)}`));
      root.append(bar);
      if (i % 5 === 0 || i === days.length - 1) {
        root.append(svg('text', { x: (left + i * slot + slot / 2).toFixed(1), y: H - 10, 'text-anchor': 'middle' }, d.date.slice(5)));
      }
    });
    $('#chart').replaceChildren(root);
  }

  /** A round number at or above `n` (1, 2, 5 times a power of ten). */
  function niceCeil(n) {
    const p = 10 ** Math.floor(Math.log10(n));
    for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
    return 10 * p;
  }

  // ---- organizations and keys ---------------------------------------------------------------

  async function loadOrganizations() {
    await refreshOrgs();
    renderOrgs();
    if (state.selectedOrg) await loadKeys();
  }

  function renderOrgs() {
    const rows = state.orgs.map((o) => h('tr', {
      'data-testid': 'org-row', 'data-id': o.id, 'data-name': o.name, class: state.selectedOrg === o.id ? 'selected' : null,
    },
    h('td', {}, h('strong', { text: o.name }), o.is_sandbox ? [' ', badge('sandbox')] : null),
    h('td', {}, h('code', { text: o.id })),
    h('td', { text: when(o.created_at) }),
    h('td', { class: 'actions-cell' }, h('button', {
      type: 'button', class: 'secondary small', 'data-testid': 'org-keys', text: 'API keys',
      onclick: () => selectOrg(o.id).catch(fail),
    }))));
    $('#org-rows').replaceChildren(...(rows.length ? rows : [emptyRow(4, 'No organizations yet.')]));
  }

  async function selectOrg(id) {
    state.selectedOrg = id;
    renderOrgs();
    await loadKeys();
  }

  async function loadKeys() {
    const id = state.selectedOrg;
    $('#keys').hidden = false;
    $('#keys-org').textContent = orgName(id);
    const keys = (await api('GET', `/keys${query({ organization_id: id })}`)).data;
    const rows = keys.map((k) => {
      const actions = h('td', { class: 'actions-cell' });
      if (!k.revoked_at) {
        actions.append(h('button', {
          type: 'button', class: 'danger small', 'data-testid': 'key-revoke', text: 'Revoke',
          onclick: () => confirmRevoke(actions, k),
        }));
      }
      return h('tr', { 'data-testid': 'key-row', 'data-id': k.id, 'data-prefix': k.prefix },
        h('td', {}, h('code', { text: `${k.prefix}…` })),
        h('td', { text: when(k.created_at) }),
        h('td', { text: k.last_used_at ? when(k.last_used_at) : 'never' }),
        h('td', {}, k.revoked_at ? [badge('revoked'), ' ', h('span', { class: 'muted', text: when(k.revoked_at) })] : badge('active')),
        actions);
    });
    $('#key-rows').replaceChildren(...(rows.length ? rows : [emptyRow(5, 'This organization has no API keys.')]));
  }

  function confirmRevoke(cell, key) {
    cell.replaceChildren(
      h('span', { class: 'muted', text: 'Revoke this key? Calls using it will fail. ' }),
      h('button', {
        type: 'button', class: 'danger small', 'data-testid': 'key-revoke-confirm', text: 'Yes, revoke',
        onclick: async () => {
          try {
            await api('POST', `/keys/${key.id}/revoke`);
            flash(`Key ${key.prefix}… revoked.`);
            await loadKeys();
          } catch (e) { fail(e); }
        },
      }),
      h('button', { type: 'button', class: 'secondary small', text: 'Cancel', onclick: () => loadKeys().catch(fail) }),
    );
  }

  function showNewKey(org, apiKey) {
    $('#new-key-org').textContent = org;
    $('#new-key-value').textContent = apiKey;
    $('#new-key').hidden = false;
  }

  async function createOrg(event) {
    event.preventDefault();
    const input = $('#org-name');
    const err = $('#org-form-error');
    err.hidden = true;
    try {
      const org = (await api('POST', '/organizations', { name: input.value })).data;
      input.value = '';
      showNewKey(org.name, org.api_key);
      flash(`Organization “${org.name}” created.`);
      await refreshOrgs();
      await selectOrg(org.id);
    } catch (e) {
      if (e.status === 401) return fail(e);
      err.textContent = e.describe();
      err.hidden = false;
    }
  }

  async function createKey() {
    try {
      const key = (await api('POST', `/organizations/${state.selectedOrg}/keys`)).data;
      showNewKey(orgName(state.selectedOrg), key.api_key);
      await loadKeys();
    } catch (e) { fail(e); }
  }

  // ---- campaigns ----------------------------------------------------------------------------

  let campaigns = [];

  async function loadCampaigns() {
    campaigns = (await api('GET', '/campaigns')).data;
    const rows = campaigns.map((c) => h('tr', { 'data-testid': 'campaign-row', 'data-identifier': c.identifier, 'data-active': String(c.active) },
      h('td', {}, h('strong', { text: c.name }), c.description ? h('div', { class: 'muted', text: c.description }) : null),
      h('td', {}, h('code', { text: c.identifier })),
      h('td', {}, c.impact_metrics.map((m) => h('div', { text: `${m.emoji ? `${m.emoji} ` : ''}${m.impact_per_dollar} ${m.impact_per_dollar === 1 ? m.unit_singular : m.unit_plural} ${m.verb_past}` }))),
      h('td', {}, c.active ? badge('active') : badge('inactive')),
      h('td', { class: 'actions-cell' },
        h('button', { type: 'button', class: 'secondary small', 'data-testid': 'campaign-edit', text: 'Edit', onclick: () => openCampaignForm(c) }),
        h('button', {
          type: 'button',
          class: c.active ? 'danger small' : 'secondary small',
          'data-testid': c.active ? 'campaign-deactivate' : 'campaign-activate',
          text: c.active ? 'Deactivate' : 'Activate',
          onclick: () => setActive(c, !c.active),
        }))));
    $('#campaign-rows').replaceChildren(...(rows.length ? rows : [emptyRow(5, 'No campaigns yet.')]));
  }

  async function setActive(campaign, active) {
    try {
      await api('POST', `/campaigns/${encodeURIComponent(campaign.identifier)}/${active ? 'activate' : 'deactivate'}`);
      flash(`“${campaign.name}” ${active ? 'activated' : 'deactivated'}.`);
      await loadCampaigns();
    } catch (e) { fail(e); }
  }

  function metricRow(values, index, count) {
    return h('div', { class: 'metric', 'data-testid': 'metric-row' },
      METRIC_FIELDS.map(([name, label, placeholder]) => {
        const path = `impact_metrics.${index}.${name}`;
        const value = values[name] === null || values[name] === undefined ? '' : String(values[name]);
        return h('label', {}, label,
          h('input', {
            name, value, placeholder, 'data-field': path, 'data-testid': `metric-${name}`,
            inputmode: name === 'impact_per_dollar' ? 'decimal' : null,
          }),
          h('span', { class: 'field-error', 'data-error-for': path }));
      }),
      h('button', {
        type: 'button', class: 'secondary small remove', text: 'Remove', disabled: count <= 1,
        'data-testid': 'metric-remove',
        onclick: () => {
          const metrics = readMetrics();
          metrics.splice(index, 1);
          renderMetrics(metrics);
        },
      }));
  }

  function readMetrics() {
    return $$('#metric-rows .metric').map((row) => {
      const m = {};
      for (const [name] of METRIC_FIELDS) m[name] = $(`input[name="${name}"]`, row).value;
      return m;
    });
  }

  function renderMetrics(metrics) {
    $('#metric-rows').replaceChildren(...metrics.map((m, i) => metricRow(m, i, metrics.length)));
    $('#metric-add').disabled = metrics.length >= 5;
  }

  function clearFieldErrors(form) {
    $$('.field-error', form).forEach((el) => { el.textContent = ''; });
    $$('.invalid', form).forEach((el) => el.classList.remove('invalid'));
    const err = $('#campaign-form-error');
    err.hidden = true;
  }

  /** The campaign form's own inputs (metric rows reuse names such as `name`, so not form.elements). */
  const campaignInput = (field) => $(`#campaign-form [data-field="${field}"]`);

  function openCampaignForm(campaign) {
    const form = $('#campaign-form');
    clearFieldErrors(form);
    state.editing = campaign ? campaign.identifier : null;
    $('#campaign-form-title').textContent = campaign ? `Edit “${campaign.name}”` : 'New campaign';
    campaignInput('identifier').value = campaign ? campaign.identifier : '';
    campaignInput('identifier').readOnly = Boolean(campaign);
    campaignInput('name').value = campaign ? campaign.name : '';
    campaignInput('description').value = (campaign && campaign.description) || '';
    campaignInput('image_url').value = (campaign && campaign.image_url) || '';
    campaignInput('active').checked = campaign ? campaign.active : true;
    renderMetrics(campaign ? campaign.impact_metrics : [{}]);
    form.hidden = false;
    campaignInput(campaign ? 'name' : 'identifier').focus();
  }

  async function saveCampaign(event) {
    event.preventDefault();
    const form = $('#campaign-form');
    clearFieldErrors(form);
    const text = (field) => campaignInput(field).value.trim();
    const optional = (v) => (v === '' ? null : v);
    const body = {
      identifier: text('identifier'),
      name: text('name'),
      description: optional(text('description')),
      image_url: optional(text('image_url')),
      active: campaignInput('active').checked,
      impact_metrics: readMetrics().map((m) => ({
        key: m.key.trim(),
        name: m.name.trim(),
        emoji: optional(m.emoji.trim()),
        icon: optional(m.icon.trim()),
        unit_singular: m.unit_singular.trim(),
        unit_plural: m.unit_plural.trim(),
        verb_present: m.verb_present.trim(),
        verb_past: m.verb_past.trim(),
        impact_per_dollar: m.impact_per_dollar.trim() === '' || Number.isNaN(Number(m.impact_per_dollar))
          ? m.impact_per_dollar.trim() || null
          : Number(m.impact_per_dollar),
      })),
    };
    try {
      const saved = state.editing
        ? await api('PUT', `/campaigns/${encodeURIComponent(state.editing)}`, body)
        : await api('POST', '/campaigns', body);
      form.hidden = true;
      flash(`Campaign “${saved.data.name}” saved.`);
      await loadCampaigns();
    } catch (e) {
      if (e.status === 401) return fail(e);
      showFieldErrors(form, e);
    }
  }

  /** Puts each field error beside its input; errors with no input are listed at the top. */
  function showFieldErrors(form, error) {
    const unplaced = [];
    for (const [path, messages] of Object.entries(error.fields)) {
      const slot = $(`[data-error-for="${CSS.escape(path)}"]`, form);
      if (slot) {
        slot.textContent = messages.join(', ');
        const input = $(`[data-field="${CSS.escape(path)}"]`, form);
        if (input) input.classList.add('invalid');
      } else {
        unplaced.push(`${path} ${messages.join(', ')}`);
      }
    }
    const err = $('#campaign-form-error');
    err.textContent = unplaced.length ? `${error.message}: ${unplaced.join('; ')}` : error.message;
    err.hidden = false;
  }

  // ---- sessions, intents, billing -----------------------------------------------------------

  function pager(el, body, onPage) {
    const label = h('span', { class: 'muted', 'data-testid': 'pager-label', text: `Page ${body.current_page} of ${body.last_page} · ${body.total} total` });
    el.replaceChildren(
      label,
      h('button', { type: 'button', class: 'secondary small', text: '← Previous', 'data-testid': 'pager-prev', disabled: body.current_page <= 1, onclick: () => onPage(body.current_page - 1) }),
      h('button', { type: 'button', class: 'secondary small', text: 'Next →', 'data-testid': 'pager-next', disabled: body.current_page >= body.last_page, onclick: () => onPage(body.current_page + 1) }),
    );
  }

  async function loadSessions() {
    const body = await api('GET', `/sessions${query({
      organization_id: $('#sessions-org').value, status: $('#sessions-status').value, page: state.pages.sessions, per_page: PER_PAGE,
    })}`);
    const rows = body.data.map((s) => {
      let choice = '—';
      if (s.opted_out) choice = 'opted out';
      else if (s.selected_campaign) choice = s.selected_campaign;
      else if (s.type === 'portion_of_sales') choice = s.allocations.map((a) => a.campaign_identifier).join(', ');
      return h('tr', { 'data-testid': 'session-row', 'data-id': s.id, 'data-status': s.status },
        h('td', {}, h('code', { title: s.id, text: shortId(s.id) })),
        h('td', { text: orgName(s.organization_id) }),
        h('td', { text: s.type }),
        h('td', {}, badge(s.status)),
        h('td', { class: 'num', text: money(s.amount) }),
        h('td', { text: choice }),
        h('td', { text: when(s.created_at) }),
        h('td', { text: when(s.expires_at) }));
    });
    $('#session-rows').replaceChildren(...(rows.length ? rows : [emptyRow(8, 'No sessions match.')]));
    pager($('#sessions-pager'), body, (p) => { state.pages.sessions = p; loadSessions().catch(fail); });
  }

  async function loadIntents() {
    const body = await api('GET', `/donation_intents${query({
      organization_id: $('#intents-org').value, page: state.pages.intents, per_page: PER_PAGE,
    })}`);
    const rows = body.data.map((i) => h('tr', { 'data-testid': 'intent-row', 'data-id': i.id, 'data-session': i.session_id || '' },
      h('td', {}, h('code', { title: i.id, text: shortId(i.id) })),
      h('td', { class: 'num', text: money(i.amount) }),
      h('td', { text: i.campaign.name }),
      h('td', {}, i.impact.map((m) => h('div', { text: `${m.emoji ? `${m.emoji} ` : ''}${m.label}` }))),
      h('td', {}, i.session_id ? h('code', { title: i.session_id, text: shortId(i.session_id) }) : h('span', { class: 'muted', text: 'direct' })),
      h('td', { text: when(i.created_at) })));
    $('#intent-rows').replaceChildren(...(rows.length ? rows : [emptyRow(6, 'No donation intents match.')]));
    pager($('#intents-pager'), body, (p) => { state.pages.intents = p; loadIntents().catch(fail); });
  }

  async function loadBilling() {
    const rows = (await api('GET', `/billing${query({
      organization_id: $('#billing-org').value, month: $('#billing-month').value,
    })}`)).data;
    $('#billing-rows').replaceChildren(...(rows.length
      ? rows.map((r) => h('tr', { 'data-testid': 'billing-row', 'data-month': r.month, 'data-org': r.organization_id },
        h('td', { text: r.month }),
        h('td', { text: r.organization_name }),
        h('td', { class: 'num', text: r.donation_count }),
        h('td', { class: 'num', 'data-testid': 'billing-amount', text: money(r.total_amount) })))
      : [emptyRow(4, 'Nothing to bill for this selection.')]));
    const total = rows.reduce((n, r) => n + r.total_amount, 0);
    const count = rows.reduce((n, r) => n + r.donation_count, 0);
    $('#billing-total').replaceChildren(...(rows.length > 1
      ? [h('tr', {}, h('td', { colspan: 2, text: 'Total' }), h('td', { class: 'num', text: count }), h('td', { class: 'num', text: money(total) }))]
      : []));
  }

  // ---- wiring -------------------------------------------------------------------------------

  function init() {
    $('#sign-in-form').addEventListener('submit', signIn);
    $('#sign-out').addEventListener('click', () => signOut());
    $$('#tabs button').forEach((b) => b.addEventListener('click', () => show(b.dataset.tab)));
    window.addEventListener('hashchange', () => { if (state.token) show(location.hash.slice(1)); });
    $('#org-form').addEventListener('submit', createOrg);
    $('#key-create').addEventListener('click', createKey);
    $('#new-key-dismiss').addEventListener('click', () => {
      $('#new-key').hidden = true;
      $('#new-key-value').textContent = '';
    });
    $('#new-key-copy').addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText($('#new-key-value').textContent);
        flash('API key copied to the clipboard.');
      } catch (_) {
        flash('Copying is not allowed here: select the key and copy it by hand.', true);
      }
    });
    $('#campaign-new').addEventListener('click', () => openCampaignForm(null));
    $('#campaign-cancel').addEventListener('click', () => { $('#campaign-form').hidden = true; });
    $('#campaign-form').addEventListener('submit', saveCampaign);
    $('#metric-add').addEventListener('click', () => {
      const metrics = readMetrics();
      if (metrics.length < 5) renderMetrics([...metrics, {}]);
    });
    $('#overview-org').addEventListener('change', () => loadOverview().catch(fail));
    for (const id of ['#sessions-org', '#sessions-status']) {
      $(id).addEventListener('change', () => { state.pages.sessions = 1; loadSessions().catch(fail); });
    }
    $('#intents-org').addEventListener('change', () => { state.pages.intents = 1; loadIntents().catch(fail); });
    $('#billing-org').addEventListener('change', () => loadBilling().catch(fail));
    $('#billing-month').addEventListener('change', () => loadBilling().catch(fail));

    if (!state.token) {
      signOut();
      return;
    }
    api('GET', '/organizations')
      .then((body) => { state.orgs = body.data; enter(); })
      .catch((e) => (e.status === 401 ? signOut('Your saved admin token was not accepted. Sign in again.') : fail(e)));
  }

  init();
})();
