// impactapi admin console, Webhooks page: endpoints per organization, their deliveries with every
// attempt (request headers and body, response status and body), retry, test event, copy as curl.
// Registers itself with app.js through window.impactAdminPages (as requests.js does).
'use strict';

(() => {
  const PER_PAGE = 20;
  const page = { endpoints: 1, deliveries: 1, endpoint: null, delivery: null, wired: false };
  let helpers = null;
  /** app.js's helpers, and `$`. */
  const A = () => helpers;

  /** A shell word in single quotes. */
  const quote = (s) => `'${String(s).replace(/'/g, "'\\''")}'`;

  /** The last attempt's request as a curl command (its signature is valid for 5 minutes). */
  function curlOf(delivery) {
    const last = delivery.attempts[delivery.attempts.length - 1];
    const headers = last && last.request_headers ? last.request_headers : { 'content-type': 'application/json', 'webhook-id': delivery.event_id };
    const parts = [`curl -X POST ${quote(delivery.request.url)}`];
    for (const [name, value] of Object.entries(headers)) parts.push(`  -H ${quote(`${name}: ${value}`)}`);
    parts.push(`  --data-raw ${quote(delivery.request.body)}`);
    return parts.join(' \\\n');
  }

  async function loadEndpoints() {
    const { $, h, api, query, when, shortId, orgName, badge, emptyRow, pager } = A();
    wire();
    const body = await api('GET', `/webhook_endpoints${query({
      organization_id: $('#webhooks-org').value, page: page.endpoints, per_page: PER_PAGE,
    })}`);
    const rows = body.data.map((e) => h('tr', {
      'data-testid': 'webhook-endpoint-row', 'data-id': e.id, 'data-url': e.url, class: e.id === page.endpoint ? 'selected' : null,
    },
    h('td', {}, h('code', { title: e.id, text: shortId(e.id) })),
    h('td', { text: orgName(e.organization_id) }),
    h('td', {}, h('code', { text: e.url }), e.description ? h('div', { class: 'muted', text: e.description }) : null),
    h('td', { text: e.event_types.length ? e.event_types.join(', ') : 'all events' }),
    h('td', {}, e.disabled ? badge(`disabled: ${e.disabled_reason}`, 'disabled') : badge('enabled')),
    h('td', { text: when(e.created_at) }),
    h('td', { class: 'actions-cell' }, h('button', {
      type: 'button', class: 'secondary small', 'data-testid': 'webhook-endpoint-open', text: 'Deliveries',
      onclick: () => openEndpoint(e),
    }))));
    $('#webhook-endpoint-rows').replaceChildren(...(rows.length ? rows : [emptyRow(7, 'No webhook endpoints. Merchants create them with POST /webhook_endpoints.')]));
    pager($('#webhook-endpoints-pager'), body, (p) => { page.endpoints = p; loadEndpoints().catch(A().fail); });
    if (page.endpoint) await loadDeliveries();
  }

  function openEndpoint(e) {
    const { $ } = A();
    page.endpoint = e.id;
    page.deliveries = 1;
    page.delivery = null;
    $('#webhook-deliveries-url').textContent = e.url;
    $('#webhook-detail').hidden = true;
    loadEndpoints().catch(A().fail);
  }

  async function loadDeliveries() {
    const { $, h, api, query, when, shortId, badge, emptyRow, pager } = A();
    const body = await api('GET', `/webhook_endpoints/${page.endpoint}/deliveries${query({
      status: $('#webhook-deliveries-status').value, page: page.deliveries, per_page: PER_PAGE,
    })}`);
    $('#webhook-deliveries').hidden = false;
    const rows = body.data.map((d) => h('tr', {
      'data-testid': 'webhook-delivery-row', 'data-id': d.id, 'data-status': d.status, 'data-event': d.event_type,
      class: d.id === page.delivery ? 'selected' : null,
    },
    h('td', {}, h('code', { title: d.id, text: shortId(d.id) })),
    h('td', {}, h('div', { text: d.event_type }), h('code', { class: 'muted', text: d.event_id })),
    h('td', {}, badge(d.status)),
    h('td', { class: 'num', 'data-testid': 'webhook-attempt-count', text: d.attempts.length }),
    h('td', { text: d.next_attempt_at ? when(d.next_attempt_at) : '—' }),
    h('td', { text: when(d.created_at) }),
    h('td', { class: 'actions-cell' }, h('button', {
      type: 'button', class: 'secondary small', 'data-testid': 'webhook-delivery-open', text: 'Inspect',
      onclick: () => { page.delivery = d.id; showDelivery(d); },
    }))));
    $('#webhook-delivery-rows').replaceChildren(...(rows.length ? rows : [emptyRow(7, 'No deliveries yet.')]));
    pager($('#webhook-deliveries-pager'), body, (p) => { page.deliveries = p; loadDeliveries().catch(A().fail); });
    const open = body.data.find((d) => d.id === page.delivery);
    if (open) showDelivery(open);
  }

  function showDelivery(d) {
    const { $, h, when } = A();
    $('#webhook-detail').hidden = false;
    $('#webhook-detail-id').textContent = d.id;
    $('#webhook-curl-text').hidden = true;
    $('#webhook-request').textContent = `POST ${d.request.url}\n\n${JSON.stringify(JSON.parse(d.request.body || 'null'), null, 2)}`;
    const attempts = d.attempts.map((a, i) => h('div', { class: 'webhook-attempt', 'data-testid': 'webhook-attempt', 'data-status-code': a.status_code ?? '' },
      h('div', {},
        h('strong', { text: `#${i + 1} ` }),
        h('span', { text: `${when(a.attempted_at)} · ` }),
        h('span', { 'data-testid': 'webhook-attempt-result', text: a.status_code ? `HTTP ${a.status_code}` : (a.error || 'no answer') }),
        h('span', { class: 'muted', text: ` · ${a.duration_ms} ms` }),
        a.status_code && a.error ? h('span', { class: 'muted', text: ` · ${a.error}` }) : null),
      h('div', { class: 'muted', text: 'Request headers' }),
      h('pre', { class: 'mono webhook-pre', 'data-testid': 'webhook-attempt-headers', text: Object.entries(a.request_headers || {}).map(([k, v]) => `${k}: ${v}`).join('\n') }),
      h('div', { class: 'muted', text: 'Response body' }),
      h('pre', { class: 'mono webhook-pre', 'data-testid': 'webhook-attempt-response', text: a.response_body || '(empty)' })));
    $('#webhook-attempts').replaceChildren(...(attempts.length ? attempts : [h('p', { class: 'muted', text: 'Not attempted yet.' })]));
    $('#webhook-detail').dataset.curl = curlOf(d);
  }

  function wire() {
    if (page.wired) return;
    page.wired = true;
    const { $, api, flash, fail } = A();
    $('#webhooks-org').addEventListener('change', () => {
      page.endpoints = 1;
      page.endpoint = null;
      $('#webhook-deliveries').hidden = true;
      $('#webhook-detail').hidden = true;
      loadEndpoints().catch(fail);
    });
    $('#webhook-deliveries-status').addEventListener('change', () => { page.deliveries = 1; loadDeliveries().catch(fail); });
    $('#webhook-test').addEventListener('click', async () => {
      try {
        const event = (await api('POST', `/webhook_endpoints/${page.endpoint}/test`)).data;
        flash(`Test event ${event.id} queued.`);
        await loadDeliveries();
      } catch (e) { fail(e); }
    });
    $('#webhook-retry').addEventListener('click', async () => {
      try {
        await api('POST', `/webhook_deliveries/${page.delivery}/retry`);
        flash('Retry queued: one attempt now, same webhook-id.');
        setTimeout(() => loadDeliveries().catch(fail), 700);
      } catch (e) { fail(e); }
    });
    $('#webhook-curl').addEventListener('click', async () => {
      const text = $('#webhook-detail').dataset.curl || '';
      $('#webhook-curl-text').textContent = text;
      $('#webhook-curl-text').hidden = false;
      try {
        await navigator.clipboard.writeText(text);
        flash('curl command copied (its signature is valid for 5 minutes after the attempt).');
      } catch (_) {
        flash('Copying is not allowed here: the command is shown below.', true);
      }
    });
  }

  function setup(given) {
    helpers = { ...given, $: (sel) => document.querySelector(sel) };
    return loadEndpoints;
  }

  window.impactAdminPages = window.impactAdminPages || [];
  window.impactAdminPages.push({ tab: 'webhooks', setup });
})();
