// impactapi admin console: the Requests page (developer sandbox, SPEC 12). The last API requests
// of each organization from the in-memory request log, with filters, the request and the response
// side by side, and "copy as curl". Registers itself with app.js through window.impactAdminPages;
// builds its own tab, panel and stylesheet link so the shared page needs only its script tag.
'use strict';

(() => {
  const PER_PAGE = 25;
  const state = { page: 1, selected: null };

  /** Single-quotes a string for a POSIX shell. */
  const shellQuote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

  /** The body as people read it: JSON pretty-printed, anything else as it came. */
  function pretty(body) {
    if (body === null || body === undefined) return '';
    try {
      return JSON.stringify(JSON.parse(body), null, 2);
    } catch (_) {
      return body;
    }
  }

  /**
   * A curl command that sends the request again. Credentials were redacted before the request was
   * logged, so they come from the environment: $IMPACTAPI_API_KEY, $IMPACTAPI_SESSION_SECRET.
   */
  function curlFor(entry) {
    const url = `${location.origin}${entry.path}${entry.query ? `?${entry.query}` : ''}`;
    const parts = ['curl', '-X', entry.method, shellQuote(url)];
    const headers = entry.request.headers || {};
    for (const [name, value] of Object.entries(headers)) {
      if (name === 'authorization') parts.push('-H', '"Authorization: Bearer $IMPACTAPI_API_KEY"');
      else if (name === 'x-session-secret') parts.push('-H', '"X-Session-Secret: $IMPACTAPI_SESSION_SECRET"');
      else if (['content-type', 'idempotency-key', 'x-correlation-id', 'x-request-id'].includes(name)) {
        parts.push('-H', shellQuote(`${name}: ${value}`));
      }
    }
    if (entry.request.body) parts.push('--data-raw', shellQuote(entry.request.body));
    return parts.join(' ');
  }

  function buildPanel(ui) {
    const { h } = ui;
    const link = h('link', { rel: 'stylesheet', href: 'requests.css' });
    document.head.append(link);
    const tab = h('button', { type: 'button', 'data-tab': 'requests', 'data-testid': 'tab-requests', text: 'Requests' });
    document.querySelector('#tabs').append(tab);
    const statusSelect = h('select', { id: 'requests-status', 'data-testid': 'requests-status' },
      ...[['', 'Any'], ['2xx', '2xx success'], ['4xx', '4xx client error'], ['5xx', '5xx server error']]
        .map(([value, text]) => h('option', { value, text })));
    const panel = h('section', { id: 'panel-requests', class: 'panel', 'data-testid': 'panel-requests', hidden: true },
      h('div', { class: 'toolbar' },
        h('h1', { text: 'Requests' }),
        h('span', { class: 'spacer' }),
        h('label', {}, 'Organization ', h('select', { class: 'org-select', id: 'requests-org', 'data-testid': 'requests-org' })),
        h('label', {}, 'Status ', statusSelect),
        h('label', {}, 'Path ', h('input', { id: 'requests-path', 'data-testid': 'requests-path', placeholder: '/sessions', size: 14 })),
        h('button', { type: 'button', class: 'secondary', id: 'requests-refresh', 'data-testid': 'requests-refresh', text: 'Refresh' })),
      h('p', { class: 'muted', text: 'The last API requests of each organization, newest first. Credentials and secrets are '
        + 'replaced by [redacted]. The log is kept in memory: a restart or an organization reset empties it.' }),
      h('div', { class: 'card' },
        h('table', { class: 'table', 'data-testid': 'request-table' },
          h('thead', {}, h('tr', {}, ...['Time', 'Method', 'Path', 'Status', 'Duration', 'Organization', 'Correlation id']
            .map((t) => h('th', { text: t, class: t === 'Duration' ? 'num' : null })))),
          h('tbody', { id: 'request-rows' })),
        h('div', { class: 'pager', id: 'requests-pager', 'data-testid': 'requests-pager' })),
      h('div', { class: 'card', id: 'request-detail', 'data-testid': 'request-detail', hidden: true }));
    document.querySelector('main').append(panel);
  }

  function side(ui, title, part, testid) {
    const { h } = ui;
    const headers = Object.entries(part.headers || {}).map(([n, v]) => `${n}: ${v}`).join('\n');
    let note = '';
    if (part.streamed) note = 'streamed body, not kept';
    else if (part.body_truncated) note = `first 16 KiB of ${part.body_size} bytes`;
    return h('div', { class: 'exchange-side', 'data-testid': testid },
      h('h3', { text: title }, note ? h('span', { class: 'muted', text: ` (${note})` }) : null),
      // Scrollable, so reachable by keyboard (tabindex) and named for screen readers.
      h('pre', { class: 'exchange-headers', tabindex: 0, 'aria-label': `${title} headers`, 'data-testid': `${testid}-headers`, text: headers }),
      h('pre', { class: 'exchange-body', tabindex: 0, 'aria-label': `${title} body`, 'data-testid': `${testid}-body`, text: pretty(part.body) || '(no body)' }));
  }

  async function showDetail(ui, correlationId) {
    const { h, api } = ui;
    state.selected = correlationId;
    const entry = (await api('GET', `/requests/${encodeURIComponent(correlationId)}`)).data;
    const curl = curlFor(entry);
    const copy = h('button', { type: 'button', class: 'secondary small', 'data-testid': 'copy-curl', text: 'Copy as curl' });
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(curl);
        ui.flash('curl command copied to the clipboard.');
      } catch (_) {
        ui.flash('Copying is not allowed here: select the command below and copy it by hand.', true);
      }
    });
    const detail = document.querySelector('#request-detail');
    detail.replaceChildren(
      h('div', { class: 'toolbar' },
        h('h2', {}, `${entry.method} ${entry.path}${entry.query ? `?${entry.query}` : ''} `, ui.badge(String(entry.status), `status-${Math.floor(entry.status / 100)}xx`)),
        h('span', { class: 'spacer' }),
        h('span', { class: 'muted', text: `${ui.when(entry.created_at)} · ${entry.duration_ms} ms${entry.idempotency_key ? ` · Idempotency-Key ${entry.idempotency_key}` : ''}` }),
        copy),
      h('div', { class: 'exchange', 'data-testid': 'exchange' },
        side(ui, 'Request', entry.request, 'request-side'),
        side(ui, 'Response', entry.response, 'response-side')),
      h('h3', { text: 'curl' }),
      h('pre', { class: 'exchange-body', tabindex: 0, 'aria-label': 'curl command', 'data-testid': 'curl', text: curl }));
    detail.hidden = false;
    for (const row of document.querySelectorAll('#request-rows tr')) {
      row.classList.toggle('selected', row.dataset.id === correlationId);
    }
  }

  async function load(ui) {
    const { h, api } = ui;
    const body = await api('GET', `/requests${ui.query({
      org: document.querySelector('#requests-org').value,
      status: document.querySelector('#requests-status').value,
      path_prefix: document.querySelector('#requests-path').value.trim(),
      page: state.page,
      per_page: PER_PAGE,
    })}`);
    const rows = body.data.map((e) => {
      const row = h('tr', { class: 'clickable', 'data-testid': 'request-row', 'data-id': e.correlation_id, 'data-status': e.status, 'data-path': e.path },
        h('td', { text: ui.when(e.created_at) }),
        h('td', {}, h('code', { text: e.method })),
        // A button, so that a request opens from the keyboard too.
        h('td', {}, h('button', { type: 'button', class: 'row-open', 'data-testid': 'request-open', title: 'Show request and response' },
          h('code', { text: `${e.path}${e.query ? `?${e.query}` : ''}` }))),
        h('td', {}, ui.badge(String(e.status), `status-${Math.floor(e.status / 100)}xx`)),
        h('td', { class: 'num', text: `${e.duration_ms.toFixed(1)} ms` }),
        h('td', { text: ui.orgName(e.organization_id) }),
        h('td', {}, h('code', { title: e.correlation_id, text: e.correlation_id.slice(0, 8) })));
      row.addEventListener('click', () => showDetail(ui, e.correlation_id).catch(ui.fail));
      return row;
    });
    document.querySelector('#request-rows').replaceChildren(...(rows.length ? rows : [ui.emptyRow(7, 'No requests match.')]));
    ui.pager(document.querySelector('#requests-pager'), body, (p) => { state.page = p; load(ui).catch(ui.fail); });
    if (!body.data.some((e) => e.correlation_id === state.selected)) {
      document.querySelector('#request-detail').hidden = true;
    }
  }

  function setup(ui) {
    buildPanel(ui);
    const reload = () => { state.page = 1; load(ui).catch(ui.fail); };
    document.querySelector('#requests-org').addEventListener('change', reload);
    document.querySelector('#requests-status').addEventListener('change', reload);
    document.querySelector('#requests-refresh').addEventListener('click', reload);
    document.querySelector('#requests-path').addEventListener('keydown', (ev) => { if (ev.key === 'Enter') reload(); });
    return () => load(ui);
  }

  window.impactAdminPages = window.impactAdminPages || [];
  window.impactAdminPages.push({ tab: 'requests', setup });
})();
