// impactapi admin console, reports: the Overview's impact per campaign over time (a stacked bar
// chart drawn as inline SVG, no library) and the Billing page's statement per campaign with its two
// CSV downloads. Runs beside app.js, which signs in (the token is in sessionStorage), fills the
// organization selects and announces each tab it shows with an `admin:tab` event.
'use strict';

(() => {
  const TOKEN_KEY = 'impactapi.adminToken';
  const DAYS = 30;
  // Distinct, colour-blind-friendly fills (Okabe-Ito), set as SVG attributes (the CSP allows no
  // inline style).
  const COLORS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];
  const SVG = 'http://www.w3.org/2000/svg';

  const $ = (sel) => document.querySelector(sel);
  const money = (cents) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format((cents || 0) / 100);
  const labels = (impact) => impact.map((m) => `${m.emoji ? `${m.emoji} ` : ''}${m.label}`);

  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') el.textContent = v;
      else el.setAttribute(k, v === true ? '' : v);
    }
    el.append(...children.flat().filter((c) => c !== null && c !== undefined));
    return el;
  }

  function svg(tag, attrs = {}, text) {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
    const s = q.toString();
    return s ? `?${s}` : '';
  }

  /** An admin API call with the signed-in token; rejects with the envelope's message. */
  async function call(path) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) throw new Error('Not signed in');
    const response = await fetch(`/admin/api${path}`, { headers: { Authorization: `Bearer ${token}` } });
    if (!response.ok) {
      let message = `HTTP ${response.status}`;
      try {
        const e = (await response.json()).error;
        const fields = e.details && e.details.fields
          ? Object.entries(e.details.fields).map(([f, m]) => `${f} ${m.join(', ')}`).join('; ')
          : '';
        message = fields ? `${e.message}: ${fields}` : e.message;
      } catch (_) { /* not JSON */ }
      throw new Error(message);
    }
    return response;
  }

  // ---- overview: impact per campaign over time ------------------------------------------------

  function niceCeil(n) {
    const p = 10 ** Math.floor(Math.log10(n));
    for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
    return 10 * p;
  }

  async function loadCampaignChart() {
    const body = await (await call(`/stats/campaigns${query({ days: DAYS, organization_id: $('#overview-org').value })}`)).json();
    drawCampaignChart(body.data.dates, body.data.campaigns);
  }

  /** One bar per day, one segment per campaign (bottom to top in legend order). */
  function drawCampaignChart(dates, campaigns) {
    const total = campaigns.reduce((n, c) => n + c.amount, 0);
    $('#campaign-chart-summary').textContent = campaigns.length
      ? `${campaigns.length} campaign${campaigns.length === 1 ? '' : 's'}, ${money(total)} in the last ${dates.length} days`
      : `No donations in the last ${dates.length} days.`;
    const W = 760; const H = 240; const left = 64; const right = 8; const top = 10; const bottom = 28;
    const plotW = W - left - right; const plotH = H - top - bottom;
    const perDay = dates.map((d) => campaigns.reduce((n, c) => n + ((c.days.find((x) => x.date === d) || {}).amount || 0), 0));
    const scaleMax = niceCeil(Math.max(...perDay, 100));
    const slot = plotW / dates.length;
    const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Amount donated per day, stacked by campaign' });
    for (const f of [0, 0.5, 1]) {
      const y = top + plotH - plotH * f;
      root.append(svg('line', { class: f === 0 ? 'axis' : 'grid-line', x1: left, x2: W - right, y1: y, y2: y }));
      root.append(svg('text', { x: left - 6, y: y + 3, 'text-anchor': 'end' }, money(scaleMax * f)));
    }
    dates.forEach((date, i) => {
      let base = top + plotH;
      campaigns.forEach((c, ci) => {
        const day = c.days.find((x) => x.date === date);
        if (!day) return;
        const height = (day.amount / scaleMax) * plotH;
        base -= height;
        const rect = svg('rect', {
          class: 'segment',
          x: (left + i * slot + slot * 0.15).toFixed(1),
          y: base.toFixed(1),
          width: (slot * 0.7).toFixed(1),
          height: height.toFixed(1),
          fill: COLORS[ci % COLORS.length],
          'data-testid': 'chart-segment',
          'data-date': date,
          'data-campaign': c.campaign_identifier,
          'data-amount': day.amount,
        });
        rect.append(svg('title', {}, `${date} · ${c.name}: ${money(day.amount)}, ${labels(day.impact).join(', ')}`));
        root.append(rect);
      });
      if (i % 5 === 0 || i === dates.length - 1) {
        root.append(svg('text', { x: (left + i * slot + slot / 2).toFixed(1), y: H - 10, 'text-anchor': 'middle' }, date.slice(5)));
      }
    });
    $('#campaign-chart').replaceChildren(root);
    $('#campaign-legend').replaceChildren(...campaigns.map((c, ci) => {
      const swatch = svg('svg', { viewBox: '0 0 12 12', 'aria-hidden': 'true' });
      swatch.append(svg('rect', { width: 12, height: 12, rx: 2, fill: COLORS[ci % COLORS.length] }));
      return h('li', { 'data-testid': 'legend-item', 'data-campaign': c.campaign_identifier },
        swatch,
        h('strong', { text: c.name }),
        h('span', { class: 'amount', text: money(c.amount) }),
        h('span', { class: 'muted', text: labels(c.impact).join(', ') }));
    }));
  }

  // ---- billing: statement per campaign and downloads --------------------------------------------

  function currentMonth() {
    return new Date().toISOString().slice(0, 7);
  }

  function statementMonth() {
    const input = $('#statement-month');
    if (!input.value) input.value = $('#billing-month').value || currentMonth();
    return input.value;
  }

  function showStatementError(message) {
    const el = $('#statement-error');
    el.textContent = message || '';
    el.hidden = !message;
  }

  async function loadStatement() {
    const org = $('#billing-org').value;
    const month = statementMonth();
    $('#statement-scope').textContent = `${month} · ${org ? $('#billing-org').selectedOptions[0].textContent : 'all organizations'}`;
    const download = $('#intents-download');
    download.disabled = !org;
    download.title = org ? '' : 'Choose an organization to download its donation intents';
    showStatementError('');
    const body = await (await call(`/statements${query({ month, organization_id: org })}`)).json();
    const s = body.data;
    $('#statement-rows').replaceChildren(...(s.campaigns.length
      ? s.campaigns.map((c) => h('tr', { 'data-testid': 'statement-row', 'data-campaign': c.campaign_identifier },
        h('td', {}, h('strong', { text: c.name }), h('div', { class: 'muted' }, h('code', { text: c.campaign_identifier }))),
        h('td', { class: 'num', text: String(c.donation_count) }),
        h('td', { class: 'num', 'data-testid': 'statement-amount', text: money(c.amount) }),
        h('td', { class: 'impact' }, labels(c.impact).map((l) => h('div', { text: l })))))
      : [h('tr', { class: 'empty', 'data-testid': 'empty' }, h('td', { colspan: 4, text: `Nothing to pay for ${s.month}.` }))]));
    $('#statement-total').replaceChildren(h('tr', { 'data-testid': 'statement-total' },
      h('td', { text: 'Total' }),
      h('td', { class: 'num', text: String(s.donation_count) }),
      h('td', { class: 'num', text: money(s.total_amount) }),
      h('td')));
  }

  /** The file name a response's Content-Disposition gives, or `fallback`. */
  function filename(response, fallback) {
    const m = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') || '');
    return m ? m[1] : fallback;
  }

  /** Fetches with the token (a link cannot carry it) and hands the file to the browser. */
  async function download(path, fallback) {
    showStatementError('');
    try {
      const response = await call(path);
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const a = h('a', { href: url, download: filename(response, fallback), hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      showStatementError(e.message);
    }
  }

  function downloadStatement() {
    const month = statementMonth();
    download(`/statements.csv${query({ month, organization_id: $('#billing-org').value })}`, `statement_${month}.csv`);
  }

  function downloadIntents() {
    const org = $('#billing-org').value;
    if (!org) return;
    const month = statementMonth();
    const [y, m] = month.split('-').map(Number);
    const last = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
    download(`/donation_intents/export.csv${query({ organization_id: org, date_from: `${month}-01`, date_to: last })}`,
      'donation_intents.csv');
  }

  // ---- wiring ---------------------------------------------------------------------------------

  const report = (load, onError) => () => load().catch((e) => onError(e.message));
  const chartError = (message) => { $('#campaign-chart-summary').textContent = message; };
  const loadChart = report(loadCampaignChart, chartError);
  const loadBillingStatement = report(loadStatement, showStatementError);

  document.addEventListener('admin:tab', (event) => {
    if (event.detail === 'overview') loadChart();
    if (event.detail === 'billing') loadBillingStatement();
  });
  $('#overview-org').addEventListener('change', loadChart);
  $('#billing-org').addEventListener('change', loadBillingStatement);
  $('#billing-month').addEventListener('change', () => {
    if ($('#billing-month').value) $('#statement-month').value = $('#billing-month').value;
    loadBillingStatement();
  });
  $('#statement-month').addEventListener('change', loadBillingStatement);
  $('#statement-download').addEventListener('click', downloadStatement);
  $('#intents-download').addEventListener('click', downloadIntents);
})();
